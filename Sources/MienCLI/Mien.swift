import ArgumentParser

/// `mien`: the command-line front end. Each subcommand lives in its own file and only parses, calls the library
/// and formats; no analysis happens here.
@main
struct MienCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mien",
        abstract: "Facial expression and movement analysis that says what it can and cannot know.",
        discussion: """
            Mien measures observable facial movement (landmarks, head pose, movement measures) and, where the \
            declared purpose allows it, estimates facial *expressions* with calibrated confidence. An expression \
            is not a felt emotion.
            """,
        version: "0.1.0",
        subcommands: [AnalyzeCommand.self, EvalCommand.self, BenchCommand.self, VideoCommand.self,
                      LiveCommand.self, VoiceCommand.self, NoticeCommand.self, AuditCommand.self,
                      ResultsCommand.self]
    )
}
