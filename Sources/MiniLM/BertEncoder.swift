import CTransformerKernels
import Foundation
import Synchronization

/// all-MiniLM-L6-v2's encoder: BERT with 6 layers of 384 hidden units, 12 heads and a 1536-unit
/// GELU feed-forward, mean-pooled over the tokens and L2-normalized, as sentence-transformers
/// runs it. The weights are packed once at load into panels of 32 columns, and every product
/// streams them through CTransformerKernels' AVX-512 kernel (OpenBLAS would repack them on each
/// call, most of the work for one prompt); attention, GELU and LayerNorm are C kernels too, each
/// run in the instruction set the encoder was made with (`kernels`).
final class BertEncoder: Sendable {
    static let hidden = 384, heads = 12, headSize = 32, intermediate = 1536, layerCount = 6, maxPositions = 512
    static let epsilon: Float = 1e-12

    /// A weight matrix (inputs x outputs) packed for the products, with its bias: floats for
    /// `sy_gemm_packed`, or int8 per output column for `sy_gemm_int8` (the activations then
    /// quantized per row at every product).
    struct Linear {
        let inputs: Int, outputs: Int
        let weights: Weights
        let bias: [Float]

        enum Weights {
            case fp32(packed: [Float])
            case int8(packed: [Int8], scales: [Float], columnSums: [Int32])
        }

        /// From PyTorch's layout (outputs x inputs).
        init(torch weight: [Float], bias: [Float], outputs: Int, inputs: Int, precision: MiniLMPrecision) {
            let transposed = BertEncoder.transposed(weight, rows: outputs, columns: inputs)
            switch precision {
            case .fp32:
                var packed = [Float](repeating: 0, count: sy_packed_size(inputs, outputs))
                sy_pack_weights(transposed, inputs, outputs, &packed)
                weights = .fp32(packed: packed)
            case .int8:
                var packed = [Int8](repeating: 0, count: sy_packed_int8_size(inputs, outputs))
                var scales = [Float](repeating: 0, count: outputs), sums = [Int32](repeating: 0, count: outputs)
                sy_pack_weights_int8(transposed, inputs, outputs, &packed, &scales, &sums)
                weights = .int8(packed: packed, scales: scales, columnSums: sums)
            }
            (self.inputs, self.outputs, self.bias) = (inputs, outputs, bias)
        }

        /// This part's share of c (rows x outputs) = a (rows x inputs) x weights + bias, then GELU
        /// when `gelu`: half the panels. int8 weights read `quantized`, which holds a quantized by
        /// then (`BertEncoder.quantize`), and apply GELU before storing.
        func apply(
            _ a: UnsafePointer<Float>, rows: Int, into c: UnsafeMutablePointer<Float>, part: Int, kernels: sy_kernels,
            quantized: QuantizedRows, gelu: Bool = false
        ) {
            let panels = BertEncoder.half(outputs / 32, part)
            switch weights {
            case .fp32(let packed):
                packed.withUnsafeBufferPointer { packed in
                    sy_gemm_packed(
                        kernels, a, inputs, rows, inputs, packed.baseAddress!, outputs, bias, c, outputs, panels.lowerBound, panels.upperBound)
                }
                if gelu { sy_gelu(kernels, c + panels.lowerBound * 32, rows, panels.count * 32, outputs) }
            case .int8(let packed, let scales, let sums):
                sy_gemm_int8(
                    kernels, quantized.values, rows, inputs, quantized.scales, quantized.zeros, packed, scales, sums, bias, gelu ? 1 : 0, c,
                    outputs, panels.lowerBound, panels.upperBound)
            }
        }
    }

    /// Activations quantized per row for an int8 product, shared by the two threads of a pass.
    struct QuantizedRows: @unchecked Sendable {
        let values: UnsafeMutablePointer<UInt8>
        let scales: UnsafeMutablePointer<Float>
        let zeros: UnsafeMutablePointer<Int32>

        init(rows: Int, width: Int) {
            values = .allocate(capacity: rows * width)
            scales = .allocate(capacity: rows)
            zeros = .allocate(capacity: rows)
        }

        func deallocate() {
            values.deallocate()
            scales.deallocate()
            zeros.deallocate()
        }
    }

    /// One transformer layer.
    struct Layer {
        var qkv: Linear  // 384 -> 1152: query | key | value
        var output: Linear  // 384 -> 384
        var attentionNorm: (gamma: [Float], beta: [Float])
        var up: Linear  // 384 -> 1536
        var down: Linear  // 1536 -> 384
        var outputNorm: (gamma: [Float], beta: [Float])
    }

    let vocabularySize: Int
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    /// Token type 0's embedding (single sentences only ever use type 0).
    let tokenType: [Float]
    let embeddingNorm: (gamma: [Float], beta: [Float])
    let layers: [Layer]
    /// The instruction set every kernel runs on.
    let kernels: sy_kernels
    /// The matrix products' precision.
    let precision: MiniLMPrecision
    /// The two threads of a forward pass, one pass at a time.
    private let team: Mutex<OpaquePointer>

    /// Reads every weight from `weights`, checking each shape, and starts the helper thread.
    init(_ weights: SafeTensors, kernels: sy_kernels, precision: MiniLMPrecision) throws {
        self.kernels = kernels
        self.precision = precision
        let h = Self.hidden, i = Self.intermediate
        guard let shape = weights.shape("embeddings.word_embeddings.weight"), shape.count == 2, shape[1] == h else {
            throw MiniLMError.badWeights("no embeddings.word_embeddings.weight of width \(h)")
        }
        vocabularySize = shape[0]
        wordEmbeddings = try weights.tensor("embeddings.word_embeddings.weight", shape: [vocabularySize, h])
        positionEmbeddings = try weights.tensor("embeddings.position_embeddings.weight", shape: [Self.maxPositions, h])
        tokenType = Array(try weights.tensor("embeddings.token_type_embeddings.weight", shape: [2, h])[0..<h])
        embeddingNorm = (try weights.tensor("embeddings.LayerNorm.weight", shape: [h]), try weights.tensor("embeddings.LayerNorm.bias", shape: [h]))
        layers = try (0..<Self.layerCount).map { n in
            let p = "encoder.layer.\(n)."
            func weight(_ name: String, _ outputs: Int, _ inputs: Int) throws -> (weight: [Float], bias: [Float]) {
                (try weights.tensor(p + name + ".weight", shape: [outputs, inputs]), try weights.tensor(p + name + ".bias", shape: [outputs]))
            }
            func linear(_ name: String, _ outputs: Int, _ inputs: Int) throws -> Linear {
                let (w, b) = try weight(name, outputs, inputs)
                return Linear(torch: w, bias: b, outputs: outputs, inputs: inputs, precision: precision)
            }
            func norm(_ name: String) throws -> (gamma: [Float], beta: [Float]) {
                (try weights.tensor(p + name + ".weight", shape: [h]), try weights.tensor(p + name + ".bias", shape: [h]))
            }
            // Query, key and value stacked: one product gives all three.
            let q = try weight("attention.self.query", h, h), k = try weight("attention.self.key", h, h)
            let v = try weight("attention.self.value", h, h)
            return Layer(
                qkv: Linear(
                    torch: q.weight + k.weight + v.weight, bias: q.bias + k.bias + v.bias, outputs: 3 * h, inputs: h, precision: precision),
                output: try linear("attention.output.dense", h, h), attentionNorm: try norm("attention.output.LayerNorm"),
                up: try linear("intermediate.dense", i, h), down: try linear("output.dense", h, i),
                outputNorm: try norm("output.LayerNorm"))
        }
        guard let team = sy_team_create() else { throw MiniLMError.badWeights("cannot start the encoder's helper thread") }
        self.team = Mutex(team)
    }

    deinit {
        team.withLock { sy_team_destroy($0) }
    }

    static func transposed(_ matrix: [Float], rows: Int, columns: Int) -> [Float] {
        var result = [Float](repeating: 0, count: matrix.count)
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = matrix[r * columns + c] } }
        return result
    }

    /// The sentence embedding of every sequence of `batch` (token ids, [CLS] ... [SEP]).
    ///
    /// The tokens of all sequences are laid end to end, with no padding: every layer but
    /// attention works token by token, so a batch of mixed lengths costs what its tokens cost.
    /// Two threads (the caller and the encoder's helper) share every stage, meeting at a spin
    /// barrier between stages: each product splits the weight panels, attention the (sequence,
    /// head) pairs, LayerNorm the rows.
    func embed(_ batch: [[Int32]]) -> [[Float]] {
        let offsets = batch.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let rows = offsets.last!
        guard rows > 0 else { return batch.map { _ in [Float](repeating: 0, count: Self.hidden) } }
        let buffers = Buffers(rows: rows, quantizing: precision == .int8)
        defer { buffers.deallocate() }
        let (h, i) = (Self.hidden, Self.intermediate)
        team.withLock { team in
            nonisolated(unsafe) let team = team
            Self.run(team) { part in
                let barrier = { sy_team_barrier(team) }
                let (kernels, quantized, mine) = (self.kernels, buffers.quantized, Self.half(rows, part))
                // int8: each thread quantizes its half of a product's rows into the shared buffer
                // (after LayerNorm, with the rows it normalized), then both meet before the product.
                let int8 = self.precision == .int8
                let quantize = { (a: UnsafeMutablePointer<Float>, width: Int) in
                    if int8 { self.quantize(a, width: width, rows: mine, into: quantized) }
                }
                if part == 0 { self.embedTokens(batch, into: buffers.states) }
                barrier()
                quantize(buffers.states, h)
                if int8 { barrier() }
                for layer in self.layers {
                    layer.qkv.apply(buffers.states, rows: rows, into: buffers.qkv, part: part, kernels: kernels, quantized: quantized)
                    barrier()
                    self.attention(offsets: offsets, buffers, part: part)
                    barrier()
                    quantize(buffers.context, h)
                    if int8 { barrier() }
                    layer.output.apply(buffers.context, rows: rows, into: buffers.scratch, part: part, kernels: kernels, quantized: quantized)
                    barrier()
                    self.normalize(buffers, rows: mine, norm: layer.attentionNorm)
                    quantize(buffers.states, h)
                    barrier()
                    layer.up.apply(buffers.states, rows: rows, into: buffers.up, part: part, kernels: kernels, quantized: quantized, gelu: true)
                    barrier()
                    quantize(buffers.up, i)
                    if int8 { barrier() }
                    layer.down.apply(buffers.up, rows: rows, into: buffers.scratch, part: part, kernels: kernels, quantized: quantized)
                    barrier()
                    self.normalize(buffers, rows: mine, norm: layer.outputNorm)
                    quantize(buffers.states, h)
                    barrier()
                }
            }
        }
        let states = UnsafeBufferPointer(start: buffers.states, count: rows * h)
        return batch.indices.map { s in pool(states, first: offsets[s], tokens: batch[s].count) }
    }

    /// Quantizes `rows` of a (rows `width` floats apart) into `quantized`, at the same rows.
    private func quantize(_ a: UnsafeMutablePointer<Float>, width: Int, rows: Range<Int>, into quantized: QuantizedRows) {
        let first = rows.lowerBound
        sy_quantize_rows(
            kernels, a + first * width, width, rows.count, width, quantized.values + first * width, quantized.scales + first,
            quantized.zeros + first)
    }

    /// Runs `body(0)` here and `body(1)` on the helper thread of `team`.
    private static func run(_ team: OpaquePointer, _ body: (Int) -> Void) {
        final class Job {
            let body: (Int) -> Void
            init(_ body: @escaping (Int) -> Void) { self.body = body }
        }
        withoutActuallyEscaping(body) { body in
            let job = Job(body)
            withExtendedLifetime(job) {
                sy_team_run(team, { context, part in
                    Unmanaged<Job>.fromOpaque(context!).takeUnretainedValue().body(Int(part))
                }, Unmanaged.passUnretained(job).toOpaque())
            }
        }
    }

    /// Part `part` (0 or 1) of `0..<count`: its first or second half.
    static func half(_ count: Int, _ part: Int) -> Range<Int> { part == 0 ? 0..<count / 2 : count / 2..<count }

    /// states[rows] = LayerNorm(states + scratch) for the rows given.
    private func normalize(_ buffers: Buffers, rows: Range<Int>, norm: (gamma: [Float], beta: [Float])) {
        let h = Self.hidden
        let states = buffers.states + rows.lowerBound * h
        sy_residual_layer_norm(
            kernels, states, buffers.scratch + rows.lowerBound * h, states, norm.gamma, norm.beta, rows.count, h, Self.epsilon)
    }

    /// The working memory of one batch: the hidden states, the query/key/value products, the
    /// attention output, a scratch matrix and the feed-forward activations, a row per token; for
    /// int8 products, the quantized input of the next product (one buffer serves all four: each
    /// is written after the product before it has read it).
    struct Buffers: @unchecked Sendable {
        let states, qkv, context, scratch, up: UnsafeMutablePointer<Float>
        let quantized: QuantizedRows

        init(rows: Int, quantizing: Bool) {
            states = .allocate(capacity: rows * BertEncoder.hidden)
            qkv = .allocate(capacity: rows * 3 * BertEncoder.hidden)
            context = .allocate(capacity: rows * BertEncoder.hidden)
            scratch = .allocate(capacity: rows * BertEncoder.hidden)
            up = .allocate(capacity: rows * BertEncoder.intermediate)
            quantized = QuantizedRows(rows: quantizing ? rows : 0, width: BertEncoder.intermediate)
        }

        func deallocate() {
            for buffer in [states, qkv, context, scratch, up] { buffer.deallocate() }
            quantized.deallocate()
        }
    }

    /// Word + position + token type 0 embeddings of every token, layer-normalized.
    private func embedTokens(_ batch: [[Int32]], into states: UnsafeMutablePointer<Float>) {
        let h = Self.hidden
        var row = states
        wordEmbeddings.withUnsafeBufferPointer { words in
            positionEmbeddings.withUnsafeBufferPointer { positions in
                for ids in batch {
                    for (t, id) in ids.enumerated() {
                        let word = words.baseAddress! + Int(id) * h, position = positions.baseAddress! + t * h
                        for c in 0..<h { row[c] = word[c] + position[c] + tokenType[c] }
                        row += h
                    }
                }
            }
        }
        sy_layer_norm(kernels, states, states, embeddingNorm.gamma, embeddingNorm.beta, (row - states) / h, h, Self.epsilon)
    }

    /// Part `part`'s share of multi-head self-attention within each sequence: every other
    /// (sequence, head) pair.
    private func attention(offsets: [Int], _ buffers: Buffers, part: Int) {
        let h = Self.hidden, width = 3 * h, d = Self.headSize
        let scale = 1 / Float(d).squareRoot()
        let jobs = (offsets.count - 1) * Self.heads
        let longest = zip(offsets, offsets.dropFirst()).map { $1 - $0 }.max() ?? 0
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: sy_attention_scratch(longest))
        defer { scratch.deallocate() }
        for job in stride(from: part, to: jobs, by: 2) {
            let s = job / Self.heads, head = job % Self.heads
            let first = offsets[s], n = offsets[s + 1] - first
            let q = buffers.qkv + first * width + head * d
            sy_attention_head(kernels, q, q + h, q + 2 * h, width, n, scale, buffers.context + first * h + head * d, h, scratch)
        }
    }

    /// The mean of a sequence's token states, L2-normalized.
    private func pool(_ states: UnsafeBufferPointer<Float>, first: Int, tokens: Int) -> [Float] {
        let h = Self.hidden
        var sum = [Float](repeating: 0, count: h)
        for t in 0..<tokens {
            let row = (first + t) * h
            for c in 0..<h { sum[c] += states[row + c] }
        }
        var norm: Float = 0
        for c in 0..<h {
            sum[c] /= Float(tokens)
            norm += sum[c] * sum[c]
        }
        let scale = 1 / max(norm.squareRoot(), 1e-12)
        return sum.map { $0 * scale }
    }
}
