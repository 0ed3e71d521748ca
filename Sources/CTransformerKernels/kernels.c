#include "CTransformerKernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

// Every loop below is plain C the compiler vectorizes. Each kernel's body is written once, as an
// always-inlined function, and compiled three times by VARIANTS: for AVX-512, for AVX2 with FMA,
// and portable; the public function runs the variant its caller asks for (`sy_kernels`: the best
// the CPU has, or a lower one forced by tests and benchmarks).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define X86 1
#define TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define TARGET_AVX2 __attribute__((target("avx2,fma")))
#else
#define X86 0
#define TARGET_AVX512
#define TARGET_AVX2
#endif
#define BODY static inline __attribute__((always_inline))

// The three compilations of `name##_body` and the public `name` that picks one.
#define VARIANTS(name, params, args)                                              \
    TARGET_AVX512 static void name##_avx512 params { name##_body args; }        \
    TARGET_AVX2 static void name##_avx2 params { name##_body args; }            \
    static void name##_portable params { name##_body args; }                    \
    void name(sy_kernels kernels, SY_UNPAREN params) {                          \
        switch (kernels) {                                                      \
        case SY_KERNELS_AVX512: name##_avx512 args; break;                      \
        case SY_KERNELS_AVX2: name##_avx2 args; break;                          \
        default: name##_portable args; break;                                   \
        }                                                                       \
    }
#define SY_UNPAREN(...) __VA_ARGS__

sy_kernels sy_kernels_best(void) {
#if X86
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                    ? SY_KERNELS_AVX512
                    : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? SY_KERNELS_AVX2 : SY_KERNELS_PORTABLE;
    }
    return (sy_kernels)known;
#else
    return SY_KERNELS_PORTABLE;
#endif
}

// Cephes' expf: range reduction to [-ln2/2, ln2/2] and a degree-6 polynomial (about 1e-7
// relative error), in operations that vectorize (no libm call).
static inline float fast_exp(float x) {
    x = fminf(fmaxf(x, -87.3f), 88.7f);
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

// Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
static inline float erf_approx(float x) {
    float a = fabsf(x);
    float t = 1.0f / (1.0f + 0.3275911f * a);
    float y = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
    float e = 1.0f - y * fast_exp(-a * a);
    return x < 0 ? -e : e;
}

BODY void sy_gelu_body(float *x, size_t rows, size_t cols, size_t stride) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * stride;
        for (size_t c = 0; c < cols; c++) {
            float v = row[c];
            row[c] = 0.5f * v * (1.0f + erf_approx(v * 0.70710678118654752f));
        }
    }
}

VARIANTS(sy_gelu, (float *x, size_t rows, size_t cols, size_t stride), (x, rows, cols, stride))

// Sums kept in 16 lanes so the loops vectorize (a single running float sum would not: the
// compiler may not reorder float additions). cols must be a multiple of 16 for the vector part.
static inline float lane_sum(const float lanes[16]) {
    float total = 0;
    for (int l = 0; l < 16; l++) total += lanes[l];
    return total;
}

static inline void normalize_row(float *out, const float *in, const float *gamma, const float *beta, size_t cols, float epsilon) {
    float lanes[16] = {0};
    size_t body = cols & ~(size_t)15;
    for (size_t c = 0; c < body; c += 16)
        for (int l = 0; l < 16; l++) lanes[l] += in[c + l];
    float mean = lane_sum(lanes);
    for (size_t c = body; c < cols; c++) mean += in[c];
    mean /= (float)cols;
    for (int l = 0; l < 16; l++) lanes[l] = 0;
    for (size_t c = 0; c < body; c += 16)
        for (int l = 0; l < 16; l++) {
            float d = in[c + l] - mean;
            lanes[l] += d * d;
        }
    float variance = lane_sum(lanes);
    for (size_t c = body; c < cols; c++) variance += (in[c] - mean) * (in[c] - mean);
    float inverse = 1.0f / sqrtf(variance / (float)cols + epsilon);
    for (size_t c = 0; c < cols; c++) out[c] = (in[c] - mean) * inverse * gamma[c] + beta[c];
}

BODY void sy_residual_layer_norm_body(
    float *out, const float *x, const float *residual, const float *gamma, const float *beta, size_t rows, size_t cols,
    float epsilon) {
    float sum[cols];
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols, *rr = residual + r * cols;
        for (size_t c = 0; c < cols; c++) sum[c] = xr[c] + rr[c];
        normalize_row(out + r * cols, sum, gamma, beta, cols, epsilon);
    }
}

VARIANTS(sy_residual_layer_norm,
         (float *out, const float *x, const float *residual, const float *gamma, const float *beta, size_t rows, size_t cols,
          float epsilon),
         (out, x, residual, gamma, beta, rows, cols, epsilon))

BODY void sy_layer_norm_body(float *out, const float *x, const float *gamma, const float *beta, size_t rows, size_t cols, float epsilon) {
    for (size_t r = 0; r < rows; r++) normalize_row(out + r * cols, x + r * cols, gamma, beta, cols, epsilon);
}

VARIANTS(sy_layer_norm, (float *out, const float *x, const float *gamma, const float *beta, size_t rows, size_t cols, float epsilon),
         (out, x, gamma, beta, rows, cols, epsilon))

enum { HEAD = 32, LANES = 16, QUERIES = 4 };

// QUERIES queries at a time share every load of the keys and of the values.
BODY void sy_attention_head_body(const float *q, const float *k, const float *v, size_t stride, size_t n, float scale,
                       float *out, size_t out_stride, float *scratch) {
    // The keys transposed (HEAD rows of `width` floats, zero past n), so 16 keys meet a query per
    // vector operation; then QUERIES rows of scores.
    size_t width = (n + LANES - 1) / LANES * LANES;
    float *keys = scratch, *p = scratch + HEAD * width;
    for (size_t c = 0; c < HEAD; c++)
        for (size_t j = n; j < width; j++) keys[c * width + j] = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t c = 0; c < HEAD; c++) keys[c * width + j] = k[j * stride + c];
    for (size_t i0 = 0; i0 < n; i0 += QUERIES) {
        size_t count = n - i0 < QUERIES ? n - i0 : QUERIES;
        float qs[QUERIES][HEAD];
        for (size_t a = 0; a < QUERIES; a++)
            for (size_t c = 0; c < HEAD; c++) qs[a][c] = a < count ? q[(i0 + a) * stride + c] * scale : 0;
        float tops[QUERIES][LANES];
        for (size_t a = 0; a < QUERIES; a++)
            for (size_t j = 0; j < LANES; j++) tops[a][j] = -INFINITY;
        for (size_t j0 = 0; j0 < width; j0 += LANES) {
            float acc[QUERIES][LANES] = {{0}};
            for (size_t c = 0; c < HEAD; c++) {
                const float *row = keys + c * width + j0;
                for (size_t a = 0; a < QUERIES; a++)
                    for (size_t j = 0; j < LANES; j++) acc[a][j] += qs[a][c] * row[j];
            }
            for (size_t a = 0; a < QUERIES; a++)
                for (size_t j = 0; j < LANES; j++) {
                    float value = j0 + j < n ? acc[a][j] : -INFINITY;
                    p[a * width + j0 + j] = value;
                    tops[a][j] = fmaxf(tops[a][j], value);
                }
        }
        float inverse[QUERIES];
        for (size_t a = 0; a < QUERIES; a++) {
            float top = tops[a][0];
            for (size_t j = 1; j < LANES; j++) top = fmaxf(top, tops[a][j]);
            float totals[LANES] = {0};
            float *pa = p + a * width;
            for (size_t j0 = 0; j0 < width; j0 += LANES)
                for (size_t j = 0; j < LANES; j++) {
                    pa[j0 + j] = fast_exp(pa[j0 + j] - top);
                    totals[j] += pa[j0 + j];
                }
            inverse[a] = 1.0f / lane_sum(totals);
        }
        float o[QUERIES][HEAD] = {{0}};
        for (size_t j = 0; j < n; j++) {
            const float *vj = v + j * stride;
            for (size_t a = 0; a < QUERIES; a++) {
                float w = p[a * width + j];
                for (size_t c = 0; c < HEAD; c++) o[a][c] += w * vj[c];
            }
        }
        for (size_t a = 0; a < count; a++)
            for (size_t c = 0; c < HEAD; c++) out[(i0 + a) * out_stride + c] = o[a][c] * inverse[a];
    }
}

VARIANTS(sy_attention_head,
         (const float *q, const float *k, const float *v, size_t stride, size_t n, float scale, float *out, size_t out_stride,
          float *scratch),
         (q, k, v, stride, n, scale, out, out_stride, scratch))

size_t sy_attention_scratch(size_t n) { return (HEAD + QUERIES) * ((n + LANES - 1) / LANES * LANES); }


// ---------------------------------------------------------------------------------------------
// Matrix products against weights packed once: B (k x n, row-major) is cut into panels of 32
// columns, each stored k rows x 32 floats contiguously, so the product streams it in order and
// never repacks it per call (OpenBLAS packs B on every call: most of the work when A has a few
// dozen rows, as one prompt does).

enum { PANEL = 32, ROWS = 14, BLOCK_BYTES = 256 * 1024 };

size_t sy_packed_size(size_t k, size_t n) { return k * n; }

void sy_pack_weights(const float *b, size_t k, size_t n, float *packed) {
    for (size_t p = 0; p < n / PANEL; p++)
        for (size_t kk = 0; kk < k; kk++)
            for (size_t j = 0; j < PANEL; j++) packed[(p * k + kk) * PANEL + j] = b[kk * n + p * PANEL + j];
}

// Portable: one panel against `rows` rows of A (vectorized over the 32 columns).
BODY void panel_body(const float *a, size_t lda, size_t rows, size_t k, const float *panel, const float *bias, float *c, size_t ldc) {
    for (size_t r = 0; r < rows; r++) {
        float acc[PANEL];
        for (size_t j = 0; j < PANEL; j++) acc[j] = bias ? bias[j] : 0;
        const float *ar = a + r * lda;
        for (size_t kk = 0; kk < k; kk++) {
            float x = ar[kk];
            const float *bk = panel + kk * PANEL;
            for (size_t j = 0; j < PANEL; j++) acc[j] += x * bk[j];
        }
        for (size_t j = 0; j < PANEL; j++) c[r * ldc + j] = acc[j];
    }
}

TARGET_AVX2 static void panel_avx2(const float *a, size_t lda, size_t rows, size_t k, const float *panel, const float *bias, float *c,
                                   size_t ldc) {
    panel_body(a, lda, rows, k, panel, bias, c, ldc);
}

static void panel_portable(const float *a, size_t lda, size_t rows, size_t k, const float *panel, const float *bias, float *c,
                           size_t ldc) {
    panel_body(a, lda, rows, k, panel, bias, c, ldc);
}

#if X86
#include <immintrin.h>

// AVX-512: ROWS rows x 32 columns in 28 registers; each step loads two vectors of the panel and
// multiplies them by each row's element, broadcast. The accumulators start at the bias (or 0).
#define MICRO(MR)                                                                                       \
    TARGET_AVX512 static void micro_##MR(                                           \
        const float *a, size_t lda, size_t k, const float *panel, const float *bias, float *c, size_t ldc) { \
        __m512 acc0[MR], acc1[MR];                                                                       \
        __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();                                  \
        __m512 b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();                             \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                               \
            acc0[r] = b0;                                                                                \
            acc1[r] = b1;                                                                                \
        }                                                                                                \
        for (size_t kk = 0; kk < k; kk++) {                                                              \
            __m512 p0 = _mm512_loadu_ps(panel + kk * PANEL), p1 = _mm512_loadu_ps(panel + kk * PANEL + 16); \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                           \
                __m512 x = _mm512_set1_ps(a[r * lda + kk]);                                              \
                acc0[r] = _mm512_fmadd_ps(x, p0, acc0[r]);                                               \
                acc1[r] = _mm512_fmadd_ps(x, p1, acc1[r]);                                               \
            }                                                                                            \
        }                                                                                                \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                               \
            _mm512_storeu_ps(c + r * ldc, acc0[r]);                                                      \
            _mm512_storeu_ps(c + r * ldc + 16, acc1[r]);                                                 \
        }                                                                                                \
    }
MICRO(14) MICRO(13) MICRO(12) MICRO(11) MICRO(10) MICRO(9) MICRO(8) MICRO(7) MICRO(6) MICRO(5) MICRO(4) MICRO(3) MICRO(2) MICRO(1)

typedef void (*micro_fn)(const float *, size_t, size_t, const float *, const float *, float *, size_t);
static const micro_fn micro[ROWS + 1] = {0, micro_1, micro_2, micro_3, micro_4, micro_5, micro_6, micro_7,
                                         micro_8, micro_9, micro_10, micro_11, micro_12, micro_13, micro_14};

#endif

void sy_gemm_packed(sy_kernels kernels, const float *a, size_t lda, size_t m, size_t k, const float *packed, size_t n,
                    const float *bias, float *c, size_t ldc, size_t first_panel, size_t end_panel) {
    (void)n;
    // Blocks of rows of A small enough to stay in L2 while every panel streams past them.
    size_t block = BLOCK_BYTES / (k * sizeof(float)) / ROWS * ROWS;
    if (block < ROWS) block = ROWS;
    for (size_t r0 = 0; r0 < m; r0 += block) {
        size_t rows = m - r0 < block ? m - r0 : block;
        const float *ab = a + r0 * lda;
        float *cb = c + r0 * ldc;
        for (size_t p = first_panel; p < end_panel; p++) {
            const float *panel = packed + p * k * PANEL;
            const float *bp = bias ? bias + p * PANEL : 0;
            float *cp = cb + p * PANEL;
#if X86
            if (kernels == SY_KERNELS_AVX512) {
                size_t r = 0;
                for (; r + ROWS <= rows; r += ROWS) micro[ROWS](ab + r * lda, lda, k, panel, bp, cp + r * ldc, ldc);
                if (r < rows) micro[rows - r](ab + r * lda, lda, k, panel, bp, cp + r * ldc, ldc);
                continue;
            }
#endif
            if (kernels == SY_KERNELS_AVX2) {
                panel_avx2(ab, lda, rows, k, panel, bp, cp, ldc);
            } else {
                panel_portable(ab, lda, rows, k, panel, bp, cp, ldc);
            }
        }
    }
}


// ---------------------------------------------------------------------------------------------
// Dynamic int8 products (ONNX Runtime's `quantize_dynamic` scheme): weights quantized once per
// output column (symmetric, int8), activations per row at every call (asymmetric, uint8 with a
// zero point), products summed in int32 and scaled back:
//   c[r][j] = sa[r] * sw[j] * (sum_k qa[r][k] * qw[k][j] - za[r] * colsum_qw[j]) + bias[j].
// The weights are packed in panels of 32 columns, each k/4 groups of (32 columns x 4 rows) bytes:
// the layout AVX-512 VNNI's vpdpbusd reads (4 uint8 x 4 int8 products into each int32 lane).

size_t sy_packed_int8_size(size_t k, size_t n) { return k * n; }

void sy_pack_weights_int8(const float *b, size_t k, size_t n, int8_t *packed, float *scales, int32_t *column_sums) {
    for (size_t j = 0; j < n; j++) {
        float largest = 0;
        for (size_t kk = 0; kk < k; kk++) largest = fmaxf(largest, fabsf(b[kk * n + j]));
        scales[j] = largest > 0 ? largest / 127.0f : 1.0f;
        column_sums[j] = 0;
    }
    for (size_t p = 0; p < n / PANEL; p++)
        for (size_t g = 0; g < k / 4; g++)
            for (size_t j = 0; j < PANEL; j++)
                for (size_t i = 0; i < 4; i++) {
                    size_t column = p * PANEL + j, row = g * 4 + i;
                    float q = nearbyintf(b[row * n + column] / scales[column]);
                    int8_t value = (int8_t)fmaxf(-127.0f, fminf(127.0f, q));
                    packed[((p * (k / 4) + g) * PANEL + j) * 4 + i] = value;
                    column_sums[column] += value;
                }
}

BODY void sy_quantize_rows_body(const float *a, size_t lda, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros) {
    for (size_t r = 0; r < m; r++) {
        const float *row = a + r * lda;
        // The range, in 16 lanes so the loop vectorizes; it holds 0, so 0 quantizes exactly.
        float lo_lanes[16] = {0}, hi_lanes[16] = {0};
        size_t body = k & ~(size_t)15;
        for (size_t c = 0; c < body; c += 16)
            for (int l = 0; l < 16; l++) {
                float v = row[c + l];
                lo_lanes[l] = v < lo_lanes[l] ? v : lo_lanes[l];
                hi_lanes[l] = v > hi_lanes[l] ? v : hi_lanes[l];
            }
        float lo = 0, hi = 0;
        for (int l = 0; l < 16; l++) {
            lo = lo_lanes[l] < lo ? lo_lanes[l] : lo;
            hi = hi_lanes[l] > hi ? hi_lanes[l] : hi;
        }
        for (size_t c = body; c < k; c++) {
            lo = row[c] < lo ? row[c] : lo;
            hi = row[c] > hi ? row[c] : hi;
        }
        float scale = hi > lo ? (hi - lo) / 255.0f : 1.0f;
        float zero = nearbyintf(-lo / scale);
        float inverse = 1.0f / scale;
        uint8_t *out = q + r * k;
        // Clamped to [0, 255], then rounded half up by truncating t + 0.5 (t >= 0): vectorizes.
        for (size_t c = 0; c < k; c++) {
            float t = row[c] * inverse + zero;
            t = t < 0.0f ? 0.0f : t;
            t = t > 255.0f ? 255.0f : t;
            out[c] = (uint8_t)(int32_t)(t + 0.5f);
        }
        scales[r] = scale;
        zeros[r] = (int32_t)zero;
    }
}

VARIANTS(sy_quantize_rows, (const float *a, size_t lda, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros),
         (a, lda, m, k, q, scales, zeros))

// Portable and AVX2: one panel against `rows` quantized rows, in plain C the compiler vectorizes.
static inline float gelu(float v) { return 0.5f * v * (1.0f + erf_approx(v * 0.70710678118654752f)); }

BODY void panel_int8_body(const uint8_t *q, size_t k, size_t rows, const float *a_scales, const int32_t *a_zeros, const int8_t *panel,
                          const float *w_scales, const int32_t *column_sums, const float *bias, int with_gelu, float *c, size_t ldc) {
    for (size_t r = 0; r < rows; r++) {
        int32_t acc[PANEL] = {0};
        const uint8_t *qr = q + r * k;
        for (size_t g = 0; g < k / 4; g++) {
            const int8_t *w = panel + g * PANEL * 4;
            for (size_t j = 0; j < PANEL; j++)
                for (size_t i = 0; i < 4; i++) acc[j] += (int32_t)qr[g * 4 + i] * (int32_t)w[j * 4 + i];
        }
        for (size_t j = 0; j < PANEL; j++) {
            float v = a_scales[r] * w_scales[j] * (float)(acc[j] - a_zeros[r] * column_sums[j]) + (bias ? bias[j] : 0.0f);
            c[r * ldc + j] = with_gelu ? gelu(v) : v;
        }
    }
}

TARGET_AVX2 static void panel_int8_avx2(const uint8_t *q, size_t k, size_t rows, const float *as, const int32_t *az, const int8_t *panel,
                                        const float *ws, const int32_t *sums, const float *bias, int with_gelu, float *c, size_t ldc) {
    panel_int8_body(q, k, rows, as, az, panel, ws, sums, bias, with_gelu, c, ldc);
}

static void panel_int8_portable(const uint8_t *q, size_t k, size_t rows, const float *as, const int32_t *az, const int8_t *panel,
                                const float *ws, const int32_t *sums, const float *bias, int with_gelu, float *c, size_t ldc) {
    panel_int8_body(q, k, rows, as, az, panel, ws, sums, bias, with_gelu, c, ldc);
}

#if X86
#define TARGET_VNNI __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx512vnni,avx2,fma")))

// AVX-512 VNNI: ROWS rows x 32 columns in 28 int32 accumulators; each step loads the panel's two
// vectors of a 4-row group and adds each row's 4 activations (broadcast) times them.
#define MICRO_INT8(MR)                                                                                          \
    TARGET_VNNI static void micro_int8_##MR(const uint8_t *q, size_t k, const float *as, const int32_t *az,     \
                                            const int8_t *panel, const float *ws, const int32_t *sums,          \
                                            const float *bias, int with_gelu, float *c, size_t ldc) {           \
        __m512i acc0[MR], acc1[MR];                                                                             \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                      \
            acc0[r] = _mm512_setzero_si512();                                                                   \
            acc1[r] = _mm512_setzero_si512();                                                                   \
        }                                                                                                       \
        for (size_t g = 0; g < k / 4; g++) {                                                                    \
            __m512i w0 = _mm512_loadu_si512(panel + g * PANEL * 4), w1 = _mm512_loadu_si512(panel + g * PANEL * 4 + 64); \
            _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                  \
                int32_t four;                                                                                   \
                memcpy(&four, q + r * k + g * 4, 4);                                                            \
                __m512i x = _mm512_set1_epi32(four);                                                            \
                acc0[r] = _mm512_dpbusd_epi32(acc0[r], x, w0);                                                  \
                acc1[r] = _mm512_dpbusd_epi32(acc1[r], x, w1);                                                  \
            }                                                                                                   \
        }                                                                                                       \
        __m512 s0 = _mm512_loadu_ps(ws), s1 = _mm512_loadu_ps(ws + 16);                                        \
        __m512i cs0 = _mm512_loadu_si512(sums), cs1 = _mm512_loadu_si512(sums + 16);                           \
        __m512 b0 = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();                                         \
        __m512 b1 = bias ? _mm512_loadu_ps(bias + 16) : _mm512_setzero_ps();                                    \
        _Pragma("clang loop unroll(full)") for (int r = 0; r < MR; r++) {                                      \
            __m512i z = _mm512_set1_epi32(az[r]);                                                               \
            __m512 sa = _mm512_set1_ps(as[r]);                                                                  \
            __m512 v0 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc0[r], _mm512_mullo_epi32(z, cs0)));              \
            __m512 v1 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc1[r], _mm512_mullo_epi32(z, cs1)));              \
            float out[PANEL];                                                                                   \
            _mm512_storeu_ps(out, _mm512_fmadd_ps(v0, _mm512_mul_ps(sa, s0), b0));                              \
            _mm512_storeu_ps(out + 16, _mm512_fmadd_ps(v1, _mm512_mul_ps(sa, s1), b1));                         \
            if (with_gelu)                                                                                      \
                for (int j = 0; j < PANEL; j++) out[j] = gelu(out[j]);                                          \
            _mm512_storeu_ps(c + r * ldc, _mm512_loadu_ps(out));                                                \
            _mm512_storeu_ps(c + r * ldc + 16, _mm512_loadu_ps(out + 16));                                      \
        }                                                                                                       \
    }
MICRO_INT8(14) MICRO_INT8(13) MICRO_INT8(12) MICRO_INT8(11) MICRO_INT8(10) MICRO_INT8(9) MICRO_INT8(8) MICRO_INT8(7)
MICRO_INT8(6) MICRO_INT8(5) MICRO_INT8(4) MICRO_INT8(3) MICRO_INT8(2) MICRO_INT8(1)

typedef void (*micro_int8_fn)(const uint8_t *, size_t, const float *, const int32_t *, const int8_t *, const float *, const int32_t *,
                              const float *, int, float *, size_t);
static const micro_int8_fn micro_int8[ROWS + 1] = {0, micro_int8_1, micro_int8_2, micro_int8_3, micro_int8_4, micro_int8_5,
                                                   micro_int8_6, micro_int8_7, micro_int8_8, micro_int8_9, micro_int8_10,
                                                   micro_int8_11, micro_int8_12, micro_int8_13, micro_int8_14};
#endif

int sy_kernels_have_vnni(void) {
#if X86
    static int known = -1;
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512vnni") && sy_kernels_best() == SY_KERNELS_AVX512;
    }
    return known;
#else
    return 0;
#endif
}

void sy_gemm_int8(sy_kernels kernels, const uint8_t *q, size_t m, size_t k, const float *a_scales, const int32_t *a_zeros,
                  const int8_t *packed, const float *w_scales, const int32_t *column_sums, const float *bias, int with_gelu, float *c,
                  size_t ldc, size_t first_panel, size_t end_panel) {
    size_t block = BLOCK_BYTES / k / ROWS * ROWS;
    if (block < ROWS) block = ROWS;
    for (size_t r0 = 0; r0 < m; r0 += block) {
        size_t rows = m - r0 < block ? m - r0 : block;
        const uint8_t *qb = q + r0 * k;
        for (size_t p = first_panel; p < end_panel; p++) {
            const int8_t *panel = packed + p * k * PANEL;
            const float *ws = w_scales + p * PANEL, *bp = bias ? bias + p * PANEL : 0;
            const int32_t *sums = column_sums + p * PANEL;
            float *cp = c + r0 * ldc + p * PANEL;
#if X86
            if (kernels == SY_KERNELS_AVX512 && sy_kernels_have_vnni()) {
                size_t r = 0;
                for (; r + ROWS <= rows; r += ROWS)
                    micro_int8[ROWS](qb + r * k, k, a_scales + r0 + r, a_zeros + r0 + r, panel, ws, sums, bp, with_gelu, cp + r * ldc, ldc);
                if (r < rows)
                    micro_int8[rows - r](qb + r * k, k, a_scales + r0 + r, a_zeros + r0 + r, panel, ws, sums, bp, with_gelu, cp + r * ldc,
                                         ldc);
                continue;
            }
#endif
            if (kernels == SY_KERNELS_PORTABLE) {
                panel_int8_portable(qb, k, rows, a_scales + r0, a_zeros + r0, panel, ws, sums, bp, with_gelu, cp, ldc);
            } else {
                panel_int8_avx2(qb, k, rows, a_scales + r0, a_zeros + r0, panel, ws, sums, bp, with_gelu, cp, ldc);
            }
        }
    }
}
