import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import Wire

/// The framework's floor: a SwiftNIO server that splits the same length-prefixed frames a
/// Switchyard service reads and writes each one straight back (no protobuf, no handler), flushing
/// once per read. `switchyard-load` pointed at it measures what NIO and the sockets cost alone.
struct EchoBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server", abstract: "Serve a SwiftNIO echo of Switchyard frames until killed (the framework's floor).")

    @Option(help: "Port to listen on (0: any free port).") var port = 0
    @Option(help: "File to write the port to once listening.") var portFile: String?

    func run() throws {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FrameEcho()) }
            }
            .bind(host: "127.0.0.1", port: port).wait()
        let bound = channel.localAddress?.port ?? port
        if let portFile { try "\(bound)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        print("echo server on 127.0.0.1:\(bound)")
        try channel.closeFuture.wait()
    }
}

/// Writes every complete frame back as it arrived.
final class FrameEcho: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var pending: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if pending == nil { pending = bytes } else { pending!.writeBuffer(&bytes) }
        while let buffer = pending, let header = try? FrameHeader.peek(buffer, maxFrameSize: .max),
              let frame = pending!.readSlice(length: FrameHeader.size + header.length) {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
        if pending?.readableBytes == 0 { pending = nil }
    }

    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
}
