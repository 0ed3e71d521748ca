import Synchronization

/// The router model a service decides with, swapped whole on reload.
///
/// A request takes `current` once and decides with that snapshot, so requests in flight during a
/// reload finish on the model they started with; the old model is freed when the last of them ends.
public final class RouterState: Sendable {
    private let state: Mutex<(router: LoadedRouter, reloads: UInt64)>

    public init(_ router: LoadedRouter) {
        state = Mutex((router, 0))
    }

    /// The model to decide with now.
    public var current: LoadedRouter { state.withLock { $0.router } }

    /// Successful reloads since start.
    public var reloads: UInt64 { state.withLock { $0.reloads } }

    /// Loads `path` (the current model's file when nil) and swaps it in; returns the old and the
    /// new model. On error the current model stays.
    @discardableResult
    public func reload(from path: String? = nil) throws -> (previous: LoadedRouter, current: LoadedRouter) {
        let loaded = try LoadedRouter.load(path ?? current.path)
        let previous = state.withLock { state in
            defer { state = (loaded, state.reloads + 1) }
            return state.router
        }
        return (previous, loaded)
    }
}
