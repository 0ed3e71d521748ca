/// What can be wrong with bytes arriving on a connection. Each case maps to the status a server
/// answers with, where it can still answer.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A frame's flags byte has bits other than the compression bit.
    case badFlags(UInt8)
    /// A frame announces a payload larger than the configured maximum.
    case frameTooLarge(length: Int, maximum: Int)
    /// The connection ended in the middle of a frame.
    case truncatedFrame(received: Int, expected: Int)
    /// A compressed payload does not inflate, or inflates past the maximum frame size.
    case badCompression(String)
    /// protobuf-c could not decode bytes as the named message.
    case undecodable(message: String)

    /// The status a peer is told.
    public var statusCode: StatusCode {
        switch self {
        case .frameTooLarge: .resourceExhausted
        case .badFlags, .truncatedFrame, .badCompression, .undecodable: .invalidArgument
        }
    }

    public var description: String {
        switch self {
        case .badFlags(let flags):
            "bad frame: unknown flag bits in 0x\(String(flags, radix: 16)) (only bit 0, zlib, is defined)"
        case .frameTooLarge(let length, let maximum):
            "frame of \(length) bytes exceeds the maximum of \(maximum) bytes"
        case .truncatedFrame(let received, let expected):
            "connection closed inside a frame: \(received) of \(expected) bytes received"
        case .badCompression(let reason):
            "bad compressed frame: \(reason)"
        case .undecodable(let message):
            "payload does not decode as \(message)"
        }
    }
}
