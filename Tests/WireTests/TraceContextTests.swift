import NIOCore
import Testing
@testable import Wire

/// W3C trace context as the front door reads it and as Envelopes carry it.
@Suite struct TraceContextTests {
    static let given = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func aCallersTraceGoesOnWithANewSpanOfThisHop() {
        let trace = TraceContext.arriving(traceparent: Self.given, tracestate: "vendor=1", requestID: "r1")
        #expect(trace.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(trace.traceparent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") && trace.traceparent.hasSuffix("-01"))
        #expect(!trace.traceparent.contains("00f067aa0ba902b7"))
        #expect(trace.tracestate == "vendor=1" && trace.requestID == "r1")
        let child = trace.child()
        #expect(child.traceID == trace.traceID && child.traceparent != trace.traceparent && child.requestID == "r1")
    }

    @Test(arguments: [
        nil, "", "garbage", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  // too few fields
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero parent
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff is invalid
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 has four fields
    ])
    func aMalformedTraceparentStartsANewTrace(traceparent: String?) {
        let trace = TraceContext.arriving(traceparent: traceparent, tracestate: "vendor=1", requestID: "r2")
        #expect(trace.traceID.count == 32 && trace.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(trace.traceparent.hasSuffix("-00"), "a trace nobody asked for is not sampled")
        #expect(trace.tracestate.isEmpty, "tracestate belongs to the trace it came with")
    }

    @Test func aLaterVersionIsReadByItsFirstFourFields() {
        let trace = TraceContext.arriving(traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes", tracestate: nil, requestID: "")
        #expect(trace.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func aRelayReadsTheTraceInPlaceAndPassesItOnUnchanged() throws {
        let trace = TraceContext(traceparent: Self.given, tracestate: "a=b", requestID: "chatcmpl-x")
        let envelope = Envelope(id: 5, method: "Route", timeoutMs: 100, body: [1, 2], authToken: "secret", trace: trace)
        let encoded = try EncodedEnvelope(payload: ByteBuffer(bytes: envelope.serializedBytes()))
        #expect(encoded.carriesTrace && encoded.trace == trace)
        var framer = EnvelopeFramer()
        var frame = try framer.frame(
            relaying: encoded, id: 9, request: .init(timeoutMs: 50, authToken: Array("relay".utf8)), allocator: ByteBufferAllocator())
        var decoder = EnvelopeDecoder()
        let relayed = try #require(try decoder.next(from: &frame))
        #expect(relayed.trace == trace && relayed.id == 9 && relayed.authToken == "relay")
        #expect(try EncodedEnvelope(payload: ByteBuffer(bytes: Envelope(id: 1).serializedBytes())).trace == nil)
    }
}
