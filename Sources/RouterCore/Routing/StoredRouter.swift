/// A trained router as plain numbers: named tensors, numeric and text settings, and the scores at
/// its calibration quantiles. What a router file holds for each router (RouterFile maps it to the
/// protobuf message); every family reads and writes its own names.
public struct StoredRouter: Sendable, Equatable {
    public var name: String
    public var kind: RouterKind
    /// Model names, in the order of every per-model tensor.
    public var models: [String]
    public var tensors: [String: Matrix]
    public var numbers: [String: Double]
    public var texts: [String: String]
    public var calibration: Calibration?

    public init(
        name: String, kind: RouterKind, models: [String], tensors: [String: Matrix] = [:], numbers: [String: Double] = [:],
        texts: [String: String] = [:], calibration: Calibration? = nil
    ) {
        self.name = name
        self.kind = kind
        self.models = models
        self.tensors = tensors
        self.numbers = numbers
        self.texts = texts
        self.calibration = calibration
    }

    /// The tensor `key`, which must be `rows` x `columns` (any count when nil).
    public func tensor(_ key: String, rows: Int? = nil, columns: Int? = nil) throws -> Matrix {
        guard let tensor = tensors[key] else { throw RoutingError.badModel(["\(kind.rawValue) router \(name) has no \(key)"]) }
        guard rows.map({ $0 == tensor.rows }) ?? true, columns.map({ $0 == tensor.columns }) ?? true else {
            throw RoutingError.badModel([
                "\(kind.rawValue) router \(name): \(key) is \(tensor.rows)x\(tensor.columns), expected \(rows.map(String.init) ?? "any")x\(columns.map(String.init) ?? "any")",
            ])
        }
        guard tensor.storage.allSatisfy(\.isFinite) else {
            throw RoutingError.badModel(["\(kind.rawValue) router \(name): \(key) has a non-finite value"])
        }
        return tensor
    }

    /// The vector `key` (a 1 x n tensor) of `count` values.
    public func vector(_ key: String, count: Int? = nil) throws -> [Float] {
        try tensor(key, rows: 1, columns: count).storage
    }

    /// The number `key`; `fallback` when absent (nil: required).
    public func number(_ key: String, _ fallback: Double? = nil) throws -> Double {
        guard let value = numbers[key] ?? fallback else {
            throw RoutingError.badModel(["\(kind.rawValue) router \(name) has no setting \(key)"])
        }
        guard value.isFinite else { throw RoutingError.badModel(["\(kind.rawValue) router \(name): \(key) is not finite"]) }
        return value
    }
}

extension Matrix {
    /// A 1 x n matrix holding `values`.
    public init(vector values: [Float]) { self.init(rows: 1, columns: values.count, storage: values) }

    /// A 1 x n matrix of `values` as floats.
    public init(vector values: [Double]) { self.init(vector: values.map(Float.init)) }
}
