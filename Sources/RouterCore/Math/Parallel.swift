import Dispatch
import Synchronization

/// Work spread over every core.
public enum Parallel {
    /// `transform` of every element of `range`, in order, computed concurrently. The first error
    /// thrown is rethrown once all are done.
    public static func map<T>(_ range: Range<Int>, _ transform: (Int) throws -> T) throws -> [T] {
        let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: range.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let failure = Mutex<(any Error)?>(nil)
        nonisolated(unsafe) let output = results
        try withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let transform = transform
            DispatchQueue.concurrentPerform(iterations: range.count) { offset in
                do {
                    output[offset] = try transform(range.lowerBound + offset)
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                }
            }
            if let error = failure.withLock({ $0 }) { throw error }
        }
        return results.map { $0! }
    }
}
