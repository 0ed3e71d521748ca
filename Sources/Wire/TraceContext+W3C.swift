/// W3C Trace Context (https://www.w3.org/TR/trace-context/) as Switchyard carries it: the front
/// door accepts a caller's `traceparent` (or starts a trace), every call a request causes carries
/// it in its Envelope, and every log line names its trace id and request id.
extension TraceContext {
    /// The trace of the request `requestID` as it arrives: the caller's `traceparent` when it is
    /// well formed (with its `tracestate`), else a new trace (sampled flag off, as a trace nobody
    /// asked for). The parent id is always a new span id: this hop's.
    public static func arriving(traceparent: String?, tracestate: String?, requestID: String) -> TraceContext {
        guard let parsed = traceparent.flatMap(parse) else {
            return TraceContext(traceparent: "00-\(randomHex(bytes: 16))-\(randomHex(bytes: 8))-00", requestID: requestID)
        }
        return TraceContext(
            traceparent: "00-\(parsed.traceID)-\(randomHex(bytes: 8))-\(parsed.flags)", tracestate: tracestate ?? "", requestID: requestID)
    }

    /// The 32 hex digits of the trace id ("" when `traceparent` is not well formed).
    public var traceID: String { Self.parse(traceparent)?.traceID ?? "" }

    /// The `traceparent` to send on a call made from this hop: the same trace and flags, a new
    /// parent (span) id.
    public func child() -> TraceContext {
        guard let parsed = Self.parse(traceparent) else { return self }
        return TraceContext(
            traceparent: "00-\(parsed.traceID)-\(Self.randomHex(bytes: 8))-\(parsed.flags)", tracestate: tracestate, requestID: requestID)
    }

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

    /// `bytes` (a multiple of 8) random bytes as lowercase hex: one draw of the system's
    /// generator per 8 bytes.
    private static func randomHex(bytes: Int) -> String {
        var out = ""
        out.reserveCapacity(bytes * 2)
        for _ in 0..<(bytes / 8) {
            let word = UInt64.random(in: .min ... .max)
            let hex = String(word, radix: 16)
            out += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return out
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
