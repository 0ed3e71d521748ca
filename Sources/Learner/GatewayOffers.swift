import Gateway

/// The models a gateway's configuration offers, with their prices: the learner ranks exactly
/// these (a new one joins at the prior, a removed one leaves).
public enum GatewayOffers {
    public static func load(_ path: String) throws -> [ModelOffer] {
        try GatewayConfiguration.load(path).upstreams.map {
            ModelOffer(name: $0.name, inputPerMillion: $0.inputPerMillion, outputPerMillion: $0.outputPerMillion)
        }
    }
}
