import ArgumentParser

// Placeholder until its issue lands: says so plainly instead of pretending.
struct NoticeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notice", abstract: "(not built yet)")
    func run() throws { throw ValidationError("'mien notice' is not built yet.") }
}
