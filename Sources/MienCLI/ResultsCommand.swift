import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "results", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien results' is not built yet.") }
}
