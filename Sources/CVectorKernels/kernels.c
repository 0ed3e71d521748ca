#include "CVectorKernels.h"

// Portable: 8 independent partial sums, so the compiler can keep several lanes busy.
static void dot_rows_portable(const float *rows, size_t count, size_t dim, const float *query, float *out) {
    for (size_t r = 0; r < count; r++) {
        const float *row = rows + r * dim;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        size_t i = 0;
        for (; i + 8 <= dim; i += 8) {
            for (int j = 0; j < 8; j++) acc[j] += row[i + j] * query[i + j];
        }
        float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; i < dim; i++) sum += row[i] * query[i];
        out[r] = sum;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static inline float hsum256(__m256 s) __attribute__((target("avx2,fma")));
static inline float hsum256(__m256 s) {
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

// Four rows at a time share each load of the query: the loop is bound by loads, not FMAs. One
// body for both instruction sets: the vector type, its width and its intrinsics are the macro's.
#define DOT_ROWS(NAME, TARGET, VEC, WIDTH, ZERO, LOAD, FMA, HSUM)                                       \
    __attribute__((target(TARGET))) static void NAME(const float *rows, size_t count, size_t dim,       \
                                                     const float *query, float *out) {                  \
        size_t r = 0;                                                                                    \
        size_t body = dim & ~(size_t)(WIDTH - 1);                                                        \
        for (; r + 4 <= count; r += 4) {                                                                 \
            const float *p0 = rows + r * dim, *p1 = p0 + dim, *p2 = p1 + dim, *p3 = p2 + dim;            \
            VEC a0 = ZERO(), a1 = ZERO(), a2 = ZERO(), a3 = ZERO();                                      \
            for (size_t i = 0; i < body; i += WIDTH) {                                                   \
                VEC q = LOAD(query + i);                                                                 \
                a0 = FMA(LOAD(p0 + i), q, a0);                                                           \
                a1 = FMA(LOAD(p1 + i), q, a1);                                                           \
                a2 = FMA(LOAD(p2 + i), q, a2);                                                           \
                a3 = FMA(LOAD(p3 + i), q, a3);                                                           \
            }                                                                                            \
            float s0 = HSUM(a0), s1 = HSUM(a1), s2 = HSUM(a2), s3 = HSUM(a3);                            \
            for (size_t i = body; i < dim; i++) {                                                        \
                s0 += p0[i] * query[i]; s1 += p1[i] * query[i]; s2 += p2[i] * query[i]; s3 += p3[i] * query[i]; \
            }                                                                                            \
            out[r] = s0; out[r + 1] = s1; out[r + 2] = s2; out[r + 3] = s3;                              \
        }                                                                                                \
        if (r < count) dot_rows_portable(rows + r * dim, count - r, dim, query, out + r);                \
    }

DOT_ROWS(dot_rows_avx2, "avx2,fma", __m256, 8, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_fmadd_ps, hsum256)
DOT_ROWS(dot_rows_avx512, "avx512f", __m512, 16, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_fmadd_ps, _mm512_reduce_add_ps)

typedef void (*dot_rows_fn)(const float *, size_t, size_t, const float *, float *);

static dot_rows_fn choose(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return dot_rows_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dot_rows_avx2;
    return dot_rows_portable;
}

void sy_dot_rows(const float *rows, size_t count, size_t dim, const float *query, float *out) {
    static dot_rows_fn chosen = 0;
    dot_rows_fn fn = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (!fn) {
        fn = choose();
        __atomic_store_n(&chosen, fn, __ATOMIC_RELAXED);
    }
    fn(rows, count, dim, query, out);
}
#else
void sy_dot_rows(const float *rows, size_t count, size_t dim, const float *query, float *out) {
    dot_rows_portable(rows, count, dim, query, out);
}
#endif
