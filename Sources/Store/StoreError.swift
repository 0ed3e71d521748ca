import Wire

/// Why a store operation failed, as the store's own code sees it; callers get it as the
/// `RPCError` of the same meaning (`rpcError`).
enum StoreError: Error, CustomStringConvertible {
    /// The database cannot be reached or opened now (it may come back).
    case unavailable(String)
    /// A statement failed (a bug, a full disk, a schema from another build).
    case failed(String)
    /// A uniqueness or foreign-key constraint refused a write.
    case conflict(String)

    var description: String {
        switch self {
        case .unavailable(let message), .failed(let message), .conflict(let message): message
        }
    }

    var rpcError: RPCError {
        switch self {
        case .unavailable(let message): RPCError(.unavailable, message)
        case .failed(let message): RPCError(.internal, message)
        case .conflict(let message): RPCError(.aborted, message)
        }
    }
}
