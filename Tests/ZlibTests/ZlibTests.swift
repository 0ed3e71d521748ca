import Testing
import Zlib

@Suite struct ZlibTests {
    @Test func streamsAreReusedAcrossMessages() throws {
        let deflater = Deflater()
        let inflater = Inflater()
        for size in [0, 1, 100, 70_000, 10, 300_000] {
            let input = (0..<size).map { UInt8(truncatingIfNeeded: $0 / 7) }
            let compressed = input.withUnsafeBytes { deflater.compress($0) }
            #expect(try compressed.withUnsafeBytes { try inflater.decompress($0, limit: 1 << 20) } == input)
        }
    }

    @Test func gzipRoundTrips() throws {
        let input = Array("naïve café 🚀\n".utf8) + (0..<10_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let compressed = input.withUnsafeBytes { Deflater(level: 9, format: .gzip).compress($0) }
        #expect(compressed.prefix(2) == [0x1f, 0x8b], "a gzip header")
        #expect(try compressed.withUnsafeBytes { try Inflater(format: .gzip).decompress($0, limit: 1 << 20) } == input)
    }

    @Test func outputIsCappedExactlyAtTheLimit() throws {
        let input = [UInt8](repeating: 7, count: 4096)
        let compressed = input.withUnsafeBytes { Deflater().compress($0) }
        let inflater = Inflater()
        #expect(try compressed.withUnsafeBytes { try inflater.decompress($0, limit: 4096) } == input)
        #expect(throws: ZlibError.tooLarge(limit: 4095)) {
            try compressed.withUnsafeBytes { try inflater.decompress($0, limit: 4095) }
        }
    }

    @Test func brokenStreamsAreErrors() {
        let input = [UInt8](repeating: 1, count: 1000)
        let compressed = input.withUnsafeBytes { Deflater().compress($0) }
        let inflater = Inflater()
        #expect(throws: ZlibError.truncated) {
            try compressed.dropLast(4).withUnsafeBytes { try inflater.decompress($0, limit: 1 << 20) }
        }
        #expect(throws: ZlibError.trailingBytes) {
            try (compressed + [0]).withUnsafeBytes { try inflater.decompress($0, limit: 1 << 20) }
        }
        let corrupt = #expect(throws: ZlibError.self) {
            try [0x78, 0x9c, 0xff, 0xff].withUnsafeBytes { try inflater.decompress($0, limit: 1 << 20) }
        }
        if case .corrupt? = corrupt {} else { Issue.record("expected corrupt, got \(String(describing: corrupt))") }
    }
}
