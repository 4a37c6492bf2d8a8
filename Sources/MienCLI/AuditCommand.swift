import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien audit' is not built yet.") }
}
