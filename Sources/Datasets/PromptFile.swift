/// Prompts to send, read from any JSONL(.gz) file whose lines have a "prompt" string: a dataset
/// file, or a plain prompt list (`{"prompt": "..."}` per line).
public enum PromptFile {
    /// The prompts of `path`, in file order; a line without a non-empty "prompt" is an error
    /// naming the file and line.
    public static func prompts(_ path: String) throws -> [String] {
        let prompts = try JSONLines.objects(path).map { line, object in
            guard let prompt = object["prompt"] as? String, !prompt.isEmpty else {
                throw DatasetError(file: path, line: line, "no non-empty \"prompt\" string")
            }
            return prompt
        }
        guard !prompts.isEmpty else { throw DatasetError(file: path, "no prompts in the file") }
        return prompts
    }
}
