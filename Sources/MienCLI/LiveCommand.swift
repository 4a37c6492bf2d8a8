import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct LiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "live", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien live' is not built yet.") }
}
