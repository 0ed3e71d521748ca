import CVectorKernels

/// Vector math on contiguous Float storage, vectorized with SIMD where the length allows.
public enum Vectors {
    /// The dot product of two equally long vectors.
    @inlinable
    public static func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "dot: \(a.count) vs \(b.count) dimensions")
        let n = a.count
        var i = 0
        var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
        let pa = UnsafeRawPointer(a.baseAddress!), pb = UnsafeRawPointer(b.baseAddress!)
        while i + 32 <= n {
            acc0 += pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc1 += pa.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * pb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        var sum = (acc0 + acc1).sum()
        while i < n {
            sum += a[i] * b[i]
            i += 1
        }
        return sum
    }

    /// `query` dotted with every row of `matrix`, through the C kernel the router's hot loop uses
    /// (AVX-512 or AVX2 where the CPU has it).
    public static func dotRows(_ matrix: Matrix, _ query: [Float]) -> [Float] {
        precondition(query.count == matrix.columns, "dotRows: \(query.count) vs \(matrix.columns) dimensions")
        return [Float](unsafeUninitializedCapacity: matrix.rows) { out, initialized in
            matrix.storage.withUnsafeBufferPointer { rows in
                query.withUnsafeBufferPointer { q in sy_dot_rows(rows.baseAddress, matrix.rows, matrix.columns, q.baseAddress, out.baseAddress) }
            }
            initialized = matrix.rows
        }
    }

    /// The dot product of two equally long arrays.
    @inlinable
    public static func dot(_ a: [Float], _ b: [Float]) -> Float {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
    }

    /// The squared Euclidean distance between two equally long vectors.
    @inlinable
    public static func squaredDistance(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        precondition(a.count == b.count, "distance: \(a.count) vs \(b.count) dimensions")
        var acc = SIMD16<Float>()
        var i = 0
        let pa = UnsafeRawPointer(a.baseAddress!), pb = UnsafeRawPointer(b.baseAddress!)
        while i + 16 <= a.count {
            let d = pa.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                - pb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            acc += d * d
            i += 16
        }
        var sum = acc.sum()
        while i < a.count {
            let d = a[i] - b[i]
            sum += d * d
            i += 1
        }
        return sum
    }

    /// The Euclidean norm.
    @inlinable
    public static func norm(_ a: [Float]) -> Float { dot(a, a).squareRoot() }

    /// The cosine similarity; 0 when either vector is zero.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let denominator = norm(a) * norm(b)
        return denominator > 0 ? dot(a, b) / denominator : 0
    }

    /// `a` scaled to unit length; a zero vector stays zero.
    public static func normalized(_ a: [Float]) -> [Float] {
        var a = a
        normalize(&a)
        return a
    }

    /// Scales `a` to unit length in place; a zero vector stays zero.
    public static func normalize(_ a: inout [Float]) {
        let length = norm(a)
        guard length > 0 else { return }
        let inverse = 1 / length
        for i in a.indices { a[i] *= inverse }
    }
}
