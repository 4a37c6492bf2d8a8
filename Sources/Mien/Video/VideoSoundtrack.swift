import Foundation
import MienCore
import MienReport
import MienVoice

/// The soundtrack beside the face timeline (`mien video --audio`): the voice colleague's `VoiceAnalyzer` runs on the
/// same file, with expression estimates only where the video's policy decision allows them.
public enum VideoSoundtrack {
    /// Not audited separately: the video's own audit record covers the file.
    public static func timeline(for url: URL, video: VideoAnalyzer) -> VoiceTimeline {
        do {
            let analyzer = try VoiceAnalyzer(engine: video.engine, session: video.session,
                                             options: .init(measuresOnly: !video.producesExpressions))
            let analysis = try analyzer.analyzeUnaudited(audioAt: url)
            return VoiceTimeline(analysis)
        } catch {
            return VoiceTimeline(seconds: [], segments: [], note: "The soundtrack could not be analysed: \(error)")
        }
    }
}

extension VoiceTimeline {
    init(_ a: VoiceAnalysis) {
        self.init(seconds: a.seconds.map { .init(second: $0.second, speechFraction: $0.speechFraction,
                                                 levelDBFS: $0.levelDBFS, f0MedianHz: $0.f0MedianHz) },
                  segments: a.segments.map { .init(start: $0.start, end: $0.end, label: $0.expression?.label) },
                  note: "Voice measures from the soundtrack (docs/VOICE.md)"
                      + (a.expressionModel.map { "; vocal expression estimates by \($0)" } ?? "") + "."
                      + (a.segments.isEmpty ? " " + (a.notes.first ?? "No speech found: the soundtrack is silent.") : ""))
    }
}
