/// What a router file holds: one or more trained routers over the same models and embedder, the
/// one requests get by default, each router's calibration, and the cross-validation behind the
/// choice when training picked it.
public struct RouterBundle: Sendable {
    /// One router of the bundle, by the name requests use.
    public struct Entry: Sendable {
        public var name: String
        /// How it was trained, e.g. "knn(neighbors=50)".
        public var spec: String
        public var router: any Router
        public var calibration: Calibration?

        public init(name: String, spec: String, router: any Router, calibration: Calibration? = nil) {
            self.name = name
            self.spec = spec
            self.router = router
            self.calibration = calibration
        }
    }

    /// Identifies the training run; reported with every decision.
    public var version: String
    /// How prompts were embedded in training; routing must embed the same way.
    public var embedder: EmbedderSpec
    public var models: [String]
    /// Dollars per 1M input and output tokens per model, when known (informational).
    public var prices: [ModelPrice?]
    /// The routers, in the order they were trained.
    public var entries: [Entry]
    public var defaultRouter: String
    /// `train --router auto`'s table: every candidate's cross-validated figure.
    public var crossValidation: [CrossValidationRow]
    /// Free text: the data the routers were trained on.
    public var trainedOn: String

    public init(
        version: String, embedder: EmbedderSpec, models: [String], prices: [ModelPrice?], entries: [Entry], defaultRouter: String,
        crossValidation: [CrossValidationRow] = [], trainedOn: String = ""
    ) throws {
        self.version = version
        self.embedder = embedder
        self.models = models
        self.prices = prices
        self.entries = entries
        self.defaultRouter = defaultRouter
        self.crossValidation = crossValidation
        self.trainedOn = trainedOn
        let problems = self.problems()
        guard problems.isEmpty else { throw RoutingError.badModel(problems) }
    }

    /// The router named `name` (the default when nil or empty); `RoutingError.notFound` lists
    /// the names there are.
    public func entry(_ name: String? = nil) throws -> Entry {
        let wanted = (name?.isEmpty ?? true) ? defaultRouter : name!
        guard let entry = entries.first(where: { $0.name == wanted }) else {
            throw RoutingError.notFound(
                "no router \"\(wanted)\" in this router file; it has: \(entries.map(\.name).joined(separator: ", "))")
        }
        return entry
    }

    /// Every inconsistency: routers over other models, duplicate names, a default that is not there.
    public func problems() -> [String] {
        var problems: [String] = []
        if entries.isEmpty { problems.append("no routers") }
        if Set(entries.map(\.name)).count != entries.count { problems.append("two routers share a name") }
        if !entries.contains(where: { $0.name == defaultRouter }) { problems.append("default router \(defaultRouter) is not in the file") }
        if prices.count != models.count { problems.append("\(prices.count) prices for \(models.count) models") }
        for entry in entries where entry.router.models != models {
            problems.append("router \(entry.name) routes among \(entry.router.models), the file among \(models)")
        }
        return problems
    }

    /// A short stable fingerprint of every router's numbers, for versions.
    public static func fingerprint(_ routers: [any Router]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for router in routers {
            let stored = router.stored()
            for key in stored.tensors.keys.sorted() {
                for value in stored.tensors[key]!.storage { h = (h ^ UInt64(value.bitPattern)) &* 0x100_0000_01B3 }
            }
            for key in stored.numbers.keys.sorted() { h = (h ^ stored.numbers[key]!.bitPattern) &* 0x100_0000_01B3 }
        }
        return String(UInt32(truncatingIfNeeded: h ^ (h >> 32)), radix: 16)
    }
}

/// One candidate of `train --router auto`: its cross-validated figure over the folds.
public struct CrossValidationRow: Sendable, Equatable, Codable {
    /// e.g. "knn(neighbors=50)".
    public var spec: String
    /// "APGR" (two models) or "AIQ".
    public var metric: String
    public var mean: Double
    public var min: Double
    public var max: Double

    public init(spec: String, metric: String, mean: Double, min: Double, max: Double) {
        self.spec = spec
        self.metric = metric
        self.mean = mean
        self.min = min
        self.max = max
    }
}
