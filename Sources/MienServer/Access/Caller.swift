import Foundation
import Hummingbird
import HummingbirdAuth
import Mien
import MienStore

/// Who is calling: the API key's name and declared purpose (or the local user on a keyless loopback server), and
/// the governance that follows (the server's audit log, acting as the key).
struct Caller: Sendable {
    let name: String
    let purpose: Purpose
    let governance: Governance

    /// A session for this caller. Expressions are asked for unless `measuresOnly`; a purpose that may not have
    /// them throws `PolicyRefusal` (audited by the governance, counted by the caller of this).
    func session(measuresOnly: Bool) throws -> Session {
        try Session(governance: governance, measuresOnly: measuresOnly)
    }
}

/// Resolves the caller of a request from its bearer token (HTTP) or its `token` query item / `mien_token` cookie
/// (the WebSocket, where browsers cannot set headers), and applies the per-key rate limit.
struct KeyAuthenticator: Sendable {
    let keys: APIKeyStore?
    let requireKeys: Bool
    let base: Governance
    let local: Caller
    let limiter: RateLimiter

    init(keys: APIKeyStore?, configuration: ServerConfiguration, base: Governance) throws {
        self.keys = keys
        requireKeys = configuration.requireKeys
        self.base = base
        let purpose = try Purpose.parse(configuration.localPurpose)
        local = Caller(name: configuration.localActor, purpose: purpose,
                       governance: base.acting(as: configuration.localActor, purpose: purpose))
        limiter = RateLimiter(perMinute: configuration.rateLimitPerMinute)
    }

    /// The caller of an HTTP request: `Authorization: Bearer <key>`; else, on a server that does not require keys,
    /// the local caller.
    func caller(for request: Request, allowQueryToken: Bool = false, counted: Bool = true) throws -> Caller {
        var token = request.headers.bearer?.token
        if token == nil && allowQueryToken {
            token = request.uri.queryParameters.get("token") ?? request.cookies["mien_token"]?.value
        }
        guard let token, !token.isEmpty else {
            if requireKeys {
                throw APIError.unauthorized("this server needs an API key: send 'Authorization: Bearer <key>' "
                                            + "(the operator makes one with 'mien keys create --purpose P --name N').")
            }
            return counted ? try limited(local) : local
        }
        guard let keys, let key = try keys.key(forSecret: token) else {
            throw APIError.unauthorized("the API key is not known to this server; check it was copied whole, or ask "
                                        + "the operator for a key.")
        }
        guard !key.isRevoked else {
            throw APIError.unauthorized("the API key '\(key.name)' was revoked; ask the operator for a new one.")
        }
        let purpose = try Purpose.parse(key.purpose)
        let caller = Caller(name: key.name, purpose: purpose, governance: base.acting(as: key.name, purpose: purpose))
        return counted ? try limited(caller) : caller
    }

    private func limited(_ caller: Caller) throws -> Caller {
        if let wait = limiter.take(caller.name) {
            throw APIError(.tooManyRequests, code: "rate_limited",
                           message: "'\(caller.name)' is over \(limiter.perMinute) requests a minute; retry after "
                           + "\(wait) s.", retryAfter: wait)
        }
        return caller
    }
}
