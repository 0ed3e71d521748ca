import Foundation

/// The API keys of the OpenAI front door, read from a JSON file:
///
/// ```json
/// {"keys": [
///   {"name": "search-team", "key": "sk-sy-3f9c...", "daily_budget_usd": 25},
///   {"name": "batch-jobs", "key": "sk-sy-81ab..."}
/// ]}
/// ```
///
/// A request must carry one of them as `Authorization: Bearer <key>`. A key with
/// `daily_budget_usd` may spend that many dollars per UTC day (booked from the answers' token
/// counts and the upstreams' prices); without it the key has no limit.
public struct FrontDoorKeys: Sendable, Decodable {
    public struct Key: Sendable, Decodable, Equatable {
        /// Who holds the key: named in logs, headers and errors (the key itself never is).
        public var name: String
        public var key: String
        public var dailyBudgetUSD: Double?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, key
            case dailyBudgetUSD = "daily_budget_usd"
        }

        public init(from decoder: any Decoder) throws {
            try StrictJSON.rejectUnknownFields(in: decoder, known: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            // A key read from a file keeps no line break or spaces around it.
            key = try c.decode(String.self, forKey: .key).trimmingCharacters(in: .whitespacesAndNewlines)
            dailyBudgetUSD = try c.decodeIfPresent(Double.self, forKey: .dailyBudgetUSD)
        }

        public init(name: String, key: String, dailyBudgetUSD: Double? = nil) {
            self.name = name
            self.key = key
            self.dailyBudgetUSD = dailyBudgetUSD
        }
    }

    public var keys: [Key]

    enum CodingKeys: String, CodingKey, CaseIterable { case keys }

    public init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownFields(in: decoder, known: CodingKeys.self)
        keys = try decoder.container(keyedBy: CodingKeys.self).decode([Key].self, forKey: .keys)
    }

    public init(keys: [Key]) throws {
        self.keys = keys
        let problems = self.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems.joined(separator: "; ")) }
    }

    /// Reads and checks `path`; every problem is an error naming the file and the key's name.
    public static func load(_ path: String) throws -> FrontDoorKeys {
        let file = try ConfigurationError.decodeFile(FrontDoorKeys.self, path, what: "key file")
        let problems = file.problems()
        guard problems.isEmpty else { throw ConfigurationError("key file \(path): " + problems.joined(separator: "; ")) }
        return file
    }

    func problems() -> [String] {
        var problems: [String] = []
        if keys.isEmpty { problems.append("no keys") }
        var names = Set<String>(), secrets = Set<String>()
        for key in keys {
            let name = key.name.isEmpty ? "(unnamed)" : key.name
            if key.name.isEmpty { problems.append("a key has no name") }
            if !names.insert(key.name).inserted { problems.append("key \(name): name used twice") }
            if key.name.hasPrefix(Self.reservedPrefix) {
                problems.append("key \(name): names starting with \"\(Self.reservedPrefix)\" are the gateway's own (its judge books spend as \(LLMJudge.spendKey))")
            }
            if key.key.count < 16 { problems.append("key \(name): the key must be at least 16 characters") }
            if !secrets.insert(key.key).inserted { problems.append("key \(name): the same key is given twice") }
            if let budget = key.dailyBudgetUSD, !(budget >= 0 && budget.isFinite) {
                problems.append("key \(name): daily_budget_usd must be a number >= 0")
            }
        }
        return problems
    }

    /// Key names the gateway keeps for its own spending.
    static let reservedPrefix = "switchyard:"

    /// The key a request's `Authorization` header carries; nil when it carries none of them.
    /// Compares in time independent of where the keys differ.
    public func key(authorization: String?) -> Key? {
        guard let presented = Self.bearer(authorization) else { return nil }
        var found: Key?
        for key in keys where Self.equalInConstantTime(Array(key.key.utf8), presented) { found = key }
        return found
    }

    /// Whether an `Authorization` header carries `secret` as its bearer token (compared in time
    /// independent of where they differ).
    static func presents(_ secret: String, authorization: String?) -> Bool {
        guard let presented = bearer(authorization) else { return false }
        return equalInConstantTime(Array(secret.utf8), presented)
    }

    private static func bearer(_ authorization: String?) -> [UInt8]? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        return Array(authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces).utf8)
    }

    private static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
