import Foundation
import NIOCore
import UpstreamHTTP

/// A streamed chat answer: the upstream's server-sent events (`data: {chunk}` ... `data: [DONE]`),
/// in pieces as they arrive. Iterating throws (`HTTPError`) when the upstream stops halfway.
public struct ChatEventStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Source: Sendable {
        /// Relayed from an upstream's HTTP response.
        case upstream(HTTPBodyStream)
        /// Made whole by the gateway (an upstream that does not stream).
        case pieces([ByteBuffer])
        /// Produced as it goes (an upstream in the same process; tests).
        case produced(AsyncThrowingStream<ByteBuffer, any Error>)
    }

    let source: Source

    init(_ body: HTTPBodyStream) { source = .upstream(body) }

    /// The events in `pieces`, sent one after another.
    public init(pieces: [[UInt8]]) { source = .pieces(pieces.map { ByteBuffer(bytes: $0) }) }

    /// The events `stream` produces, as it produces them; its end ends the stream, its error
    /// breaks it. Dropping the iterator (the client went away) terminates `stream`.
    public init(_ stream: AsyncThrowingStream<ByteBuffer, any Error>) { source = .produced(stream) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Base {
            case upstream(HTTPBodyStream.AsyncIterator)
            case pieces(IndexingIterator<[ByteBuffer]>)
            case produced(AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator)
        }

        var base: Base

        public mutating func next() async throws -> ByteBuffer? {
            switch base {
            case .upstream(var iterator):
                defer { base = .upstream(iterator) }
                return try await iterator.next()
            case .pieces(var iterator):
                defer { base = .pieces(iterator) }
                return iterator.next()
            case .produced(var iterator):
                defer { base = .produced(iterator) }
                return try await iterator.next()
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .upstream(let body): AsyncIterator(base: .upstream(body.makeAsyncIterator()))
        case .pieces(let pieces): AsyncIterator(base: .pieces(pieces.makeIterator()))
        case .produced(let stream): AsyncIterator(base: .produced(stream.makeAsyncIterator()))
        }
    }

    /// One server-sent event carrying `object` as JSON.
    static func event(_ object: Any) -> [UInt8] {
        Array("data: ".utf8) + ((try? JSONSerialization.data(withJSONObject: object)).map(Array.init) ?? Array("{}".utf8)) + Array("\n\n".utf8)
    }

    static let done = Array("data: [DONE]\n\n".utf8)
}

/// Reads a relayed event stream as it passes, for the cost: the `usage` an upstream sends (in
/// its last chunk when the client asked `stream_options.include_usage`), else the tokens
/// estimated from the streamed text (characters / 4); and relays it line by line with each
/// chunk's `id` set to the request's (so the ids a client sees are the ones feedback names).
/// Nothing else in the bytes changes.
struct ChatStreamMeter {
    private var pending: [UInt8] = []
    private(set) var usage: (input: UInt32, output: UInt32)?
    private(set) var streamedCharacters = 0
    private(set) var sawDone = false
    /// The streamed text, up to `textLimit` characters (what a judge grades).
    private(set) var text = ""
    var textLimit = 0

    /// Reads the complete lines of `piece` (a line may span pieces).
    mutating func read(_ piece: ByteBuffer) {
        _ = relay(piece, id: nil)
    }

    /// Reads `piece` and returns the complete lines it finishes, each chunk's top-level `id` set
    /// to `id` (nil: unchanged); a line cut off by the piece's end waits for the next piece.
    mutating func relay(_ piece: ByteBuffer, id: String?) -> [UInt8] {
        pending += piece.readableBytesView
        var out: [UInt8] = []
        var start = pending.startIndex
        while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[start..<newline]
            let content = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            readLine(content)
            if let id, let rewritten = Self.withID(content, id) {
                out += rewritten
                out += pending[content.endIndex...newline]
            } else {
                out += pending[start...newline]
            }
            start = newline + 1
        }
        pending.removeSubrange(..<start)
        return out
    }

    /// What is left once the stream ended: a last line with no newline after it.
    mutating func remainder() -> [UInt8] {
        defer { pending.removeAll() }
        return pending
    }

    /// A `data: {...}` line with its chunk's `id` replaced; nil for any other line.
    private static func withID(_ line: ArraySlice<UInt8>, _ id: String) -> [UInt8]? {
        let prefix = Array("data:".utf8)
        guard line.starts(with: prefix) else { return nil }
        var start = line.startIndex + prefix.count
        while start < line.endIndex, line[start] == UInt8(ascii: " ") { start += 1 }
        guard start < line.endIndex, line[start] == UInt8(ascii: "{"),
              let chunk = JSONFieldSplice.replacingString("id", with: id, in: Array(line[start...]))
        else { return nil }
        return Array(line[..<start]) + chunk
    }

    private mutating func readLine(_ line: ArraySlice<UInt8>) {
        let prefix = Array("data:".utf8)
        guard line.starts(with: prefix) else { return }
        var payload = line.dropFirst(prefix.count)
        while payload.first == UInt8(ascii: " ") { payload = payload.dropFirst() }
        if payload.elementsEqual("[DONE]".utf8) {
            sawDone = true
            return
        }
        guard let chunk = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return }
        if let usage = chunk["usage"] as? [String: Any], let input = usage["prompt_tokens"] as? Int,
           let output = usage["completion_tokens"] as? Int {
            self.usage = (UInt32(clamping: input), UInt32(clamping: output))
        }
        for choice in chunk["choices"] as? [[String: Any]] ?? [] {
            if let content = (choice["delta"] as? [String: Any])?["content"] as? String {
                let before = streamedCharacters
                streamedCharacters += content.count
                if before < textLimit { text += content.prefix(textLimit - before) }
            }
        }
    }

    /// The tokens to book: the upstream's usage, else the estimate (and whether it is one).
    func tokens(prompt: String) -> (input: UInt32, output: UInt32, estimated: Bool) {
        if let usage { return (usage.input, usage.output, false) }
        return (UpstreamAnswer.estimatedTokens(prompt), UInt32(clamping: max(1, streamedCharacters / 4)), true)
    }
}

extension Upstream {
    /// A streamed answer made from `chat`'s whole answer, as OpenAI streams one: a chunk with
    /// the text, a chunk with the finish reason, a usage chunk when the request asked for it,
    /// and `[DONE]`. The default for upstreams that do not stream (replay).
    public func chatStream(_ request: ChatRequest, timeout: Duration) async throws -> ChatEventStream {
        let answer = try await chat(request, timeout: timeout)
        let id = "chatcmpl-\(UUID().uuidString.lowercased())"
        let created = Int(Date().timeIntervalSince1970)
        func chunk(_ choices: [[String: Any]], usage: [String: Any]? = nil) -> [UInt8] {
            var object: [String: Any] = [
                "id": id, "object": "chat.completion.chunk", "created": created, "model": configuration.name, "choices": choices,
            ]
            if let usage { object["usage"] = usage }
            return ChatEventStream.event(object)
        }
        var pieces = [
            chunk([["index": 0, "delta": ["role": "assistant", "content": answer.text], "finish_reason": NSNull()]]),
            chunk([["index": 0, "delta": [String: Any](), "finish_reason": "stop"]]),
        ]
        if request.includeUsage {
            pieces.append(chunk([], usage: [
                "prompt_tokens": Int(answer.inputTokens), "completion_tokens": Int(answer.outputTokens),
                "total_tokens": Int(answer.inputTokens + answer.outputTokens),
            ]))
        }
        pieces.append(ChatEventStream.done)
        return ChatEventStream(pieces: pieces)
    }
}
