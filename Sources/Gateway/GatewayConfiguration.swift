import Foundation

/// The gateway's upstream models, read from a JSON file:
///
/// ```json
/// {"upstreams": [
///   {"name": "gpt-4o-mini", "kind": "openai", "base_url": "https://api.openai.com/v1",
///    "api_key_env": "OPENAI_API_KEY", "input_per_million": 0.15, "output_per_million": 0.6,
///    "timeout_seconds": 30},
///   {"name": "private-llama", "kind": "openai", "base_url": "https://llm.internal:8443/v1",
///    "ca_file": "internal-ca.pem", "input_per_million": 0.1, "output_per_million": 0.1},
///   {"name": "gpt-4-1106-preview", "kind": "replay", "datasets": ["../data/routellm/gsm8k.jsonl.gz"],
///    "latency_ms": 20, "input_per_million": 10, "output_per_million": 30}
/// ]}
/// ```
///
/// Relative dataset and CA file paths are resolved against the configuration file's folder.
public struct GatewayConfiguration: Sendable, Equatable, Decodable {
    public var upstreams: [UpstreamConfiguration]

    public init(upstreams: [UpstreamConfiguration]) {
        self.upstreams = upstreams
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case upstreams }

    public init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownFields(in: decoder, known: CodingKeys.self)
        upstreams = try decoder.container(keyedBy: CodingKeys.self).decode([UpstreamConfiguration].self, forKey: .upstreams)
    }

    /// Reads and checks `path`; every problem is an error naming the file and the upstream.
    public static func load(_ path: String) throws -> GatewayConfiguration {
        var configuration = try ConfigurationError.decodeFile(GatewayConfiguration.self, path, what: "gateway configuration")
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let folder = URL(fileURLWithPath: absolute).deletingLastPathComponent()
        func resolved(_ file: String) -> String {
            file.hasPrefix("/") ? file : folder.appendingPathComponent(file).standardizedFileURL.path
        }
        for i in configuration.upstreams.indices {
            configuration.upstreams[i].datasets = configuration.upstreams[i].datasets.map(resolved)
            configuration.upstreams[i].caFile = configuration.upstreams[i].caFile.map(resolved)
        }
        let problems = configuration.problems()
        guard problems.isEmpty else {
            throw ConfigurationError("gateway configuration \(path): " + problems.joined(separator: "; "))
        }
        return configuration
    }

    /// Every inconsistency: duplicate names, missing fields for a kind, bad numbers.
    public func problems() -> [String] {
        var problems: [String] = []
        if upstreams.isEmpty { problems.append("no upstreams") }
        var seen = Set<String>()
        for upstream in upstreams {
            let name = upstream.name.isEmpty ? "(unnamed)" : upstream.name
            func problem(_ text: String) { problems.append("upstream \(name): \(text)") }
            if upstream.name.isEmpty { problem("name is empty") }
            if upstream.name == "auto" { problem("\"auto\" is reserved for routed requests") }
            if !seen.insert(upstream.name).inserted { problem("name used twice") }
            if !(upstream.inputPerMillion >= 0 && upstream.outputPerMillion >= 0) { problem("prices must be >= 0") }
            if !(upstream.timeoutSeconds > 0) { problem("timeout_seconds must be > 0") }
            switch upstream.kind {
            case .openai:
                if upstream.baseURL?.isEmpty ?? true { problem("kind openai needs base_url") }
                if !(upstream.streamTimeoutSeconds > 0) { problem("stream_timeout_seconds must be > 0") }
            case .replay:
                if upstream.datasets.isEmpty { problem("kind replay needs datasets") }
                if !(upstream.latencyMs >= 0) { problem("latency_ms must be >= 0") }
            }
        }
        return problems
    }
}

/// One upstream model.
public struct UpstreamConfiguration: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// OpenAI-compatible POST {base_url}/chat/completions over http or https (OpenAI, vLLM,
        /// Ollama, LiteLLM, Together, Groq, OpenRouter, ...).
        case openai
        /// Answers from recorded benchmark results (the model's score for the prompt).
        case replay

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let kind = Kind(rawValue: text) else {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: decoder.codingPath, debugDescription: "\"\(text)\" is not a kind; the kinds are openai and replay"))
            }
            self = kind
        }
    }

    /// The name clients and the router use.
    public var name: String
    public var kind: Kind
    /// openai: e.g. "http://127.0.0.1:8000/v1" or "https://api.openai.com/v1".
    public var baseURL: String?
    /// openai over https: a PEM file of the CA certificates that sign a private endpoint's
    /// certificate; without it the system's trust store is used.
    public var caFile: String?
    /// The model name sent upstream (openai) or looked up in the datasets (replay); default `name`.
    public var model: String?
    /// openai: environment variable holding the API key.
    public var apiKeyEnv: String?
    /// Dollars per 1M tokens.
    public var inputPerMillion: Double
    public var outputPerMillion: Double
    /// The longest wait for an answer (for a streamed answer: for its first event).
    public var timeoutSeconds: Double
    /// openai: the longest a streamed answer may last in all.
    public var streamTimeoutSeconds: Double
    /// replay: dataset files (the JSONL format) to answer from.
    public var datasets: [String]
    /// replay: how long each answer takes.
    public var latencyMs: Double

    public init(
        name: String, kind: Kind, baseURL: String? = nil, model: String? = nil, apiKeyEnv: String? = nil,
        inputPerMillion: Double = 0, outputPerMillion: Double = 0, timeoutSeconds: Double = 30,
        datasets: [String] = [], latencyMs: Double = 0, caFile: String? = nil, streamTimeoutSeconds: Double = 600
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.caFile = caFile
        self.streamTimeoutSeconds = streamTimeoutSeconds
        self.model = model
        self.apiKeyEnv = apiKeyEnv
        self.inputPerMillion = inputPerMillion
        self.outputPerMillion = outputPerMillion
        self.timeoutSeconds = timeoutSeconds
        self.datasets = datasets
        self.latencyMs = latencyMs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, kind, model, datasets
        case baseURL = "base_url"
        case apiKeyEnv = "api_key_env"
        case caFile = "ca_file"
        case streamTimeoutSeconds = "stream_timeout_seconds"
        case inputPerMillion = "input_per_million"
        case outputPerMillion = "output_per_million"
        case timeoutSeconds = "timeout_seconds"
        case latencyMs = "latency_ms"
    }

    public init(from decoder: any Decoder) throws {
        try StrictJSON.rejectUnknownFields(in: decoder, known: CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(Kind.self, forKey: .kind)
        baseURL = try c.decodeIfPresent(String.self, forKey: .baseURL)
        caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
        streamTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .streamTimeoutSeconds) ?? 600
        model = try c.decodeIfPresent(String.self, forKey: .model)
        apiKeyEnv = try c.decodeIfPresent(String.self, forKey: .apiKeyEnv)
        inputPerMillion = try c.decode(Double.self, forKey: .inputPerMillion)
        outputPerMillion = try c.decode(Double.self, forKey: .outputPerMillion)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 30
        datasets = try c.decodeIfPresent([String].self, forKey: .datasets) ?? []
        latencyMs = try c.decodeIfPresent(Double.self, forKey: .latencyMs) ?? 0
    }

    /// Dollars for a call with these token counts.
    public func cost(inputTokens: UInt32, outputTokens: UInt32) -> Double {
        (Double(inputTokens) * inputPerMillion + Double(outputTokens) * outputPerMillion) / 1_000_000
    }
}

/// A gateway configuration that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }

    /// The JSON file at `path` decoded as `type`; an error naming `what` and the file when it
    /// cannot be read or is not valid.
    static func decodeFile<T: Decodable>(_ type: T.Type, _ path: String, what: String) throws -> T {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigurationError("cannot read \(what) \(path): \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ConfigurationError("\(what) \(path): \(StrictJSON.describe(error, in: data))")
        }
    }
}

extension GatewayConfiguration {
    /// The upstream of every configured model; replay datasets named by several upstreams are
    /// read once. Throws for a bad base URL, a missing API key or an unreadable dataset.
    public func makeUpstreams() throws -> [any Upstream] {
        var books: [[String]: ReplayBook] = [:]
        return try upstreams.map { upstream -> any Upstream in
            switch upstream.kind {
            case .openai:
                return try OpenAIUpstream(upstream)
            case .replay:
                if books[upstream.datasets] == nil {
                    do {
                        books[upstream.datasets] = try ReplayBook(files: upstream.datasets)
                    } catch {
                        throw ConfigurationError("upstream \(upstream.name): \(error)")
                    }
                }
                return ReplayUpstream(upstream, book: books[upstream.datasets]!)
            }
        }
    }
}
