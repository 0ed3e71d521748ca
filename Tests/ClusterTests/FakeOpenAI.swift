import Foundation
import HTTPKit
import Logging
import NIOConcurrencyHelpers

/// A stand-in for an OpenAI-compatible server, speaking the real chat-completions JSON:
/// answers, fails with 500, or hangs, and remembers what it was sent.
final class FakeOpenAI: Sendable {
    enum Behaviour: Sendable {
        case answer(String)
        case fail(status: Int)
        case hang
    }

    let server: HTTPServer
    private let received = NIOLockedValueBox<[(headers: [String: String], body: [UInt8])]>([])

    /// What it was sent: lower-cased headers and the JSON body.
    var requests: [(headers: [String: String], body: [String: Any])] {
        received.withLockedValue { $0 }.map { ($0.headers, (try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) ?? [:]) }
    }

    init(_ behaviour: Behaviour) {
        let received = self.received
        server = HTTPServer(logger: Logger(label: "fake-openai")) { request in
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let body = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
            received.withLockedValue { $0.append((headers, request.body)) }
            guard request.method == .POST, request.path == "/v1/chat/completions" else {
                return HTTPResponse(status: .notFound, text: "no such route")
            }
            switch behaviour {
            case .answer(let text):
                let model = body["model"] as? String ?? "?"
                let json: [String: Any] = [
                    "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": model,
                    "choices": [["index": 0, "message": ["role": "assistant", "content": text], "finish_reason": "stop"]],
                    "usage": ["prompt_tokens": 12, "completion_tokens": 34, "total_tokens": 46],
                ]
                return HTTPResponse(contentType: "application/json", body: Array(try! JSONSerialization.data(withJSONObject: json)))
            case .fail(let status):
                return HTTPResponse(status: .init(statusCode: status), contentType: "application/json",
                                    text: #"{"error": {"message": "The server had an error", "type": "server_error"}}"#)
            case .hang:
                try? await Task.sleep(for: .seconds(30))
                return HTTPResponse(status: .gatewayTimeout, text: "late")
            }
        }
    }

    /// Starts listening; returns the base URL to configure, e.g. http://127.0.0.1:PORT/v1.
    func start() async throws -> String {
        let address = try await server.start()
        return "http://127.0.0.1:\(address.port ?? 0)/v1"
    }
}
