import Foundation
import MienCore

/// `--report OUT.html`: one self-contained HTML file (no scripts, no external files) with a summary table, per-track
/// timelines drawn as inline SVG, track thumbnails as data URIs, and the notice for the people analysed.
///
/// "uncertain" is drawn as a state of its own (grey) in the label strip, never hidden behind the top class, and
/// each expression name carries the model's recall for that class on its test split, so a reader sees at a glance
/// which labels the model gets right less often.
public struct VideoHTMLReport {
    public var summary: VideoSummary
    public var timeline: VideoTimeline
    public var thumbnails: [Int: Data]
    public var notice: [Notice.Section]
    public var recall: [String: Double]?
    public var voice: VoiceTimeline?

    public init(summary: VideoSummary, timeline: VideoTimeline, thumbnails: [Int: Data], notice: [Notice.Section],
                recall: [String: Double]?, voice: VoiceTimeline? = nil) {
        self.summary = summary
        self.timeline = timeline
        self.thumbnails = thumbnails
        self.notice = notice
        self.recall = recall
        self.voice = voice
    }

    static let classColours: [String: String] = [
        "neutral": "#9e9e9e", "happiness": "#f2b01e", "surprise": "#29b6f6", "sadness": "#3f51b5",
        "anger": "#e53935", "disgust": "#43a047", "fear": "#8e24aa", "contempt": "#6d4c41",
        "uncertain": "#d9d9d9",
    ]
    static let seriesColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                                "#7f7f7f", "#bcbd22", "#17becf"]

    public func render() -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Mien video report: \(esc(name(summary.source)))</title>
        <style>
        body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 12px}
        h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}h3{font-size:15px;margin:18px 0 4px}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
        th{background:#f5f5f5}.note{color:#555;font-size:13px}.warn{background:#fff3cd;padding:8px;border:1px solid #e0c36c}
        .track{display:flex;gap:16px;align-items:flex-start}.track img{border:1px solid #ccc;border-radius:4px}
        .legend span{display:inline-block;margin-right:12px;font-size:12px}.sw{display:inline-block;width:10px;height:10px;margin-right:4px}
        svg{display:block;margin:2px 0}
        </style></head><body>
        <h1>Video report: \(esc(name(summary.source)))</h1>
        """
        h += "<p class=\"note\">Made by Mien. Expression estimates describe how annotators would label a facial "
            + "expression; an expression is not a felt emotion. Head and body movement are movement measures, not "
            + "emotion.</p>\n"
        if let stopped = summary.stopped {
            h += "<p class=\"warn\">The video ended early: \(esc(stopped)). Everything below covers the frames "
                + "analysed before that.</p>\n"
        }
        h += summaryTable()
        for track in summary.tracks { h += trackSection(track) }
        if let voice { h += voiceSection(voice) }
        if !summary.events.isEmpty { h += eventsTable() }
        h += "<h2>Notice for the people analysed</h2>\n"
        for s in notice { h += "<h3>\(esc(s.title))</h3><p>\(esc(s.text))</p>\n" }
        h += "</body></html>\n"
        return h
    }

    func summaryTable() -> String {
        let s = summary
        var rows: [(String, String)] = [
            ("Source", name(s.source)), ("Frame size", "\(s.width)×\(s.height)"),
            ("Frames analysed", "\(s.framesAnalysed) of \(s.framesDecoded) decoded"
             + (s.framesDropped > 0 ? ", \(s.framesDropped) dropped to keep up" : "")),
            ("Video time covered", String(format: "%.1f s", s.duration)),
            ("Speed", String(format: "%.1f frames/s (%.1f s wall)", s.framesPerSecond, s.wallSeconds)),
            ("Outputs", s.outputs.joined(separator: ", ")), ("Tracks (people followed)", "\(s.tracks.count)"),
        ]
        if let m = s.model { rows.append(("Expression model", m)) }
        var h = "<h2>Summary</h2><table>"
        for (k, v) in rows { h += "<tr><th>\(esc(k))</th><td>\(esc(v))</td></tr>" }
        h += "</table>\n"
        guard !s.tracks.isEmpty else { return h + "<p>No face was found.</p>\n" }
        h += "<table><tr><th>track</th><th>seen</th><th>frames (detected)</th>"
        if timeline.classes != nil { h += "<th>most frequent label</th><th>uncertain</th><th>mean valence / arousal</th>" }
        h += "<th>head speed °/s</th><th>body motion</th><th>nods / shakes</th><th>blinks (per min)</th></tr>"
        for t in s.tracks {
            h += "<tr><td>#\(t.track)</td><td>\(String(format: "%.1f–%.1f s", t.firstTime, t.lastTime))</td>"
            h += "<td>\(t.frames) (\(t.detectedFrames))</td>"
            if timeline.classes != nil {
                let shares = (t.labelShare ?? [:]).filter { $0.key != ExpressionEstimate.uncertainLabel }
                let top = shares.max { $0.value < $1.value }
                h += "<td>" + (top.map { "\(labelText($0.key)) \(pct($0.value))" } ?? "–") + "</td>"
                h += "<td>\(pct(t.labelShare?[ExpressionEstimate.uncertainLabel] ?? 0))</td>"
                h += "<td>" + String(format: "%+.2f / %+.2f", t.meanValence ?? 0, t.meanArousal ?? 0) + "</td>"
            }
            h += "<td>" + (t.meanHeadSpeed.map { String(format: "%.1f", $0) } ?? "–") + "</td>"
            h += "<td>" + (t.meanBodyMotion.map { String(format: "%.3f", $0) } ?? "–") + "</td>"
            h += "<td>\(t.nods) / \(t.shakes)</td><td>" + (t.blinks.map { b in
                "\(b)" + (t.blinksPerMinute.map { String(format: " (%.1f)", $0) } ?? "")
            } ?? "–") + "</td></tr>"
        }
        return h + "</table>\n"
    }

    func trackSection(_ t: TrackSummary) -> String {
        guard let points = timeline.tracks[t.track], !points.isEmpty else { return "" }
        var h = "<h2>Track #\(t.track)</h2><div class=\"track\">"
        if let jpeg = thumbnails[t.track] {
            h += "<img alt=\"track \(t.track)\" width=\"96\" src=\"data:image/jpeg;base64,\(jpeg.base64EncodedString())\">"
        }
        h += "<div class=\"note\">seen \(String(format: "%.1f–%.1f s", t.firstTime, t.lastTime)), \(t.frames) frames; "
            + "movement baseline from \(esc(t.baselineSource ?? "–"))</div></div>\n"
        let t0 = summary.tracks.map(\.firstTime).min() ?? 0
        let t1 = max(summary.tracks.map(\.lastTime).max() ?? 1, t0 + 0.001)
        let times = points.map(\.time)
        if let classes = timeline.classes, points.contains(where: { !$0.probabilities.isEmpty }) {
            h += "<h3>Expression (smoothed probabilities)</h3>"
            h += legend(classes.map { (labelText($0), Self.classColours[$0] ?? "#000") })
            let series = classes.enumerated().map { i, c in
                (Self.classColours[c] ?? "#000", points.map { $0.probabilities.count > i ? $0.probabilities[i] : .nan })
            }
            h += lineChart(times: times, series: series, range: (0, 1), t0: t0, t1: t1, unit: "probability")
            h += "<div class=\"note\">Label over time (grey = uncertain: the model abstains below its threshold)</div>"
            h += labelStrip(points, t0: t0, t1: t1)
            h += "<h3>Valence and arousal (derived from the probabilities)</h3>"
            h += legend([("valence", Self.seriesColours[0]), ("arousal", Self.seriesColours[1])])
            h += lineChart(times: times, series: [0, 1].map { i in
                (Self.seriesColours[i], points.map { $0.valenceArousal.count > i ? $0.valenceArousal[i] : .nan })
            }, range: (-1, 1), t0: t0, t1: t1, unit: "")
        }
        h += "<h3>Movement measures (relative to this person's baseline, inter-ocular distances)</h3>"
        h += legend(VideoCSV.measureNames.enumerated().map { ($1, Self.seriesColours[$0 % 10]) })
        let measureSeries = (0..<10).map { i in (Self.seriesColours[i], points.map { $0.measures[i] }) }
        h += lineChart(times: times, series: measureSeries, range: autoRange(measureSeries.map(\.1)), t0: t0, t1: t1,
                       unit: "IOD")
        if points.contains(where: { !$0.blendshapes.isEmpty }) {
            h += "<h3>Blendshapes (smoothed, 0–1; facial movement, not emotion)</h3>"
            h += legend(VideoTimeline.blendshapes.enumerated().map { ($1.name, Self.seriesColours[$0 % 10]) })
            let series = VideoTimeline.blendshapes.indices.map { i in
                (Self.seriesColours[i % 10], points.map { $0.blendshapes.count > i ? $0.blendshapes[i] : .nan })
            }
            h += lineChart(times: times, series: series, range: (0, 1), t0: t0, t1: t1, unit: "")
        }
        h += "<h3>Head pose (degrees)</h3>"
        h += legend(VideoTimeline.headPose.enumerated().map { ($1, Self.seriesColours[$0]) })
        let pose = (0..<3).map { i in (Self.seriesColours[i], points.map { $0.pose[i] }) }
        h += lineChart(times: times, series: pose, range: autoRange(pose.map(\.1), minimum: 10), t0: t0, t1: t1, unit: "°")
        h += "<h3>Head speed (°/s) and upper-body motion (face widths/s × 100)</h3>"
        h += legend([("head speed", Self.seriesColours[3]), ("body motion ×100", Self.seriesColours[4])])
        let motion = [(Self.seriesColours[3], points.map { $0.motion[0] }),
                      (Self.seriesColours[4], points.map { $0.motion[1] * 100 })]
        h += lineChart(times: times, series: motion, range: autoRange(motion.map(\.1), minimum: 5), t0: t0, t1: t1,
                       unit: "")
        let events = summary.events.filter { $0.track == t.track }
        if !events.isEmpty {
            h += "<div class=\"note\">Movement events: " + events.map {
                String(format: "%@ %.1f–%.1f s", $0.kind.rawValue, $0.start, $0.end)
            }.joined(separator: "; ") + "</div>"
        }
        return h
    }

    func voiceSection(_ v: VoiceTimeline) -> String {
        var h = "<h2>Voice (soundtrack)</h2>"
        if let note = v.note { h += "<p class=\"note\">\(esc(note))</p>" }
        guard !v.seconds.isEmpty else { return h + "<p>No sound was analysed.</p>" }
        let t0 = 0.0, t1 = Double(max(v.seconds.last?.second ?? 1, 1) + 1)
        let times = v.seconds.map { Double($0.second) + 0.5 }
        h += legend([("speech share of each second", Self.seriesColours[0]), ("level (dBFS + 60)/60", Self.seriesColours[1])])
        h += lineChart(times: times, series: [(Self.seriesColours[0], v.seconds.map(\.speechFraction)),
                                              (Self.seriesColours[1], v.seconds.map { max(0, ($0.levelDBFS + 60) / 60) })],
                       range: (0, 1), t0: t0, t1: t1, unit: "")
        if !v.segments.isEmpty {
            h += "<div class=\"note\">Speech segments" + (v.segments.contains { $0.label != nil } ? " and vocal expression estimates" : "") + "</div>"
            let w = 1000.0
            var svg = "<svg width=\"\(Int(w))\" height=\"22\" viewBox=\"0 0 \(Int(w)) 22\">"
            for s in v.segments {
                let x = (s.start - t0) / (t1 - t0) * w, x2 = (s.end - t0) / (t1 - t0) * w
                let colour = s.label.flatMap { Self.classColours[$0] } ?? "#90caf9"
                svg += "<rect x=\"\(f(x))\" y=\"2\" width=\"\(f(max(1, x2 - x)))\" height=\"18\" fill=\"\(colour)\"><title>"
                    + esc(String(format: "%.1f–%.1f s %@", s.start, s.end, s.label ?? "speech")) + "</title></rect>"
            }
            h += svg + "</svg>"
        }
        return h
    }

    func eventsTable() -> String {
        var h = "<h2>Movement events</h2><p class=\"note\">Nods and shakes are repeated pitch or yaw swings: "
            + "movement, not agreement or refusal. Blinks come from the eyelid blendshapes and looks away from iris "
            + "gaze with head pose: eye movements, not attention, honesty or stress.</p><table><tr><th>track</th>"
            + "<th>kind</th><th>from</th><th>to</th><th>measure</th></tr>"
        for e in summary.events {
            var measure = "–"
            if let swings = e.swings, let amplitude = e.amplitude {
                measure = String(format: "%d swings, mean %.1f°", swings, amplitude)
            } else if let closure = e.peakClosure {
                measure = String(format: "peak eyelid closure %.2f", closure)
            } else if let off = e.peakOffCamera {
                measure = String(format: "up to %.0f° off the camera", off)
            }
            h += "<tr><td>#\(e.track)</td><td>\(e.kind.rawValue)</td><td>\(String(format: "%.2f s", e.start))</td>"
                + "<td>\(String(format: "%.2f s", e.end))</td><td>\(measure)</td></tr>"
        }
        return h + "</table>\n"
    }

    // MARK: - SVG

    func lineChart(times: [Double], series: [(String, [Double])], range: (Double, Double), t0: Double, t1: Double,
                   unit: String) -> String {
        let w = 1000.0, ht = 150.0, left = 40.0, bottom = 18.0
        let plotW = w - left - 5, plotH = ht - bottom - 5
        func x(_ t: Double) -> Double { left + (t - t0) / (t1 - t0) * plotW }
        func y(_ v: Double) -> Double { 5 + (1 - (v - range.0) / max(range.1 - range.0, 1e-9)) * plotH }
        var svg = "<svg width=\"\(Int(w))\" height=\"\(Int(ht))\" viewBox=\"0 0 \(Int(w)) \(Int(ht))\" role=\"img\">"
        svg += "<rect x=\"\(f(left))\" y=\"5\" width=\"\(f(plotW))\" height=\"\(f(plotH))\" fill=\"#fafafa\" stroke=\"#ddd\"/>"
        for v in [range.0, (range.0 + range.1) / 2, range.1] {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotW))\" y1=\"\(f(y(v)))\" y2=\"\(f(y(v)))\" stroke=\"#e5e5e5\"/>"
            svg += "<text x=\"2\" y=\"\(f(y(v) + 4))\" font-size=\"10\" fill=\"#666\">\(String(format: "%.2g", v))</text>"
        }
        let step = niceStep(t1 - t0)
        var tick = (t0 / step).rounded(.up) * step
        while tick <= t1 {
            svg += "<text x=\"\(f(x(tick) - 8))\" y=\"\(f(ht - 4))\" font-size=\"10\" fill=\"#666\">\(String(format: "%gs", tick))</text>"
            tick += step
        }
        for (colour, values) in series {
            var d = "", pen = false
            for (t, v) in zip(times, values) {
                guard v.isFinite else { pen = false; continue }
                let vv = min(max(v, range.0), range.1)
                d += (pen ? "L" : "M") + f(x(t)) + " " + f(y(vv))
                pen = true
            }
            if !d.isEmpty {
                svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.3\"/>"
            }
        }
        if !unit.isEmpty { svg += "<text x=\"\(f(left + 4))\" y=\"16\" font-size=\"10\" fill=\"#888\">\(esc(unit))</text>" }
        return svg + "</svg>\n"
    }

    func labelStrip(_ points: [VideoTimeline.Point], t0: Double, t1: Double) -> String {
        let w = 1000.0, left = 40.0, plotW = w - left - 5
        var svg = "<svg width=\"\(Int(w))\" height=\"16\" viewBox=\"0 0 \(Int(w)) 16\">"
        for (i, p) in points.enumerated() {
            guard let label = p.label else { continue }
            let next = i + 1 < points.count ? points[i + 1].time : p.time + 0.05
            let x = left + (p.time - t0) / (t1 - t0) * plotW
            let x2 = left + (min(next, p.time + 1) - t0) / (t1 - t0) * plotW
            svg += "<rect x=\"\(f(x))\" y=\"1\" width=\"\(f(max(0.8, x2 - x)))\" height=\"14\" fill=\"\(Self.classColours[label] ?? "#000")\"/>"
        }
        return svg + "</svg>\n"
    }

    func legend(_ items: [(String, String)]) -> String {
        "<div class=\"legend\">" + items.map { "<span><i class=\"sw\" style=\"background:\($0.1)\"></i>\(esc($0.0))</span>" }
            .joined() + "</div>"
    }

    /// A class name with the model's recall for it ("sadness (recall 68%)"); "uncertain" as itself.
    func labelText(_ name: String) -> String {
        guard let r = recall?[name] else { return name }
        return "\(name) (recall \(pct(r)))"
    }

    func autoRange(_ series: [[Double]], minimum: Double = 0.1) -> (Double, Double) {
        let all = series.flatMap { $0 }.filter(\.isFinite)
        guard let lo = all.min(), let hi = all.max() else { return (-minimum, minimum) }
        let m = max(abs(lo), abs(hi), minimum)
        return lo >= 0 ? (0, m) : (-m, m)
    }

    func niceStep(_ span: Double) -> Double {
        for s in [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600] where span / s <= 12 { return s }
        return 1200
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func pct(_ v: Double) -> String { "\(Int((v * 100).rounded()))%" }
    func name(_ path: String) -> String { (path as NSString).lastPathComponent }
    func esc(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
