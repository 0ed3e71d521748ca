import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// Answers one request piece by piece: `begin` sends the head, `write` sends body pieces (each
/// at once), and the response ends when the stream function returns. `respond` answers with a
/// whole response instead, when nothing was begun. The server answers over its connection
/// (chunked transfer encoding); `HTTPResponseRecorder` answers in memory, so streamed responses
/// are tested without a socket.
public protocol HTTPResponder: Sendable {
    /// Sends the head of a streamed response (no Content-Length).
    func begin(status: HTTPResponseStatus, headers: HTTPHeaders) async throws
    /// Sends `bytes` now (after `begin`); throws when the client has gone.
    func write(_ bytes: ByteBuffer) async throws
    /// Answers with a whole response; only when nothing has been sent yet.
    func respond(_ response: HTTPResponse) async throws
}

extension HTTPResponder {
    /// Sends the head of a 200 streamed response.
    public func begin(headers: HTTPHeaders) async throws {
        try await begin(status: .ok, headers: headers)
    }
}

/// Where a responder is in its one response: what `begin`, `respond` and `write` may do next.
struct ResponderPhase: Sendable {
    enum Phase: Sendable { case idle, streaming, answered }
    private(set) var phase = Phase.idle

    /// Moves from idle to `next`; `alreadyAnswered` otherwise.
    mutating func claim(_ next: Phase) throws(HTTPResponderError) {
        guard phase == .idle else { throw .alreadyAnswered }
        phase = next
    }

    /// `notStreaming` unless a stream was begun.
    func checkStreaming() throws(HTTPResponderError) {
        guard phase == .streaming else { throw .notStreaming }
    }
}

/// Answers over the request's connection.
final class ChannelResponder: HTTPResponder {
    let channel: any Channel
    let keepAlive: Bool
    private let phase = NIOLockedValueBox(ResponderPhase())

    init(channel: any Channel, keepAlive: Bool) {
        self.channel = channel
        self.keepAlive = keepAlive
    }

    func begin(status: HTTPResponseStatus, headers: HTTPHeaders) async throws {
        try phase.withLockedValue { try $0.claim(.streaming) }
        var headers = headers
        headers.remove(name: "Content-Length")
        headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        headers.replaceOrAdd(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)))
    }

    func write(_ bytes: ByteBuffer) async throws {
        try phase.withLockedValue { try $0.checkStreaming() }
        try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(bytes)))
    }

    func respond(_ response: HTTPResponse) async throws {
        try phase.withLockedValue { try $0.claim(.answered) }
        channel.write(HTTPServerResponsePart.head(response.head(keepAlive: keepAlive)), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: response.body))), promise: nil)
        try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { try? await channel.close() }
    }

    /// Ends the response after the stream function returned (a 500 when it sent nothing).
    func finish() async throws {
        switch phase.withLockedValue({ $0.phase }) {
        case .answered: return
        case .idle: try await respond(HTTPResponse.noResponse)
        case .streaming:
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil))
            if !keepAlive { try? await channel.close() }
        }
    }
}

/// Answers in memory and keeps what a client would have received: how streamed responses (the
/// front door's server-sent events) are tested without a socket. With `clientLeavesAfter`, writes
/// past that many body pieces throw, as writes to a client that closed its connection do.
public final class HTTPResponseRecorder: HTTPResponder {
    /// A response as received.
    public struct Recording: Sendable {
        public var status: HTTPResponseStatus = .internalServerError
        public var headers: HTTPHeaders = [:]
        /// The body as it came: one piece per `write` when streamed, else the whole body.
        public var pieces: [ByteBuffer] = []
        /// Whether the response was streamed (begun, then written).
        public var streamed = false
        /// Whether a write found the client gone.
        public var clientLeft = false

        /// The body, whole, as text.
        public var text: String { pieces.map { String(buffer: $0) }.joined() }
    }

    private let clientLeavesAfter: Int?
    private let state = NIOLockedValueBox((phase: ResponderPhase(), recording: Recording()))

    public init(clientLeavesAfter pieces: Int? = nil) {
        clientLeavesAfter = pieces
    }

    /// What was received so far.
    public var recording: Recording { state.withLockedValue { $0.recording } }

    public func begin(status: HTTPResponseStatus, headers: HTTPHeaders) async throws {
        try state.withLockedValue { state in
            try state.phase.claim(.streaming)
            state.recording.status = status
            state.recording.headers = headers
            state.recording.streamed = true
        }
    }

    public func write(_ bytes: ByteBuffer) async throws {
        try state.withLockedValue { state in
            try state.phase.checkStreaming()
            if let limit = clientLeavesAfter, state.recording.pieces.count >= limit {
                state.recording.clientLeft = true
                throw ChannelError.ioOnClosedChannel
            }
            state.recording.pieces.append(bytes)
        }
    }

    public func respond(_ response: HTTPResponse) async throws {
        try state.withLockedValue { state in
            try state.phase.claim(.answered)
            state.recording.status = response.status
            state.recording.headers = response.headers
            state.recording.pieces = [ByteBuffer(bytes: response.body)]
        }
    }

    /// After the stream function returned: a 500 when it sent nothing, as the server answers.
    func finish() async {
        if state.withLockedValue({ $0.phase.phase }) == .idle { try? await respond(HTTPResponse.noResponse) }
    }
}

extension HTTPResponse {
    /// This response produced in memory, its stream (if any) run to the end, as a client of the
    /// server would receive it: the in-process way to test a handler's streamed answers.
    public func recorded(clientLeavesAfter pieces: Int? = nil) async -> HTTPResponseRecorder.Recording {
        let recorder = HTTPResponseRecorder(clientLeavesAfter: pieces)
        if let stream {
            try? await stream(recorder)
            await recorder.finish()
        } else {
            try? await recorder.respond(self)
        }
        return recorder.recording
    }

    /// What the server answers when a stream function returned without answering.
    static let noResponse = HTTPResponse(status: .internalServerError, text: "no response\n")
}

/// A responder used out of order.
public enum HTTPResponderError: Error {
    /// `begin` or `respond` after the response started.
    case alreadyAnswered
    /// `write` before `begin`.
    case notStreaming
}
