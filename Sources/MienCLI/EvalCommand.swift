import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien eval' is not built yet.") }
}
