import NIOCore
import NIOPosix
import RPC
import Testing
import Wire

/// A peer that went silent (host down, link cut: no FIN, no RST) is found by the keepalive ping,
/// not by each call's timeout; a slow handler on a live server is not mistaken for one.
@Suite struct KeepaliveTests {
    /// A TCP server that accepts and reads everything and never writes a byte: a silent peer.
    private func withSilentServer<T>(_ body: (ServiceAddress) async throws -> T) async throws -> T {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { _ in MultiThreadedEventLoopGroup.singleton.any().makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { channel.close(promise: nil) }
        return try await body(ServiceAddress(host: "127.0.0.1", port: channel.localAddress!.port!))
    }

    @Test func silentPeerFailsWaitingCallsUnavailableAfterIntervalPlusTimeout() async throws {
        try await withSilentServer { address in
            let keepalive = Keepalive(interval: .milliseconds(100), timeout: .milliseconds(100))
            let client = RPCClient(address: address, configuration: .init(defaultTimeout: .seconds(30), keepalive: keepalive))
            let started = ContinuousClock.now
            let error = await #expect(throws: RPCError.self) {
                try await client.call(Methods.health, HealthRequest(), timeout: .seconds(30))
            }
            let waited = ContinuousClock.now - started
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("keepalive") == true)
            // Declared dead after interval + timeout (200 ms), far from the call's 30 s.
            #expect(waited >= .milliseconds(200) && waited < .seconds(10))
            await client.close()
        }
    }

    @Test func withoutKeepaliveTheCallWaitsForItsTimeout() async throws {
        try await withSilentServer { address in
            let client = RPCClient(address: address, configuration: .init(keepalive: nil))
            let error = await #expect(throws: RPCError.self) {
                try await client.call(Methods.health, HealthRequest(), timeout: .milliseconds(400))
            }
            #expect(error?.code == .deadlineExceeded)
            await client.close()
        }
    }

    @Test func slowHandlerOnALiveServerIsNotDeclaredDead() async throws {
        try await withServer(testHandlers()) { _, address in
            // Pings answered (not the call) keep the connection: unanswered, it would close at
            // 1.7 s, long before the call's 4 s (the timeout is generous for a loaded machine).
            let keepalive = Keepalive(interval: .milliseconds(200), timeout: .milliseconds(1500))
            let client = RPCClient(address: address, configuration: .init(keepalive: keepalive))
            let response = try await client.call(Methods.embed, EmbedRequest(texts: ["sleep:4000"]), timeout: .seconds(20))
            #expect(response.vectors.count == 1)
            await client.close()
        }
    }
}
