import Foundation
import MienStore
import NIOCore
import PostgresNIO

/// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`.
struct PostgresURL: CustomStringConvertible {
    var host: String
    var port: Int
    var user: String
    var password: String?
    var database: String
    var sslMode: String

    init(_ text: String) throws {
        guard let c = URLComponents(string: text), ["postgres", "postgresql"].contains(c.scheme ?? ""),
              let host = c.host, !host.isEmpty else {
            throw JobStoreError.cannotOpen(path: text, reason: "not a PostgreSQL URL; give postgres://USER:PASSWORD@HOST:PORT/DATABASE")
        }
        self.host = host
        port = c.port ?? 5432
        user = c.user ?? ProcessInfo.processInfo.environment["PGUSER"] ?? "postgres"
        password = c.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = path.isEmpty ? user : path
        sslMode = c.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
    }

    /// Never the password.
    var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "require": tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password,
                                                database: database, tls: tls)
    }

    var clientConfiguration: PostgresClient.Configuration {
        let clientTLS: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": clientTLS = .disable
        case "require": clientTLS = .require(.makeClientConfiguration())
        default: clientTLS = .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password,
                                            database: database, tls: clientTLS)
    }
}

/// What a PostgreSQL failure means for the caller.
enum PostgresFailure {
    /// The error a transaction's body threw, out of PostgresNIO's wrapper (which also reports rollback failures).
    static func unwrapped(_ error: Error) -> Error {
        if let t = error as? PostgresTransactionError {
            return t.closureError ?? t.beginError ?? t.commitError ?? t.rollbackError ?? error
        }
        return error
    }

    /// Connection lost, server restarting or not accepting connections yet: worth retrying.
    static func isTransient(_ error: Error) -> Bool {
        let error = unwrapped(error)
        if error is Blocking.TimedOut { return true }
        guard let error = error as? PSQLError else { return error is ChannelError }
        switch error.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return true
        case .server:
            // Class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now),
            // 25P03 (the server ended a session left idle inside a transaction).
            let state = error.serverInfo?[.sqlState] ?? ""
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "25P03"
        default:
            return false
        }
    }

    static func explain(_ error: Error) -> String {
        let error = unwrapped(error)
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState] ?? ""
            if state == "28P01" || state == "28000" { return "authentication failed (\(message)); check user and password" }
            if state == "3D000" { return "\(message); create it, or give another database in the URL" }
            return "\(message) (SQLSTATE \(state))"
        }
        if error.code == .connectionError {
            return "cannot connect (\(error.underlying.map { "\($0)" } ?? "no answer")); is the server running and reachable?"
        }
        return "\(error.code)"
    }
}

/// Runs async PostgreSQL calls from the synchronous worker threads (plain `Thread`s, never the cooperative pool,
/// so blocking one costs no async progress), with a time limit.
enum Blocking {
    struct TimedOut: Error, CustomStringConvertible {
        var seconds: Double
        var description: String { "no answer from PostgreSQL within \(Int(seconds)) s" }
    }

    static func run<T: Sendable>(timeout: Double, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        let task = Task {
            do { box.set(.success(try await body())) } catch { box.set(.failure(PostgresFailure.unwrapped(error))) }
            done.signal()
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            throw TimedOut(seconds: timeout)
        }
        return try box.get()
    }

    // Safe to share: `result` is written once under `lock` before the semaphore is signalled, read after.
    final class Outcome<T>: @unchecked Sendable {
        private let lock = NSLock()
        private var result: Result<T, Error>?
        func set(_ r: Result<T, Error>) { lock.withLock { result = r } }
        func get() throws -> T {
            guard let result = lock.withLock({ result }) else { throw TimedOut(seconds: 0) }
            return try result.get()
        }
    }
}
