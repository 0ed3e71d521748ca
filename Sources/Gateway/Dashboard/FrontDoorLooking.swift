import HTTPKit
import NIOHTTP1
import RPC
import Wire

/// The front door's looking side: the dashboard (`GET /dashboard`, `GET /dashboard/data`) and
/// decisions' explanations (`GET /v1/decisions/{id}`).
extension OpenAIFrontDoor {
    static let decisionsPrefix = "/v1/decisions/"

    /// Who is looking: the admin (the admin token, or anyone when the front door has neither keys
    /// nor an admin token), or the holder of a key.
    enum Viewer {
        case admin
        case key(FrontDoorKeys.Key)
    }

    /// The viewer a request's `Authorization` names. UNAUTHENTICATED without a known key or token.
    func viewer(_ headers: HTTPHeaders) throws(RPCError) -> Viewer {
        let authorization = headers.first(name: "authorization")
        if let adminToken, FrontDoorKeys.presents(adminToken, authorization: authorization) { return .admin }
        if let keys, let key = keys.key(authorization: authorization) { return .key(key) }
        if keys == nil, adminToken == nil { return .admin }
        throw RPCError(.unauthenticated, "a valid key is needed: send Authorization: Bearer <key>" + (adminToken == nil ? "" : " (the dashboard needs the admin token)"))
    }

    /// The looking side: the dashboard's page (no figures in it: served to anyone), its figures
    /// (the admin, or any key when the gateway has no admin token), and decisions' explanations
    /// (the admin sees every request's, a key its own).
    func look(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .GET else {
            return Self.errorResponse(status: .methodNotAllowed, type: "invalid_request_error", code: "method_not_allowed",
                                      message: "\(request.method) is not allowed on \(request.path)")
        }
        if request.path == "/dashboard" {
            guard dashboard != nil else { return Self.lookError(RPCError(.notFound, "this gateway serves no dashboard (--no-dashboard)")) }
            var response = HTTPResponse(contentType: "text/html; charset=utf-8", body: Array(DashboardPage.html.utf8))
            response.headers.add(name: "Content-Security-Policy", value: "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
            return response
        }
        let viewer: Viewer
        do { viewer = try self.viewer(request.headers) } catch { return Self.lookError(error) }
        if request.path == "/dashboard/data" {
            guard let dashboard else { return Self.lookError(RPCError(.notFound, "this gateway serves no dashboard (--no-dashboard)")) }
            if case .key = viewer, adminToken != nil {
                return Self.lookError(RPCError(.permissionDenied, "the dashboard shows every key's spend: it needs the admin token"))
            }
            var response = HTTPResponse(contentType: "application/json", body: await dashboard.snapshot())
            response.headers.add(name: "Cache-Control", value: "no-store")
            return response
        }
        let id = String(request.path.dropFirst(Self.decisionsPrefix.count))
        do {
            let key: String? = if case .key(let key) = viewer { key.name } else { nil }
            let isAdmin = if case .admin = viewer { true } else { false }
            return Self.json(try await decisions.explain(id: id, key: key, admin: isAdmin))
        } catch {
            return Self.lookError(error)
        }
    }

    /// An error of the looking side in OpenAI's shape; what is not found is a request or a page,
    /// not a model.
    static func lookError(_ error: RPCError) -> HTTPResponse {
        guard error.code == .notFound else { return errorResponse(error) }
        return errorResponse(status: .notFound, type: "invalid_request_error", code: "not_found", message: error.message)
    }
}
