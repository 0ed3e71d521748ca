#ifndef SWITCHYARD_TRANSFORMER_KERNELS_H
#define SWITCHYARD_TRANSFORMER_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/// The instruction sets the kernels are compiled for. Every kernel takes the one to run: the best
/// this CPU has (`sy_kernels_best`), or a lower one (tests run each; benchmarks compare them).
typedef enum sy_kernels {
    SY_KERNELS_PORTABLE = 0,
    SY_KERNELS_AVX2 = 1,
    SY_KERNELS_AVX512 = 2,
} sy_kernels;

/// The best set this CPU runs (AVX-512 F/BW/VL, else AVX2 with FMA, else portable).
sy_kernels sy_kernels_best(void);

/// x[r][c] = gelu(x[r][c]) for the rows x cols block of a matrix whose rows lie `stride` floats
/// apart, with the exact (erf) GELU of BERT to within 2e-7.
void sy_gelu(sy_kernels kernels, float *x, size_t rows, size_t cols, size_t stride);

/// out[r] = LayerNorm(x[r] + residual[r]) * gamma + beta, row by row (out may be residual).
void sy_residual_layer_norm(
    sy_kernels kernels, float *out, const float *x, const float *residual, const float *gamma, const float *beta, size_t rows, size_t cols,
    float epsilon);

/// out[r] = LayerNorm(x[r]) * gamma + beta.
void sy_layer_norm(sy_kernels kernels, float *out, const float *x, const float *gamma, const float *beta, size_t rows, size_t cols, float epsilon);

/// One attention head of 32 dimensions over the n tokens of one sequence:
/// out[i] = sum_j softmax_j(scale * q_i . k_j) v_j. The rows of q, k and v lie `stride` floats
/// apart, those of out `out_stride` apart; scratch holds `sy_attention_scratch(n)` floats.
void sy_attention_head(sy_kernels kernels, const float *q, const float *k, const float *v, size_t stride, size_t n, float scale,
                       float *out, size_t out_stride, float *scratch);

/// Floats of scratch `sy_attention_head` needs for n tokens.
size_t sy_attention_scratch(size_t n);

/// Floats `sy_pack_weights` writes for a k x n matrix.
size_t sy_packed_size(size_t k, size_t n);

/// Packs B (k x n, row-major, n a multiple of 32) into panels of 32 columns for `sy_gemm_packed`.
void sy_pack_weights(const float *b, size_t k, size_t n, float *packed);

/// C (m x n) = A (m x k) x B + bias (bias may be NULL), over the panels [first_panel, end_panel)
/// of B packed by `sy_pack_weights` (so two threads can take half the panels each): AVX-512
/// micro-kernels, or vectorized C compiled for AVX2 or portable.
void sy_gemm_packed(sy_kernels kernels, const float *a, size_t lda, size_t m, size_t k, const float *packed, size_t n,
                    const float *bias, float *c, size_t ldc, size_t first_panel, size_t end_panel);

/// Bytes `sy_pack_weights_int8` writes for a k x n matrix (k a multiple of 4, n of 32).
size_t sy_packed_int8_size(size_t k, size_t n);

/// Quantizes B (k x n, row-major) to int8 per output column (symmetric: scales[j] = max |b[.][j]|
/// / 127) and packs it for `sy_gemm_int8`; column_sums[j] is the sum of column j's int8 values.
void sy_pack_weights_int8(const float *b, size_t k, size_t n, int8_t *packed, float *scales, int32_t *column_sums);

/// Quantizes each of the m rows of A (k floats, rows `lda` apart) to uint8 (asymmetric: the row's
/// range, which holds 0, over 255 steps): q (m x k), scales[r] and zeros[r] such that
/// a[r][c] ~ scales[r] * (q[r][c] - zeros[r]).
void sy_quantize_rows(sy_kernels kernels, const float *a, size_t lda, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros);

/// C (m x n) = dequantized (q x packed) + bias, then GELU when `with_gelu` (BERT's exact GELU, as
/// `sy_gelu`, applied before the result is stored), over the panels [first_panel, end_panel) of B
/// packed by `sy_pack_weights_int8`, with int32 sums: AVX-512 VNNI micro-kernels where the CPU
/// has them (with SY_KERNELS_AVX512), or vectorized C compiled for AVX2 or portable.
void sy_gemm_int8(sy_kernels kernels, const uint8_t *q, size_t m, size_t k, const float *a_scales, const int32_t *a_zeros,
                  const int8_t *packed, const float *w_scales, const int32_t *column_sums, const float *bias, int with_gelu, float *c,
                  size_t ldc, size_t first_panel, size_t end_panel);

/// Whether this CPU has AVX-512 VNNI (what `sy_gemm_int8` uses under SY_KERNELS_AVX512).
int sy_kernels_have_vnni(void);

/// Two threads for one job: the caller and a helper thread (spinning briefly between jobs, then
/// sleeping), synchronized by a spin barrier.
typedef struct sy_team sy_team;

/// Starts the helper thread; NULL when it cannot.
sy_team *sy_team_create(void);

/// Stops and joins the helper thread.
void sy_team_destroy(sy_team *team);

/// Runs fn(ctx, 0) on the calling thread and fn(ctx, 1) on the helper; returns when both have.
/// One job at a time per team.
void sy_team_run(sy_team *team, void (*fn)(void *ctx, int part), void *ctx);

/// Inside a job: returns once both parts have called it.
void sy_team_barrier(sy_team *team);

#endif
