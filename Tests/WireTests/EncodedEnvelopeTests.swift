import NIOCore
import Testing
@testable import Wire

/// The coordinator's relay reads Envelopes in place and frames them again with a new id: what
/// arrives at the far end must be, field for field, what protobuf-c would have made.
@Suite struct EncodedEnvelopeTests {
    static let request = Envelope(
        id: 77, method: "Route", timeoutMs: 1500, body: RouteRequest(prompt: "What is 2+2?").serializedBytes(),
        authToken: "caller-secret")

    func encoded(_ envelope: Envelope, extra: [UInt8] = []) throws -> EncodedEnvelope {
        try EncodedEnvelope(payload: ByteBuffer(bytes: envelope.serializedBytes() + extra))
    }

    /// Decodes a frame the relay wrote.
    func unframe(_ frame: ByteBuffer, _ configuration: WireConfiguration = .init()) throws -> Envelope {
        var frame = frame
        var decoder = EnvelopeDecoder(configuration: configuration)
        let envelope = try #require(try decoder.next(from: &frame))
        #expect(frame.readableBytes == 0)
        return envelope
    }

    @Test(arguments: sampleEnvelopes + [request])
    func readsTheFieldsProtobufCWrote(envelope: Envelope) throws {
        let read = try encoded(envelope)
        #expect(read.id == envelope.id && read.method == envelope.method && read.timeoutMs == envelope.timeoutMs)
        #expect(read.status == envelope.status && read.errorMessage == envelope.errorMessage)
        #expect(read.withAuthToken { Array($0) } == Array(envelope.authToken.utf8))
        #expect(try read.decoded() == envelope)
    }

    @Test func aRelayedRequestCarriesTheRelaysIdDeadlineAndTokenAndEverythingElseAsItCame() throws {
        var framer = EnvelopeFramer()
        let frame = try framer.frame(
            relaying: try encoded(Self.request), id: 5, request: .init(timeoutMs: 900, authToken: Array("relay-token".utf8)),
            allocator: .init())
        var expected = Self.request
        (expected.id, expected.timeoutMs, expected.authToken) = (5, 900, "relay-token")
        #expect(try unframe(frame) == expected)

        // No deadline and no token of the relay's own: the caller's are dropped, not passed on.
        let bare = try framer.frame(relaying: try encoded(Self.request), id: 6, request: .init(timeoutMs: 0, authToken: []), allocator: .init())
        (expected.id, expected.timeoutMs, expected.authToken) = (6, 0, "")
        #expect(try unframe(bare) == expected)
    }

    @Test(arguments: sampleEnvelopes)
    func aRelayedResponseChangesOnlyTheId(envelope: Envelope) throws {
        var framer = EnvelopeFramer()
        let frame = try framer.frame(relaying: try encoded(envelope), id: 123_456_789, allocator: .init())
        var expected = envelope
        expected.id = 123_456_789
        #expect(try unframe(frame) == expected)
    }

    @Test func fieldsThisBuildDoesNotKnowArePassedOn() throws {
        // Field 15, varint 300, and field 16, bytes "hi": a newer peer's additions.
        let unknown: [UInt8] = [15 << 3, 0xAC, 0x02, 0x82, 0x01, 2, 0x68, 0x69]
        var framer = EnvelopeFramer()
        let frame = try framer.frame(relaying: try encoded(Self.request, extra: unknown), id: 9, allocator: .init())
        let bytes = Array(frame.readableBytesView)
        #expect(bytes.count >= unknown.count && Array(bytes.suffix(unknown.count)) == unknown)
        #expect(try unframe(frame).body == Self.request.body)
    }

    @Test func largeRelayedFramesAreCompressedAsTheConfigurationSays() throws {
        let configuration = WireConfiguration(compressionThreshold: 1024)
        let big = sampleEnvelopes[3]  // 400 repeated prompts: compressible
        var framer = EnvelopeFramer(configuration: configuration)
        let frame = try framer.frame(relaying: try encoded(big), id: 2, allocator: .init())
        #expect(frame.getInteger(at: 0, as: UInt8.self) == FrameHeader.compressedFlag)
        var expected = big
        expected.id = 2
        #expect(try unframe(frame, configuration) == expected)
    }

    @Test(arguments: [
        [0x08] as [UInt8],  // a varint cut short
        [0x12, 0x05, 0x52],  // a string longer than the bytes left
        [0x0A, 0x01, 0x00],  // id (field 1) as bytes: the wrong wire type
        [0x0B],  // a group
        [0x00, 0x01],  // field number 0
    ])
    func malformedEnvelopesAreRefused(bytes: [UInt8]) {
        #expect(throws: WireError.self) { try EncodedEnvelope(payload: ByteBuffer(bytes: bytes)) }
    }
}
