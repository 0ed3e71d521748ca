import ArgumentParser
import Datasets
import Foundation

/// `switchyard embed`: prompt vectors as the routers see them, one JSON line per text.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Embed texts and print one JSON line per text (text, vector, and with --tokens token_ids).")

    @OptionGroup var embedding: EmbedderOptions

    @Option(help: "A JSONL file of texts: lines of the dataset format, or objects with a \"text\" (or \"prompt\") field.")
    var input: String?

    @Flag(help: "Add MiniLM's token ids (and whether the text was cut to 256 tokens).")
    var tokens = false

    @Argument(help: "Texts to embed (instead of --input).")
    var texts: [String] = []

    func validate() throws {
        if (input == nil) == texts.isEmpty { throw ValidationError("give texts or --input, not both or neither") }
        if tokens && embedding.embedder != .minilm { throw ValidationError("--tokens needs --embedder minilm") }
    }

    func run() throws {
        let texts = try input.map(Self.read) ?? self.texts
        let embedder = try embedding.load()
        let vectors = embedder.embedAll(texts)
        for (i, text) in texts.enumerated() {
            var line: [String: Any] = ["text": text, "vector": vectors.row(i).map(Double.init)]
            if tokens, let (ids, truncated) = embedder.tokens(text) {
                line["token_ids"] = ids.map(Int.init)
                line["truncated"] = truncated
            }
            print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
        }
    }

    /// The texts of a JSONL file: each line's "text", else its "prompt".
    static func read(_ path: String) throws -> [String] {
        try TextFile.lines(try TextFile.read(path)).enumerated().compactMap { index, line in
            guard !line.allSatisfy(\.isWhitespace) else { return nil }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let text = (object["text"] ?? object["prompt"]) as? String
            else { throw CommandFailure("\(path):\(index + 1): not a JSON object with a \"text\" or \"prompt\" string") }
            return text
        }
    }
}
