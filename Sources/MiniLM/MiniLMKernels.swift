import CTransformerKernels

/// The instruction set the encoder's kernels are compiled for: the best this CPU has by default;
/// a lower one for tests (every variant is checked against the reference) and benchmarks.
public enum MiniLMKernels: String, CaseIterable, Sendable {
    case portable, avx2, avx512

    /// The best this CPU runs.
    public static var best: MiniLMKernels { MiniLMKernels(sy_kernels_best()) }

    /// Whether this CPU runs them.
    public var isSupported: Bool { c.rawValue <= sy_kernels_best().rawValue }

    var c: sy_kernels {
        switch self {
        case .portable: SY_KERNELS_PORTABLE
        case .avx2: SY_KERNELS_AVX2
        case .avx512: SY_KERNELS_AVX512
        }
    }

    init(_ c: sy_kernels) {
        self = c == SY_KERNELS_AVX512 ? .avx512 : c == SY_KERNELS_AVX2 ? .avx2 : .portable
    }
}

/// The precision of the encoder's matrix products: int8 (dynamic quantization, as ONNX Runtime's
/// `quantize_dynamic`: weights per output column, activations per row, int32 sums; AVX-512 VNNI
/// where the CPU has it) or fp32. Attention, GELU and LayerNorm stay in fp32 either way.
public enum MiniLMPrecision: String, CaseIterable, Sendable {
    case int8, fp32
}
