import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct VideoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "video", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien video' is not built yet.") }
}
