import ArgumentParser
import Foundation
import Mien
import MienServer

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the API keys of `mien serve`: each key has a name and the purpose its holder declared.",
        discussion: "Keys are stored hashed in keys.sqlite under MIEN_HOME (or --keys-db). The secret is shown once, "
            + "at creation. The purpose decides what the key may have (docs/TRUST.md): a workplace or education key "
            + "gets movement measures only.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Location: ParsableArguments {
        @Option(help: "The key database (default: keys.sqlite under MIEN_HOME).")
        var keysDb: String?

        func store() throws -> APIKeyStore {
            try APIKeyStore(url: keysDb.map { URL(fileURLWithPath: $0) } ?? APIKeyStore.defaultURL())
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key and print its secret (once).")

        @Option(help: ArgumentHelp("The purpose the key's holder declares: "
                                   + Purpose.allCases.map(\.rawValue).joined(separator: ", ") + "."))
        var purpose: String

        @Option(help: "A name for the key (letters, digits, . _ -); it is the actor in the audit log.")
        var name: String

        @OptionGroup var location: Location

        func validate() throws {
            do { _ = try Purpose.parse(purpose) } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            let made = try location.store().create(name: name, purpose: try Purpose.parse(purpose).rawValue)
            print(made.secret)
            FileHandle.standardError.write(Data(("key '\(made.key.name)' (purpose \(made.key.purpose)) created; the "
                + "secret above is shown only now. Send it as 'Authorization: Bearer <secret>'.\n").utf8))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (names, purposes, state; never secrets).")
        @OptionGroup var location: Location
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let iso = ISO8601DateFormatter()
            for key in try location.store().list() {
                let created = iso.string(from: Date(timeIntervalSince1970: key.created))
                let state = key.revoked.map { "revoked " + iso.string(from: Date(timeIntervalSince1970: $0)) } ?? "valid"
                if json {
                    let line: [String: String] = ["name": key.name, "purpose": key.purpose, "prefix": key.prefix,
                                                  "created": created, "state": state]
                    let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print("\(key.name)\t\(key.purpose)\t\(key.prefix)…\t\(created)\t\(state)")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by name; requests with it get 401.")
        @Argument(help: "The key's name.") var name: String
        @OptionGroup var location: Location

        func run() throws {
            try location.store().revoke(name: name)
            print("key '\(name)' revoked")
        }
    }
}
