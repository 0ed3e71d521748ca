/// The wrapper around a deflate stream.
public enum ZlibFormat: Sendable {
    /// RFC 1950, what frames use.
    case zlib
    /// RFC 1952, what `gzip` writes (data files).
    case gzip

    /// zlib's windowBits for this wrapper.
    var windowBits: Int32 {
        switch self {
        case .zlib: 15
        case .gzip: 15 + 16
        }
    }
}
