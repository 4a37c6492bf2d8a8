import Foundation
import MienCore
import MienStore

/// The governance settings an operator writes once in a JSON file (`mien … --config FILE`), e.g.
/// `{"purpose": "research-with-consent", "actor": "lab-3", "retention": "7d", "auditDatabase": "/var/lib/mien/audit.sqlite",
///   "sealKeyFile": "/run/secrets/mien-seal.key"}`. Every field is optional; command-line options win over it.
public struct TrustConfiguration: Sendable, Codable, Hashable {
    public var purpose: String?
    public var actor: String?
    public var operatorOverride: String?
    public var retention: String?
    public var home: String?
    public var auditDatabase: String?
    public var sealKeyFile: String?
    public var measuresOnly: Bool?

    public init(purpose: String? = nil, actor: String? = nil, operatorOverride: String? = nil,
                retention: String? = nil, home: String? = nil, auditDatabase: String? = nil,
                sealKeyFile: String? = nil, measuresOnly: Bool? = nil) {
        self.purpose = purpose
        self.actor = actor
        self.operatorOverride = operatorOverride
        self.retention = retention
        self.home = home
        self.auditDatabase = auditDatabase
        self.sealKeyFile = sealKeyFile
        self.measuresOnly = measuresOnly
    }

    public static func load(from url: URL) throws -> TrustConfiguration {
        do {
            return try JSONDecoder().decode(TrustConfiguration.self, from: Data(contentsOf: url))
        } catch {
            throw TrustConfigurationError(path: url.path, reason: "\(error)")
        }
    }

    /// Settings in `overriding` win field by field.
    public func merged(with overriding: TrustConfiguration) -> TrustConfiguration {
        TrustConfiguration(purpose: overriding.purpose ?? purpose, actor: overriding.actor ?? actor,
                           operatorOverride: overriding.operatorOverride ?? operatorOverride,
                           retention: overriding.retention ?? retention, home: overriding.home ?? home,
                           auditDatabase: overriding.auditDatabase ?? auditDatabase,
                           sealKeyFile: overriding.sealKeyFile ?? sealKeyFile,
                           measuresOnly: overriding.measuresOnly ?? measuresOnly)
    }

    /// The governance these settings describe; unset fields take the local defaults.
    public func governance(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Governance {
        let home = self.home.map { URL(fileURLWithPath: $0, isDirectory: true) }
            ?? StoreLocation.home(environment: environment)
        let key: SealKeySource = sealKeyFile.map { .file(URL(fileURLWithPath: $0)) }
            ?? .fromEnvironment(environment, home: home)
        return Governance(purpose: try purpose.map(Purpose.parse) ?? .localDefault,
                          actor: actor ?? Governance.localUser(environment),
                          operatorOverride: operatorOverride,
                          retention: try retention.map(Retention.parse) ?? .none,
                          home: home, auditDatabase: auditDatabase.map { URL(fileURLWithPath: $0) },
                          sealKey: key)
    }
}

public struct TrustConfigurationError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String {
        "\(path): not a usable Mien configuration (\(reason)). Expected JSON like "
            + "{\"purpose\": \"research-with-consent\", \"actor\": \"lab-3\", \"retention\": \"7d\"}."
    }
}
