import Synchronization

/// A bounded, thread-safe least-recently-used cache.
public final class LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var older: Key?
        var newer: Key?
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var newest: Key?
        var oldest: Key?
        var hits: UInt64 = 0
        var misses: UInt64 = 0
    }

    /// The most entries kept; 0 disables the cache.
    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        precondition(capacity >= 0, "capacity must be >= 0")
        self.capacity = capacity
    }

    /// The value for `key`, marking it most recently used.
    public func value(for key: Key) -> Value? {
        state.withLock { state in
            guard let entry = state.entries[key] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            Self.unlink(key, &state)
            Self.linkNewest(key, entry.value, &state)
            return entry.value
        }
    }

    /// Stores `value` as the most recently used, evicting the least recently used when full.
    public func insert(_ value: Value, for key: Key) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries[key] != nil { Self.unlink(key, &state) }
            Self.linkNewest(key, value, &state)
            while state.entries.count > capacity, let oldest = state.oldest { Self.unlink(oldest, &state) }
        }
    }

    /// (entries, hits, misses).
    public var statistics: (entries: Int, hits: UInt64, misses: UInt64) {
        state.withLock { ($0.entries.count, $0.hits, $0.misses) }
    }

    private static func unlink(_ key: Key, _ state: inout State) {
        guard let entry = state.entries.removeValue(forKey: key) else { return }
        if let older = entry.older { state.entries[older]?.newer = entry.newer } else { state.oldest = entry.newer }
        if let newer = entry.newer { state.entries[newer]?.older = entry.older } else { state.newest = entry.older }
    }

    private static func linkNewest(_ key: Key, _ value: Value, _ state: inout State) {
        state.entries[key] = Entry(value: value, older: state.newest, newer: nil)
        if let newest = state.newest { state.entries[newest]?.newer = key }
        state.newest = key
        if state.oldest == nil { state.oldest = key }
    }
}
