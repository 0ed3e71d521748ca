import NIOPosix
import RPC
import RouterCore
import Wire

/// Reloads the router model, from a Reload call or SIGHUP: one reload at a time, in the order they
/// were asked for (so the file asked for last is the one that serves, however long each takes to
/// read), and only a file this router can serve replaces the current one.
///
/// A file is read on NIO's thread pool, then checked against the router's embedder: a file trained
/// on embeddings this router cannot get (a MiniLM file on a router that embeds hash in process, a
/// file whose dimension the embedding service does not give) is refused FAILED_PRECONDITION, since
/// every request would fail after it. A missing file is NOT_FOUND, a bad one INVALID_ARGUMENT; the
/// current model keeps serving in every case.
public final class ModelReloader: Sendable {
    public let state: RouterState
    public let embedder: any PromptEmbedder
    /// How long the embedder check may wait for an embedding service.
    public let checkTimeout: Duration
    private let queue = ReloadQueue()

    public init(state: RouterState, embedder: any PromptEmbedder, checkTimeout: Duration = .seconds(5)) {
        self.state = state
        self.embedder = embedder
        self.checkTimeout = checkTimeout
    }

    /// Loads `path` (the current model's file when nil), checks it and swaps it in; returns the
    /// model it replaced and the new one.
    public func reload(from path: String? = nil) async throws -> (previous: LoadedRouter, current: LoadedRouter) {
        try await queue.run { [self] in
            let path = path ?? state.current.path
            return try await swapIn { try LoadedRouter.load(path) }
        }
    }

    /// Loads a router file's bytes (a version the learner published), checks it and swaps it in,
    /// unless it is the version already serving. The replica keeps the file it was started with
    /// as its `path` (SIGHUP and a Reload without a path go back to it).
    public func reload(bytes: [UInt8]) async throws -> (previous: LoadedRouter, current: LoadedRouter) {
        try await queue.run { [self] in
            let path = state.current.path
            return try await swapIn(unlessServing: true) { try LoadedRouter.load(bytes: bytes, path: path) }
        }
    }

    /// Loads with `load` on NIO's thread pool, checks the result and swaps it in (with
    /// `unlessServing`, a version already serving is left as it is).
    private func swapIn(
        unlessServing: Bool = false, _ load: @escaping @Sendable () throws -> LoadedRouter
    ) async throws -> (previous: LoadedRouter, current: LoadedRouter) {
        let loaded: LoadedRouter
        do {
            loaded = try await NIOThreadPool.singleton.runIfActive { try load() }
        } catch let error as RouterLoadError {
            throw RPCError(error.missing ? .notFound : .invalidArgument, "\(error); still serving \(state.current.version)")
        }
        if unlessServing, loaded.version == state.current.version { return (state.current, state.current) }
        try await check(loaded)
        return (state.swap(to: loaded), loaded)
    }

    /// Refuses a file whose embeddings this router cannot get: a probe text is embedded as the
    /// file asks. An embedding service that cannot be reached now does not refuse it (the file
    /// may well be right; requests will say if it is not).
    private func check(_ loaded: LoadedRouter) async throws {
        do {
            _ = try await embedder.embed("switchyard reload check", for: loaded.embedder, timeout: checkTimeout)
        } catch let error as RPCError where error.code == .failedPrecondition {
            throw RPCError(
                .failedPrecondition,
                "router file \(loaded.path) (\(loaded.version)) needs \(loaded.embedder.kind):\(loaded.embedder.dimension) embeddings, "
                    + "which this router cannot get: \(error.message); still serving \(state.current.version)")
        } catch {
            // Unreachable or slow: not a verdict on the file.
        }
    }
}

/// Runs jobs one after another in the order they arrive, each awaiting the one before.
private actor ReloadQueue {
    private var last: Task<Void, Never>?

    func run<T: Sendable>(_ job: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = last
        let task = Task {
            await previous?.value
            return try await job()
        }
        last = Task { _ = try? await task.value }
        return try await task.value
    }
}
