#ifndef SWITCHYARD_VECTOR_KERNELS_H
#define SWITCHYARD_VECTOR_KERNELS_H

#include <stddef.h>

/// out[r] = dot(rows[r * dim ..< (r + 1) * dim], query) for r in 0 ..< count.
///
/// Uses AVX-512, or AVX2 + FMA, when the CPU has them (checked once at run time), portable C otherwise, so one
/// binary runs everywhere and is fast where it can be.
void sy_dot_rows(const float *rows, size_t count, size_t dim, const float *query, float *out);

#endif
