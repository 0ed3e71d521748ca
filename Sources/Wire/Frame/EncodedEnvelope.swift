import NIOCore

/// An Envelope kept as its encoded bytes, with the few fields a relay needs read in place: what
/// the coordinator passes between callers and replicas without decoding the Envelope with
/// protobuf-c, copying the body or encoding it again.
///
/// `EnvelopeFramer.frame(relaying:...)` writes it on with a new id (and, for requests, the
/// relay's deadline and token); every other field (method, body, status, error message, fields
/// this build does not know) is copied byte for byte.
public struct EncodedEnvelope: Sendable {
    /// The encoded Envelope (after decompression), a slice of the bytes read: no copy.
    public let payload: ByteBuffer
    public let id: UInt64
    /// The rpc name (requests); empty in responses.
    public let method: String
    public let timeoutMs: UInt32
    public let status: StatusCode
    /// Where the auth token's bytes are in `payload` (empty range when there is none).
    let authTokenRange: Range<Int>
    /// Where the error message's bytes are in `payload`.
    let errorMessageRange: Range<Int>
    /// Where the trace context's bytes are in `payload` (empty range when there is none).
    let traceRange: Range<Int>

    /// Reads the fields of an encoded Envelope. Throws `undecodable` for bytes that are not a
    /// well-formed protobuf message or carry a known field with the wrong wire type.
    public init(payload: ByteBuffer) throws(WireError) {
        self.payload = payload
        var id: UInt64 = 0, timeoutMs: UInt32 = 0, status: Int32 = 0
        var method = 0..<0, token = 0..<0, error = 0..<0, trace = 0..<0
        let ok = payload.withUnsafeReadableBytes { bytes in
            ProtoScanner.forEachField(in: bytes) { field in
                switch (field.number, field.value) {
                case (1, .varint(let v)): id = v
                case (2, .bytes(let r)): method = r
                case (3, .varint(let v)): timeoutMs = UInt32(truncatingIfNeeded: v)
                case (4, .varint(let v)): status = Int32(truncatingIfNeeded: v)
                case (5, .bytes(let r)): error = r
                case (6, .bytes): break
                case (7, .bytes(let r)): token = r
                case (8, .bytes(let r)): trace = r
                case (1...8, _): return false  // a known field with the wrong wire type
                default: break  // unknown fields are kept as they are
                }
                return true
            }
        }
        guard ok else { throw .undecodable(message: Envelope.protoName) }
        self.id = id
        self.timeoutMs = timeoutMs
        self.status = StatusCode(rawValue: status) ?? .unrecognized
        self.method = payload.getString(at: payload.readerIndex + method.lowerBound, length: method.count) ?? ""
        self.authTokenRange = token
        self.errorMessageRange = error
        self.traceRange = trace
    }

    /// `envelope` encoded (with protobuf-c), as a relay would have read it.
    public init(encoding envelope: Envelope) throws(WireError) {
        try self.init(payload: ByteBuffer(bytes: envelope.serializedBytes()))
    }

    /// The error message (responses that are not OK).
    public var errorMessage: String {
        payload.getString(at: payload.readerIndex + errorMessageRange.lowerBound, length: errorMessageRange.count) ?? ""
    }

    /// Calls `body` with the auth token's bytes, in place.
    public func withAuthToken<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        authToken.withUnsafeBytes(body)
    }

    /// The auth token's bytes, still in the payload (no copy): what a call keeps of its request
    /// for the interceptors, lighter than the whole envelope.
    public var authToken: TokenBytes { TokenBytes(payload: payload, range: authTokenRange) }

    /// Bytes of an auth token inside an encoded Envelope.
    public struct TokenBytes: Sendable {
        let payload: ByteBuffer
        let range: Range<Int>

        /// Calls `body` with the token's bytes, in place.
        public func withUnsafeBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
            payload.withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[range])) }
        }
    }

    /// Whether the request carries a trace context.
    public var carriesTrace: Bool { !traceRange.isEmpty }

    /// The trace the request carries, decoded when asked (a relay reads it only to log); nil
    /// without one or when its bytes do not decode.
    public var trace: TraceContext? {
        guard !traceRange.isEmpty else { return nil }
        return payload.withUnsafeReadableBytes { try? TraceContext(serialized: UnsafeRawBufferPointer(rebasing: $0[traceRange])) }
    }

    /// The whole Envelope, decoded (with protobuf-c).
    public func decoded() throws(WireError) -> Envelope { try Envelope(serialized: payload) }
}

/// Reads protobuf wire format field by field, for `EncodedEnvelope` and the relay's re-framing.
enum ProtoScanner {
    enum Value {
        case varint(UInt64)
        /// A length-delimited field's contents, as a range of the message's bytes.
        case bytes(Range<Int>)
        case fixed
    }

    struct Field {
        var number: UInt64
        var value: Value
        /// The whole field (key included) in the message's bytes.
        var extent: Range<Int>
    }

    /// Calls `visit` with each field in order; false when the bytes are malformed or `visit`
    /// returned false.
    static func forEachField(in bytes: UnsafeRawBufferPointer, _ visit: (Field) -> Bool) -> Bool {
        var i = 0
        while i < bytes.count {
            let start = i
            guard let key = varint(bytes, &i) else { return false }
            let value: Value
            switch key & 7 {
            case 0:
                guard let v = varint(bytes, &i) else { return false }
                value = .varint(v)
            case 1, 5:
                let width = key & 7 == 1 ? 8 : 4
                guard bytes.count - i >= width else { return false }
                i += width
                value = .fixed
            case 2:
                guard let length = varint(bytes, &i), length <= UInt64(bytes.count - i) else { return false }
                value = .bytes(i..<(i + Int(length)))
                i += Int(length)
            default:
                return false  // groups (3, 4) and undefined wire types
            }
            guard key >> 3 != 0, visit(Field(number: key >> 3, value: value, extent: start..<i)) else { return false }
        }
        return true
    }

    static func varint(_ bytes: UnsafeRawBufferPointer, _ i: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count, shift < 64 {
            let byte = bytes[i]
            i += 1
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        return nil
    }
}
