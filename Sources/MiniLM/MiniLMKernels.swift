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
