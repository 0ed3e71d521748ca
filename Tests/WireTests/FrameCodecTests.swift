import NIOCore
import Testing
import Zlib
@testable import Wire

/// Frames `envelopes` back to back with one framer (so its zlib stream is reused).
func framed(_ envelopes: [Envelope], _ configuration: WireConfiguration) throws -> ByteBuffer {
    var framer = EnvelopeFramer(configuration: configuration)
    var out = ByteBuffer()
    for envelope in envelopes {
        var frame = try framer.frame(envelope, allocator: .init())
        out.writeBuffer(&frame)
    }
    return out
}

/// Feeds `bytes` in the given chunk sizes to the frames a connection reads (`InboundFrames`),
/// taking every whole frame after each, and returns what it decoded.
func decode(_ bytes: ByteBuffer, chunks: [Int], _ configuration: WireConfiguration) throws -> [Envelope] {
    var inbound = InboundFrames(configuration: configuration)
    var remaining = bytes
    var sizes = chunks.makeIterator()
    var decoded: [Envelope] = []
    while remaining.readableBytes > 0 {
        let size = min(sizes.next() ?? remaining.readableBytes, remaining.readableBytes)
        inbound.append(remaining.readSlice(length: size)!)
        while let payload = try inbound.nextPayload() { decoded.append(try Envelope(serialized: payload)) }
        inbound.compact()
    }
    if let error = inbound.endOfStream { throw error }
    return decoded
}

/// The error the decoder raises for `bytes`, delivered whole, then with the stream ended.
func decodeError(_ bytes: [UInt8], _ configuration: WireConfiguration = .init()) -> (any Error)? {
    do {
        _ = try decode(ByteBuffer(bytes: bytes), chunks: [], configuration)
        return nil
    } catch {
        return error
    }
}

let sampleEnvelopes = [
    Envelope(id: 1, method: "Route", timeoutMs: 100, body: RouteRequest(prompt: "What is 2+2?").serializedBytes()),
    Envelope(),
    Envelope(id: 3, status: .notFound, errorMessage: "kein Modell „x“"),
    // Compressible: repeated text above the threshold below.
    Envelope(id: 4, method: "Embed", body: EmbedRequest(texts: Array(repeating: "the same prompt again", count: 400)).serializedBytes()),
    // Incompressible: random bytes stay uncompressed even above the threshold.
    Envelope(id: 5, method: "Embed", body: (0..<5000).map { _ in UInt8.random(in: 0...255) }),
]

@Suite struct FrameCodecTests {
    let compressing = WireConfiguration(compressionThreshold: 1024)

    @Test(arguments: [false, true])
    func byteByByte(compress: Bool) throws {
        let configuration = compress ? compressing : WireConfiguration(compressionThreshold: nil)
        let bytes = try framed(sampleEnvelopes, configuration)
        let decoded = try decode(bytes, chunks: Array(repeating: 1, count: bytes.readableBytes), configuration)
        #expect(decoded == sampleEnvelopes)
    }

    @Test func randomChunks() throws {
        var generator = SeededGenerator(seed: 42)
        let bytes = try framed(sampleEnvelopes + sampleEnvelopes, compressing)
        for _ in 0..<50 {
            let chunks = (0..<bytes.readableBytes).map { _ in Int.random(in: 1...700, using: &generator) }
            #expect(try decode(bytes, chunks: chunks, compressing) == sampleEnvelopes + sampleEnvelopes)
        }
    }

    @Test func compressesOnlyWhenItPays() throws {
        var framer = EnvelopeFramer(configuration: compressing)
        let small = try framer.frame(sampleEnvelopes[0], allocator: .init())
        let repetitive = try framer.frame(sampleEnvelopes[3], allocator: .init())
        let random = try framer.frame(sampleEnvelopes[4], allocator: .init())
        #expect(small.getInteger(at: 0, as: UInt8.self) == 0)
        #expect(repetitive.getInteger(at: 0, as: UInt8.self) == FrameHeader.compressedFlag)
        #expect(repetitive.readableBytes < sampleEnvelopes[3].serializedSize / 4)
        #expect(random.getInteger(at: 0, as: UInt8.self) == 0)
    }

    @Test func payloadOfExactlyTheMaximumPassesAndOneMoreByteDoesNot() throws {
        let maximum = 64 << 10
        let configuration = WireConfiguration(maxFrameSize: maximum, compressionThreshold: nil)
        var envelope = Envelope(id: 9, method: "Embed", body: [])
        // Grow the body until the serialized envelope is exactly the maximum.
        envelope.body = Array(repeating: 7, count: maximum - 16)
        while envelope.serializedSize < maximum { envelope.body.append(7) }
        #expect(envelope.serializedSize == maximum)
        #expect(try decode(framed([envelope], configuration), chunks: [], configuration) == [envelope])

        envelope.body.append(7)
        #expect(throws: WireError.frameTooLarge(length: maximum + 1, maximum: maximum)) {
            try framed([envelope], configuration)
        }
    }

    @Test func defaultMaximumFitsAFullBatchOfEmbeddings() throws {
        let vector = (0..<384).map { Float($0) }
        let body = EmbedResponse(vectors: Array(repeating: Vector(values: vector), count: 2600), dimension: 384).serializedBytes()
        let envelope = Envelope(id: 1, body: body)
        #expect(body.count > 3_900_000)
        let configuration = WireConfiguration()
        #expect(try decode(framed([envelope], configuration), chunks: [100_000], configuration) == [envelope])
    }

    @Test func oversizeLengthIsRejectedBeforeItsBytesArrive() {
        // Header only: flags 0, length 4 MiB + 1.
        let error = decodeError([0, 0x00, 0x40, 0x00, 0x01])
        #expect(error as? WireError == .frameTooLarge(length: (4 << 20) + 1, maximum: 4 << 20))
    }

    @Test func unknownFlagBitsAreRejected() {
        #expect(decodeError([0x82, 0, 0, 0, 0]) as? WireError == .badFlags(0x82))
    }

    @Test func truncatedFrameIsReportedAtEndOfStream() {
        // Announces 10 bytes, delivers 3.
        #expect(decodeError([0, 0, 0, 0, 10, 1, 2, 3]) as? WireError == .truncatedFrame(received: 8, expected: 15))
    }

    @Test func garbagePayloadIsUndecodable() throws {
        // The frame is sound; its payload is not an Envelope, read in place or with protobuf-c.
        var frame = ByteBuffer(bytes: [0, 0, 0, 0, 3, 0x32, 0x7f, 0x01])
        var decoder = EnvelopeDecoder()
        let payload = try #require(try decoder.nextPayload(from: &frame))
        let undecodable = WireError.undecodable(message: "switchyard.v1.Envelope")
        #expect(throws: undecodable) { try EncodedEnvelope(payload: payload) }
        #expect(throws: undecodable) { try Envelope(serialized: payload) }
    }

    @Test func compressedFlagOnGarbageIsBadCompression() {
        guard case .badCompression? = decodeError([1, 0, 0, 0, 4, 1, 2, 3, 4]) as? WireError else {
            Issue.record("expected badCompression")
            return
        }
    }

    @Test func compressionBombIsStoppedAtTheMaximum() throws {
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        let compressed = zeros.withUnsafeBytes { Deflater(level: 9).compress($0) }
        var frame = ByteBuffer()
        FrameHeader(compressed: true, length: compressed.count).write(to: &frame)
        frame.writeBytes(compressed)
        let error = decodeError(Array(frame.readableBytesView), WireConfiguration(maxFrameSize: 64 << 10))
        guard case .badCompression(let reason)? = error as? WireError else {
            Issue.record("expected badCompression, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("maximum"))
    }
}

/// A small deterministic generator (SplitMix64) so random-chunk tests repeat exactly.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
