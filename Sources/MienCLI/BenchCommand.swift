import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien bench' is not built yet.") }
}
