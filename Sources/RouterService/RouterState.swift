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

    /// Puts `loaded` in place of the current model (a reload); returns the model it replaced.
    @discardableResult
    public func swap(to loaded: LoadedRouter) -> LoadedRouter {
        state.withLock { state in
            defer { state = (loaded, state.reloads + 1) }
            return state.router
        }
    }
}
