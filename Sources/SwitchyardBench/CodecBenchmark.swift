import ArgumentParser
import Wire

/// Encode + decode cost of the messages on the hot path, through protobuf-c.
struct CodecBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec", abstract: "ns per encode+decode of a Route request and a 384-float Embed response.")

    @Option(help: "Timed batches per message.")
    var batches = 50

    @Option(help: "Encode+decode pairs per batch.")
    var batchSize = 2000

    func run() throws {
        let route = RouteRequest(
            prompt: "Write a Python function that merges two sorted lists into one sorted list without using sort().",
            tradeoff: .alpha(0.7), allowedModels: ["gpt-4-1106-preview", "mixtral-8x7b-instruct-v0.1"])
        var random = SystemRandomNumberGenerator()
        let embed = EmbedResponse(
            vectors: [Vector(values: (0..<384).map { _ in Float.random(in: -0.1...0.1, using: &random) })], embedder: "hash",
            dimension: 384)
        print("message                      bytes   p50 ns/op   p99 ns/op  (encode+decode, \(batches) batches x \(batchSize))")
        try measure("RouteRequest (prompt)", route)
        try measure("EmbedResponse (384 floats)", embed)
    }

    private func measure<M: ProtoMessage & Equatable>(_ name: String, _ message: M) throws {
        let size = message.serializedBytes().count
        guard try M(serialized: message.serializedBytes()) == message else {
            throw ValidationError("\(name) does not round-trip")
        }
        var samples = Samples(capacity: batches)
        var sink = 0
        for _ in 0..<batches {
            let start = nowNanoseconds()
            for _ in 0..<batchSize {
                let bytes = message.serializedBytes()
                let decoded = try M(serialized: bytes)
                sink &+= bytes.count &+ (decoded == message ? 1 : 0)
            }
            samples.append(Double(nowNanoseconds() - start) / Double(batchSize))
        }
        precondition(sink != 0)
        print(name.padding(toLength: 27, withPad: " ", startingAt: 0), String(size).leftPadded(7),
              format(samples.percentile(50)).leftPadded(11), format(samples.percentile(99)).leftPadded(11))
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
