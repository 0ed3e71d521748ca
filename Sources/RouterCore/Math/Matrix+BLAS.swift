import COpenBLAS

extension Matrix {
    /// `self` × `other` (`other`ᵀ when `transposingOther`), through OpenBLAS `cblas_sgemm`.
    public func times(_ other: Matrix, transposingOther: Bool = false) -> Matrix {
        let inner = transposingOther ? other.columns : other.rows
        precondition(columns == inner, "times: \(rows)x\(columns) by \(other.rows)x\(other.columns)\(transposingOther ? "ᵀ" : "")")
        var result = Matrix(rows: rows, columns: transposingOther ? other.rows : other.columns)
        BLAS.gemm(self, transposed: false, other, transposed: transposingOther, into: &result)
        return result
    }

    /// `self`ᵀ × `other`.
    public func transposedTimes(_ other: Matrix) -> Matrix {
        precondition(rows == other.rows, "transposedTimes: \(rows)x\(columns)ᵀ by \(other.rows)x\(other.columns)")
        var result = Matrix(rows: columns, columns: other.columns)
        BLAS.gemm(self, transposed: true, other, transposed: false, into: &result)
        return result
    }
}

/// The few BLAS calls training and batch scoring need.
enum BLAS {
    /// result = op(a) × op(b) + beta × result, all row-major.
    static func gemm(_ a: Matrix, transposed ta: Bool, _ b: Matrix, transposed tb: Bool, into result: inout Matrix, beta: Float = 0) {
        let m = ta ? a.columns : a.rows
        let k = ta ? a.rows : a.columns
        let n = tb ? b.rows : b.columns
        precondition(result.rows == m && result.columns == n, "gemm: result is \(result.rows)x\(result.columns), expected \(m)x\(n)")
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for i in result.storage.indices { result.storage[i] *= beta }
            return
        }
        let columnsC = result.columns
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                result.storage.withUnsafeMutableBufferPointer { pc in
                    cblas_sgemm(
                        CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, pa.baseAddress, Int32(a.columns), pb.baseAddress, Int32(b.columns),
                        beta, pc.baseAddress, Int32(columnsC))
                }
            }
        }
    }
}
