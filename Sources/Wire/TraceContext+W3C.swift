import Synchronization

/// W3C Trace Context (https://www.w3.org/TR/trace-context/) as Switchyard carries it: the front
/// door accepts a caller's `traceparent` (or starts a trace), every call a request causes carries
/// it in its Envelope, and every log line names its trace id and request id.
extension TraceContext {
    /// The trace of the request `requestID` as it arrives: the caller's `traceparent` when it is
    /// well formed (with its `tracestate`), else a new trace (sampled flag off, as a trace nobody
    /// asked for). The parent id is always a new span id: this hop's.
    public static func arriving(traceparent: String?, tracestate: String?, requestID: String) -> TraceContext {
        guard let parsed = traceparent.flatMap(parse) else {
            return TraceContext(traceparent: format(traceID: nil, flags: "00"), requestID: requestID)
        }
        return TraceContext(traceparent: format(traceID: parsed.traceID, flags: parsed.flags), tracestate: tracestate ?? "", requestID: requestID)
    }

    /// The 32 hex digits of the trace id ("" when `traceparent` is not well formed).
    public var traceID: String {
        if traceparent.utf8.count == Self.length, traceparent.hasPrefix("00-") {
            return String(traceparent.utf8.dropFirst(3).prefix(32))!
        }
        return Self.parse(traceparent)?.traceID ?? ""
    }

    /// The `traceparent` to send on a call made from this hop: the same trace and flags, a new
    /// parent (span) id.
    public func child() -> TraceContext {
        guard traceparent.utf8.count == Self.length, traceparent.hasPrefix("00-") else {
            let traceID = self.traceID
            guard !traceID.isEmpty else { return self }
            return TraceContext(
                traceparent: Self.format(traceID: traceID, flags: String(traceparent.utf8.suffix(2))!), tracestate: tracestate,
                requestID: requestID)
        }
        // Ours (or a caller's in canonical form): the new span written over a copy, one allocation.
        let parent = String(unsafeUninitializedCapacity: Self.length) { out in
            _ = out.initialize(from: traceparent.utf8)
            Self.put(IDSource.next(), at: 36, in: out)
            return Self.length
        }
        return TraceContext(traceparent: parent, tracestate: tracestate, requestID: requestID)
    }

    /// Characters of a version-00 `traceparent`.
    static let length = 55

    /// "00-<trace id>-<a new span id>-<flags>"; a new random trace id when `traceID` is nil.
    /// Written byte by byte: this runs for every front-door request and every call it makes.
    static func format(traceID: String?, flags: String) -> String {
        String(unsafeUninitializedCapacity: length) { out in
            out[0] = 0x30; out[1] = 0x30; out[2] = 0x2D
            if let traceID, traceID.utf8.count == 32 {
                _ = out[3..<35].initialize(from: traceID.utf8)
            } else {
                put(IDSource.next(), at: 3, in: out)
                put(IDSource.next(), at: 19, in: out)
            }
            out[35] = 0x2D
            put(IDSource.next(), at: 36, in: out)
            out[52] = 0x2D
            let flagBytes = Array(flags.utf8)
            out[53] = flagBytes.count == 2 ? flagBytes[0] : 0x30
            out[54] = flagBytes.count == 2 ? flagBytes[1] : 0x30
            return length
        }
    }

    /// `word` as 16 lowercase hex digits at `index` of `out`.
    private static func put(_ word: UInt64, at index: Int, in out: UnsafeMutableBufferPointer<UInt8>) {
        for i in 0..<16 { out[index + i] = hexDigits[Int((word >> UInt64(60 - 4 * i)) & 15)] }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The trace id and flags of a `traceparent` of version 00 (or a later version's first four
    /// fields, as the specification asks); nil when it is not one, or its ids are all zeros.
    static func parse(_ value: String) -> (traceID: String, flags: String)? {
        let fields = value.trimmingWhitespace().split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count >= 4, fields[0].count == 2, isHex(fields[0]), fields[0] != "ff" else { return nil }
        if fields[0] == "00", fields.count != 4 { return nil }
        let (traceID, parentID, flags) = (fields[1], fields[2], fields[3])
        guard traceID.count == 32, isHex(traceID), traceID.contains(where: { $0 != "0" }),
              parentID.count == 16, isHex(parentID), parentID.contains(where: { $0 != "0" }),
              flags.count == 2, isHex(flags)
        else { return nil }
        return (String(traceID), String(flags))
    }

    private static func isHex(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

/// Random ids for traces and spans without a system call each: SplitMix64 over a counter from a
/// seed the system's generator gives once per process (unique within it, unpredictable across).
enum IDSource {
    private static let seed = UInt64.random(in: .min ... .max)
    private static let counter = Atomic<UInt64>(0)

    static func next() -> UInt64 {
        var z = seed &+ counter.add(1, ordering: .relaxed).newValue &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        let id = z ^ (z >> 31)
        return id == 0 ? 1 : id  // an all-zero id is invalid
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> Substring {
        var slice = self[...]
        while slice.first == " " || slice.first == "\t" { slice = slice.dropFirst() }
        while slice.last == " " || slice.last == "\t" { slice = slice.dropLast() }
        return slice
    }
}
