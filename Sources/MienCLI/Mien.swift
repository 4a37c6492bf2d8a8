import ArgumentParser
import Foundation
import Mien

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
            Exit codes: 0 ok; 1 some inputs failed (each listed with its reason); 2 usage error.
            """,
        version: "0.1.0",
        subcommands: [AnalyzeCommand.self, EvalCommand.self, BenchCommand.self, VideoCommand.self,
                      LiveCommand.self, VoiceCommand.self, NoticeCommand.self, AuditCommand.self,
                      ResultsCommand.self, CalibrateTemplateCommand.self, CalibratePriorCommand.self, BatchCommand.self,
                      WorkerCommand.self, ServeCommand.self, KeysCommand.self]
    )

    /// Like ArgumentParser's own main, but usage errors exit with 2 (the convention of POSIX tools) instead of 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let worded as any RemedyWorded {
            // The library's errors name their remedies in library terms; here they are the command's flags.
            FileHandle.standardError.write(Data(("Error: " + worded.message(.commandLine) + "\n").utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// The command line's words for the remedies errors suggest (its flags), for every error it prints.
enum CommandLineWords {
    static func describe(_ error: any Error) -> String {
        if let worded = error as? any RemedyWorded { return worded.message(.commandLine) }
        return "\(error)"
    }
}
