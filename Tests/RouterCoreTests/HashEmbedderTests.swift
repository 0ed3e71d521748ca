import Foundation
import Testing
@testable import RouterCore

@Suite struct HashEmbedderTests {
    let embedder = HashEmbedder()

    @Test func vectorsAreUnitLengthAndDeterministic() {
        let v = embedder.embed("How many eggs does Janet sell each day?")
        #expect(v.count == 384)
        #expect(abs(Vectors.norm(v) - 1) < 1e-5)
        #expect(v == HashEmbedder().embed("How many eggs does Janet sell each day?"))
    }

    @Test func sameVectorOnEveryMachine() {
        // Pinned: a change here changes every trained router's vector space.
        let v = embedder.embed("Switchyard routes prompts")
        let moment = v.enumerated().reduce(Float(0)) { $0 + Float($1.offset) * $1.element }
        let signature = v.enumerated().filter { $0.element != 0 }.prefix(3).map { "\($0.offset):\(String(format: "%.4f", $0.element))" }
            + [String(format: "moment %.3f", moment)]
        #expect(signature == Self.pinned, "got \(signature)")
    }

    static let pinned = ["6:-0.1132", "8:-0.1132", "9:-0.1132", "moment 273.558"]

    @Test func similarTextsAreCloserThanUnrelatedOnes() {
        let a = embedder.embed("solve the quadratic equation x^2 + 3x + 2 = 0")
        let b = embedder.embed("solve the quadratic equation x^2 - 5x + 6 = 0")
        let c = embedder.embed("write a poem about the autumn leaves in Paris")
        #expect(Vectors.cosine(a, b) > Vectors.cosine(a, c) + 0.3)
    }

    @Test func textWithoutWordsIsTheZeroVector() {
        #expect(embedder.embed("  ?! ").allSatisfy { $0 == 0 })
    }

    @Test func nonASCIIIsHandled() {
        let v = embedder.embed("Grüße aus Zürich — 東京")
        #expect(abs(Vectors.norm(v) - 1) < 1e-5)
    }
}

@Suite struct FastModuloTests {
    @Test(arguments: [1, 2, 3, 7, 64, 384, 385, 1000, 1 << 20, 4_294_967_291, Int(Int64.max)])
    func remainderIsExact(_ divisor: Int) {
        let modulo = FastModulo(divisor)
        var generator = SeededGenerator(seed: UInt64(divisor))
        let edges: [UInt64] = [0, 1, UInt64(divisor) - 1, UInt64(divisor), UInt64(divisor) + 1, .max, .max - 1, 1 << 63, (1 << 63) - 1]
        let samples = edges + (0..<20_000).map { _ in generator.next() } + (0..<2_000).map { _ in generator.next() >> (generator.next() % 64) }
        for x in samples {
            #expect(modulo.remainder(x) == Int(x % UInt64(divisor)), "\(x) % \(divisor)")
        }
    }
}
