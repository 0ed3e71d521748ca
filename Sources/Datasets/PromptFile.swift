import Foundation

/// Prompts to send, read from any JSONL(.gz) file whose lines have a "prompt" string: a dataset
/// file, or a plain prompt list (`{"prompt": "..."}` per line).
public enum PromptFile {
    private struct Line: Decodable {
        var prompt: String
    }

    /// The prompts of `path`, in file order, exactly as written; a line without a non-empty
    /// "prompt" is an error naming the file and line.
    ///
    /// Decoded with JSONDecoder: swift-corelibs-foundation's JSONSerialization drops U+FEFF from
    /// strings, which would change a prompt (the bundled MMLU has one).
    public static func prompts(_ path: String) throws -> [String] {
        let decoder = JSONDecoder()
        var prompts: [String] = []
        for (index, text) in TextFile.lines(try TextFile.read(path)).enumerated() where !text.allSatisfy(\.isWhitespace) {
            guard let line = try? decoder.decode(Line.self, from: Data(text.utf8)), !line.prompt.isEmpty else {
                throw DatasetError(file: path, line: index + 1, "not a JSON object with a non-empty \"prompt\" string")
            }
            prompts.append(line.prompt)
        }
        guard !prompts.isEmpty else { throw DatasetError(file: path, "no prompts in the file") }
        return prompts
    }
}
