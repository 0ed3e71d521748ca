/// What a model costs: dollars per 1M input and output tokens, and where the figure comes from.
public struct ModelPrice: Sendable, Equatable, Codable {
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    /// The public page the prices were taken from.
    public var source: String

    public init(inputPerMillion: Double, outputPerMillion: Double, source: String) {
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.source = source
    }

    /// The dollars for one call with these token counts.
    public func cost(inputTokens: Double, outputTokens: Double) -> Double {
        (inputTokens * inputPerMillion + outputTokens * outputPerMillion) / 1_000_000
    }
}

/// Model name -> price. Turns token counts into dollars.
public struct PriceTable: Sendable, Equatable {
    public var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice] = [:]) { self.prices = prices }

    public subscript(model: String) -> ModelPrice? { prices[model] }

    /// Tokens estimated from characters where no count is known: chars / 4, rounded up.
    public static func estimatedTokens(characters: Int) -> Double { (Double(characters) / 4).rounded(.up) }
}
