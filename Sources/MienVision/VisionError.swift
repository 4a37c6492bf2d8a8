import CMienVision
import MienCore

/// Turns the bridge's error struct into a Swift error naming the stage.
func bridgeFailure(_ err: mien_error, stage: String) -> AnalysisError {
    var e = err
    let message = withUnsafePointer(to: &e.message) {
        $0.withMemoryRebound(to: CChar.self, capacity: 512) { String(cString: $0) }
    }
    return .backend(stage: stage, reason: message.isEmpty ? "unknown error (code \(err.code))" : message)
}

/// A fresh error struct for one bridge call.
func newError() -> mien_error { mien_error() }
