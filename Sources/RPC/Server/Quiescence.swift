import Synchronization
import Wire

/// Whether a server is shutting down, and the interceptor that turns calls away once it is: they
/// are answered UNAVAILABLE (retry on another replica) while the calls already running finish.
/// `RPCServer` begins it on graceful shutdown; an in-process caller of the same core sees it too.
public final class Quiescence: ServerInterceptor {
    private let quiescing = Atomic<Bool>(false)

    public init() {}

    /// Whether shutdown has begun.
    public var isQuiescing: Bool { quiescing.load(ordering: .relaxed) }

    /// Turns away every call from now on.
    public func begin() { quiescing.store(true, ordering: .relaxed) }

    public var observesFinish: Bool { false }

    public func admit(_ call: inout CallHead) throws(RPCError) {
        if isQuiescing { throw RPCError(.unavailable, "server is shutting down; retry on another replica") }
    }
}
