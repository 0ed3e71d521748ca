import Foundation
import HTTPKit
import NIOHTTP1
import RPC
import Store
import Wire

/// Takes scores for answers, from applications (`POST /v1/feedback`, the Feedback RPC) and from
/// the judge, and writes them to the outcome store once checked: a request id this gateway
/// gave, a score in [0, 1], a comment of at most 2,000 characters, the key that made the request.
/// A second score of the same source replaces the first, and says so.
public struct FeedbackDesk: Sendable {
    public let store: OutcomeStore?
    let keys: FrontDoorKeys?

    public init(store: OutcomeStore?, keys: FrontDoorKeys?) {
        self.store = store
        self.keys = keys
    }

    /// Writes a score; NOT_FOUND for an id this gateway never gave (or one pruned),
    /// PERMISSION_DENIED for another key's answer, INVALID_ARGUMENT for a bad score or comment,
    /// FAILED_PRECONDITION when the gateway keeps no records, UNAVAILABLE when the store cannot
    /// take it now.
    public func accept(
        id: String, score: Double, comment: String?, key: String?, source: FeedbackRecord.Source = .user
    ) async throws(RPCError) -> FeedbackOutcome {
        guard let store else {
            throw RPCError(.failedPrecondition, "this gateway keeps no records to rate: start it with --store")
        }
        guard RequestID.isWellFormed(id) else { throw RPCError(.notFound, "no answer with id \(id)") }
        return try await store.feedback(FeedbackRecord(
            id: id, score: score, comment: comment.flatMap { $0.isEmpty ? nil : $0 }, source: source, key: key,
            createdMs: OutcomeRecord.nowMs()))
    }

    /// Adds the Feedback RPC to `handlers`: its `api_key`, when given, must be one of the front
    /// door's keys (the one that made the request, when one did).
    public func register(in handlers: inout RPCHandlers) {
        handlers.register(Methods.feedback) { request, _ in
            var keyName: String?
            if !request.apiKey.isEmpty {
                guard let key = keys?.key(authorization: "Bearer \(request.apiKey)") else {
                    throw RPCError(.unauthenticated, "api_key is not one of the front door's keys")
                }
                keyName = key.name
            }
            let outcome = try await accept(id: request.id, score: request.score, comment: request.comment, key: keyName)
            return FeedbackResponse(replaced: outcome == .replaced)
        }
    }

    /// The most a feedback request body may hold: a score and a comment of 2,000 characters.
    static let maxBodyBytes = 16 << 10

    /// `POST /v1/feedback` with `{"id": "...", "score": 0..1, "comment": "..."}`: 200 with
    /// `{"object": "feedback", "id", "score", "replaced"}`; 400, 403, 404, 413, 501 or 503 as
    /// OpenAI-shaped errors otherwise.
    func handle(_ request: HTTPRequest, key: FrontDoorKeys.Key?) async -> HTTPResponse {
        guard request.body.count <= Self.maxBodyBytes else {
            return Self.error(.payloadTooLarge, "request_too_large", "a feedback body is at most \(Self.maxBodyBytes) bytes")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
            return Self.error(.badRequest, "invalid_request_error", "the body is not a JSON object: send {\"id\": \"...\", \"score\": 0..1}")
        }
        guard let id = object["id"] as? String, !id.isEmpty else {
            return Self.error(.badRequest, "invalid_request_error", "\"id\" (the answer's request id) is missing or not a string")
        }
        // true/false arrive as an NSNumber of type char ("c"): not a score.
        guard let number = object["score"] as? NSNumber, String(cString: number.objCType) != "c" else {
            return Self.error(.badRequest, "invalid_request_error", "\"score\" is missing or not a number in [0, 1]")
        }
        let comment = object["comment"]
        if comment != nil, !(comment is String), !(comment is NSNull) {
            return Self.error(.badRequest, "invalid_request_error", "\"comment\" must be a string")
        }
        do {
            let outcome = try await accept(id: id, score: number.doubleValue, comment: comment as? String, key: key?.name)
            return OpenAIFrontDoor.json(["object": "feedback", "id": id, "score": number.doubleValue, "replaced": outcome == .replaced])
        } catch {
            let status: HTTPResponseStatus = switch error.code {
            case .notFound: .notFound
            case .permissionDenied: .forbidden
            case .invalidArgument: .badRequest
            case .failedPrecondition: .notImplemented
            case .unauthenticated: .unauthorized
            default: .serviceUnavailable
            }
            return Self.error(status, "\(error.code)".lowercased(), error.message)
        }
    }

    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> HTTPResponse {
        let type = status == .serviceUnavailable ? "server_error" : "invalid_request_error"
        return OpenAIFrontDoor.errorResponse(status: status, type: type, code: code, message: message)
    }
}
