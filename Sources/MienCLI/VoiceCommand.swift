import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct VoiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "voice", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien voice' is not built yet.") }
}
