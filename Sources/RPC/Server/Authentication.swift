import Foundation
import Wire

/// The tokens a server asks its callers for, carried in the Envelope's `auth_token`: the
/// interceptor that checks them (`ServerInterceptor`).
///
/// With a caller token, every method but the open ones (proto/ marks them `(switchyard.v1.open)`:
/// Health) needs it (or the admin token); with an admin token, the admin methods (marked
/// `(switchyard.v1.admin)`: Register, Reload) need exactly that one. A missing or wrong token is
/// UNAUTHENTICATED; a valid caller token on an admin method is PERMISSION_DENIED. Tokens are
/// compared in constant time. Both nil: anyone may call anything (the default on loopback).
public struct Authentication: ServerInterceptor, Equatable {
    public var callerToken: [UInt8]?
    public var adminToken: [UInt8]?
    /// Methods only the admin token may call.
    public var adminMethods: Set<String>
    /// Methods anyone may call (liveness checks).
    public var openMethods: Set<String>

    public init(callerToken: String? = nil, adminToken: String? = nil,
                adminMethods: Set<String> = Methods.adminNames, openMethods: Set<String> = Methods.openNames) {
        self.callerToken = callerToken.map { Array($0.utf8) }
        self.adminToken = adminToken.map { Array($0.utf8) }
        self.adminMethods = adminMethods
        self.openMethods = openMethods
    }

    /// No tokens: every call is allowed.
    public static let none = Authentication()

    /// Whether any token is asked for.
    public var isEnabled: Bool { callerToken != nil || adminToken != nil }

    /// Refuses a call whose token may not call its method.
    public var observesFinish: Bool { false }

    public func admit(_ call: inout CallHead) throws(RPCError) {
        guard isEnabled else { return }
        if let refusal = call.withAuthToken({ check(method: call.method, token: $0) }) { throw refusal }
    }

    /// nil when the token `given` (its bytes, read in place) may call `method`, else the error to answer.
    public func check(method: String, token given: UnsafeRawBufferPointer) -> RPCError? {
        guard isEnabled, !openMethods.contains(method) else { return nil }
        let isAdmin = adminToken.map { Self.same(given, $0) } ?? false
        let isCaller = callerToken.map { Self.same(given, $0) } ?? false
        if adminMethods.contains(method), adminToken != nil {
            if isAdmin { return nil }
            return isCaller
                ? RPCError(.permissionDenied, "\(method) needs the admin token")
                : RPCError(.unauthenticated, given.isEmpty ? "\(method) needs the admin token" : "wrong token for \(method)")
        }
        if callerToken == nil || isCaller || isAdmin { return nil }
        return RPCError(.unauthenticated, given.isEmpty ? "this service needs a token (auth_token)" : "wrong token")
    }

    /// Equal contents, in time that depends only on the lengths.
    static func same(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    /// A token read from a file (surrounding whitespace and a trailing newline dropped); a file
    /// that cannot be read or holds no token is an error naming it.
    public static func token(fromFile path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RPCError(.invalidArgument, "cannot read the token file \(path)")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw RPCError(.invalidArgument, "the token file \(path) is empty") }
        return token
    }
}
