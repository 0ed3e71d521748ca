import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Wire

/// A blocking TCP socket for sending a server bytes no well-behaved client would send. Reads time
/// out (so a test fails rather than hangs). Blocking reads run on a thread of their own: blocked on
/// the cooperative pool (two threads on two cores) they would starve the handlers they wait for.
/// One task uses a socket at a time.
final class RawSocket: @unchecked Sendable {
    private let fd: Int32

    init(port: Int, readTimeoutSeconds: Int = 5) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else { throw RPCError(.unavailable, "connect failed: \(errno)") }
    }

    deinit { close(fd) }

    /// Sends `bytes` without blocking; returns how many the kernel took (fewer when its buffers
    /// are full because the server stopped reading).
    func sendWithoutBlocking(_ bytes: ArraySlice<UInt8>) -> Int {
        let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
        return max(n, 0)
    }

    /// Frames of `envelopes` as bytes.
    static func frames(_ envelopes: [Envelope]) -> [UInt8] {
        var framer = EnvelopeFramer()
        var bytes: [UInt8] = []
        for envelope in envelopes { bytes += try! framer.frame(envelope, allocator: .init()).readableBytesView }
        return bytes
    }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    func send(_ envelope: Envelope) {
        var framer = EnvelopeFramer()
        send(Array(try! framer.frame(envelope, allocator: .init()).readableBytesView))
    }

    /// Stops sending (the server sees end of stream).
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next envelope; nil at end of stream. Throws when nothing arrives within the timeout.
    func receive() async throws -> Envelope? {
        try await receiveFrame()?.envelope
    }

    /// The next frame's header and envelope; nil at end of stream.
    func receiveFrame() async throws -> (header: FrameHeader, envelope: Envelope)? {
        try await offThePool { try self.receiveFrameBlocking() }
    }

    /// Whether the server closed the connection (after any frames still buffered) within the
    /// read timeout; false when it kept the connection open.
    func isClosedByPeer() async throws -> Bool {
        try await offThePool {
            do {
                while let _ = try self.receiveFrameBlocking() {}
                return true
            } catch let error as RPCError where error.code == .deadlineExceeded {
                return false
            }
        }
    }

    private func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private func receiveFrameBlocking() throws -> (header: FrameHeader, envelope: Envelope)? {
        var decoder = EnvelopeDecoder()
        while true {
            if let header = try FrameHeader.peek(buffer, maxFrameSize: .max),
               let envelope = try decoder.next(from: &buffer) {
                return (header, envelope)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return nil }
            if n < 0 { throw RPCError(.deadlineExceeded, "no data from the server (errno \(errno))") }
            buffer.writeBytes(chunk[..<n])
        }
    }

    private var buffer = ByteBuffer()
}
