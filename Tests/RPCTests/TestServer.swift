import Logging
import NIOCore
import RPC
import Wire

/// Runs a server with `handlers` on an ephemeral port for the duration of `body`, then shuts it
/// down gracefully.
func withServer<T>(
    _ handlers: RPCHandlers, wire: WireConfiguration = .init(), grace: Duration = .seconds(2),
    limits: ConnectionLimits = .init(), authentication: Authentication = .none,
    _ body: (RPCServer, ServiceAddress) async throws -> T
) async throws -> T {
    let server = RPCServer(
        service: "test",
        configuration: ServerConfiguration(
            port: 0, wire: wire, shutdownGracePeriod: grace, limits: limits, authentication: authentication),
        handlers: handlers, logger: Logger(label: "test"))
    let address = try await server.start()
    let running = Task { try await server.run() }
    do {
        let result = try await body(server, ServiceAddress(host: "127.0.0.1", port: address.port!))
        server.shutdown()
        try await running.value
        return result
    } catch {
        server.shutdown()
        try? await running.value
        throw error
    }
}

/// Handlers for the tests: Embed answers each text with a vector of its length, waiting first
/// for the milliseconds a text "sleep:N" names, or until the test opens the gate a text
/// "gate:NAME" names; a text "fail:N" throws status N; "crash" throws a non-RPC error; "huge"
/// answers more than the frame limit.
func testHandlers(cancelled: CancellationRecorder? = nil, gates: Gates = Gates()) -> RPCHandlers {
    var handlers = RPCHandlers()
    handlers.register(Methods.embed) { request, _ in
        let text = request.texts.first ?? ""
        if text.hasPrefix("fail:"), let code = Int32(text.dropFirst(5)), let status = StatusCode(rawValue: code) {
            throw RPCError(status, "failed as asked")
        }
        if text == "crash" { throw CocoaLikeError() }
        if text == "huge" {
            return EmbedResponse(vectors: [Vector(values: [Float](repeating: 1, count: 2_000_000))])
        }
        if text.hasPrefix("gate:") { await gates.wait(String(text.dropFirst(5))) }
        if text.hasPrefix("sleep:"), let ms = Int64(text.dropFirst(6)) {
            do {
                try await Task.sleep(for: .milliseconds(ms))
            } catch {
                await cancelled?.record()
                throw error
            }
        }
        return EmbedResponse(vectors: request.texts.map { Vector(values: [Float($0.count)]) }, embedder: "len")
    }
    handlers.register(Methods.health) { _, _ in HealthResponse(status: .serving, service: "test") }
    return handlers
}

struct CocoaLikeError: Error {}

/// Counts handler tasks that saw cancellation.
actor CancellationRecorder {
    private(set) var count = 0
    func record() { count += 1 }
}

/// Named gates handlers wait at until the test opens them: orders events without sleeping.
actor Gates {
    private var opened: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func wait(_ name: String) async {
        guard !opened.contains(name) else { return }
        await withCheckedContinuation { waiting[name, default: []].append($0) }
    }

    func open(_ name: String) {
        opened.insert(name)
        for continuation in waiting.removeValue(forKey: name) ?? [] { continuation.resume() }
    }
}

/// Waits until `condition` holds, checking every few milliseconds (the suite's time limit
/// bounds it): for state a test can observe, never for time to pass.
func eventually(_ condition: () -> Bool) async throws {
    while !condition() { try await Task.sleep(for: .milliseconds(2)) }
}
