import Foundation
import MienTesting
import XCTest

/// `mien video` with the face mesh, end to end with the real binary and models on the sample video (a woman crying
/// at the start, a hand over her face at 6–9 s, laughing at the end): blendshapes and gaze on every frame, measured on
/// every k-th and carried between, blinks as events and in the track summary, the CSV columns, measures-only and
/// `--no-blendshapes`.
final class VideoBlendshapeTests: XCTestCase {
    func testSampleVideoBlendshapesBlinksAndColumns() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let jsonl = dir.appendingPathComponent("b.jsonl"), csv = dir.appendingPathComponent("b.csv")
        let html = dir.appendingPathComponent("b.html")
        let run = try TestSupport.run(["video", VideoSupport.sample.path, "--quiet", "--measures-only",
                                       "--blendshapes-every", "3", "--jsonl", jsonl.path, "--csv", csv.path,
                                       "--report", html.path], home: dir, timeout: 600)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = VideoSupport.jsonLines(jsonl)
        let frames = lines.filter { $0["kind"] as? String == "video-frame" }
        XCTAssertEqual(frames.count, VideoSupport.sampleFrames)

        // Every face has mesh values, measured on every 3rd frame of its track and carried in between.
        var measured = 0, faces = 0, abstained = 0
        var early: [String: [Double]] = [:], late: [String: [Double]] = [:]
        var lastMeasured: ([String: Double], [String: Double])?
        for frame in frames {
            let index = try XCTUnwrap(frame["frame"] as? Int), time = try XCTUnwrap(frame["time"] as? Double)
            for face in frame["faces"] as? [[String: Any]] ?? [] {
                faces += 1
                let meshFrame = try XCTUnwrap(face["mesh_frame"] as? Int, "frame \(index) has mesh values")
                XCTAssertTrue((index - 2...index).contains(meshFrame), "frame \(index): values from \(meshFrame)")
                if meshFrame == index { measured += 1 }
                let shapes = try XCTUnwrap(face["blendshapes"] as? [String: Any])
                if let reason = shapes["abstained"] as? String {
                    abstained += 1
                    print("frame \(index): mesh abstained: \(reason)")
                    continue
                }
                let raw = try XCTUnwrap(shapes["coefficients"] as? [String: Double])
                let relative = try XCTUnwrap((face["blendshapes_relative"] as? [String: Any])?["coefficients"]
                                             as? [String: Double], "frame \(index): relative to the track's baseline")
                XCTAssertEqual(relative.count, 52)
                XCTAssertTrue(relative.values.allSatisfy { (-1...1).contains($0) })
                if meshFrame == index { lastMeasured = (raw, relative) }
                let smooth = try XCTUnwrap((face["blendshapes_smoothed"] as? [String: Any])?["coefficients"]
                                           as? [String: Double])
                XCTAssertEqual(raw.count, 52)
                XCTAssertEqual(smooth.count, 52)
                XCTAssertTrue(raw.values.allSatisfy { (0...1).contains($0) })
                XCTAssertNotNil(face["gaze"], "frame \(index) has gaze (or its abstention)")
                XCTAssertNil(face["expression"], "measures-only")
                for name in ["jawOpen", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "eyeSquintLeft",
                             "browInnerUp"] {
                    if time < 3 { early[name, default: []].append(smooth[name] ?? 0) }
                    if time > 15 { late[name, default: []].append(smooth[name] ?? 0) }
                }
            }
        }
        XCTAssertGreaterThan(faces, 440)
        XCTAssertLessThan(abstained, faces / 10, "the mesh gives values on nearly every frame")
        // every 3rd frame, plus the frames where the 68-point eye opening dropped (blink candidates)
        let share = Double(measured) / Double(faces)
        print(String(format: "mesh ran on %d of %d faces (%.0f%%)", measured, faces, share * 100))
        XCTAssertGreaterThanOrEqual(share, 0.32, "the mesh ran on at least every 3rd frame")
        XCTAssertLessThan(share, 0.7, "blink candidates are a minority of the frames")
        func mean(_ v: [Double]?) -> Double { (v ?? []).reduce(0, +) / Double(max(1, v?.count ?? 0)) }
        let report = ["jawOpen", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "eyeSquintLeft", "browInnerUp"]
            .map { String(format: "%@ %.3f → %.3f", $0, mean(early[$0]), mean(late[$0])) }
        print("smoothed blendshapes, mean over t < 3 s → t > 15 s: " + report.joined(separator: ", "))
        // What the numbers show (one run: browInnerUp 0.32 → 0.08, mouthSmile 0.74 → 0.86, jawOpen 0.00 →
        // 0.02): the crying start raises the inner brows (AU1, the classic brow of distress) far more than the
        // laughing end, and the laughing end pulls the lip corners more; the model reads the crying mouth as half a
        // smile too, and the jaw stays nearly closed in both, so neither is asserted as more than that.
        XCTAssertGreaterThan(mean(early["browInnerUp"]), mean(late["browInnerUp"]) + 0.15, report.joined(separator: ", "))
        let smileEarly = (mean(early["mouthSmileLeft"]) + mean(early["mouthSmileRight"])) / 2
        let smileLate = (mean(late["mouthSmileLeft"]) + mean(late["mouthSmileRight"])) / 2
        XCTAssertGreaterThan(smileLate, smileEarly + 0.05, report.joined(separator: ", "))

        // Blinks: events with a start before their end, counted in the track summary, at a human rate.
        let summary = try XCTUnwrap(lines.last)
        // The per-track blendshape baseline (measures-only: the median of the mesh frames of the last 60 s, sampled at
        // most 5 times a second): after the last mesh frame it no longer changes, so that frame's relative values are
        // exactly its raw values minus the baseline the summary reports (to the 4 decimals both are written with).
        let baseline = try XCTUnwrap((summary["tracks"] as? [[String: Any]])?.first?["blendshapeBaseline"]
                                     as? [String: Double])
        XCTAssertEqual(baseline.count, 52)
        XCTAssertGreaterThan(baseline["mouthSmileLeft"] ?? 0, 0.2, "she smiles or cries with a half smile throughout")
        let (lastRaw, lastRelative) = try XCTUnwrap(lastMeasured)
        for (name, raw) in lastRaw {
            XCTAssertEqual(lastRelative[name] ?? .nan, raw - (baseline[name] ?? .nan), accuracy: 3e-4, name)
        }
        let events = summary["events"] as? [[String: Any]] ?? []
        let blinks = events.filter { $0["kind"] as? String == "blink" }
        let track = try XCTUnwrap((summary["tracks"] as? [[String: Any]])?.first)
        let perMinute = try XCTUnwrap(track["blinksPerMinute"] as? Double)
        print("blinks: \(blinks.count) (\(perMinute) per minute): "
              + blinks.map { "\($0["start"] ?? "?")–\($0["end"] ?? "?") s" }.joined(separator: ", "))
        XCTAssertEqual(track["blinks"] as? Int, blinks.count)
        XCTAssertTrue((2...12).contains(blinks.count), "\(blinks.count) blinks in 19.7 s")
        for b in blinks {
            let start = try XCTUnwrap(b["start"] as? Double), end = try XCTUnwrap(b["end"] as? Double)
            XCTAssertLessThan(start, end)
            XCTAssertLessThanOrEqual(end - start, 1.0)
            XCTAssertEqual(b["track"] as? Int, 1)
            XCTAssertGreaterThanOrEqual(b["peak_closure"] as? Double ?? 0, 0.5)
        }
        // Every blink is also on the frame where it ended.
        let frameBlinks = frames.flatMap { $0["events"] as? [[String: Any]] ?? [] }.filter { $0["kind"] as? String == "blink" }
        XCTAssertEqual(frameBlinks.count, blinks.count)
        try checkAgainstHandLabels(events, fps: try XCTUnwrap(summary["fps"] as? Double))

        // CSV: the mesh columns after the older ones, filled on every row.
        let rows = VideoSupport.csvRows(csv)
        let header = rows[0]
        XCTAssertEqual(header.last, "bsr_noseSneerRight")
        XCTAssertLessThan(try XCTUnwrap(header.firstIndex(of: "y_67")), try XCTUnwrap(header.firstIndex(of: "mesh_frame")))
        for column in ["mesh_frame", "gaze_yaw", "gaze_camera_pitch", "bs_jawOpen", "bss_eyeBlinkLeft", "bsr_jawOpen"] {
            XCTAssertTrue(header.contains(column), column)
        }
        let jaw = try XCTUnwrap(header.firstIndex(of: "bs_jawOpen"))
        XCTAssertTrue(rows.dropFirst().allSatisfy { $0.count == header.count })
        XCTAssertEqual(rows.dropFirst().filter { !$0[jaw].isEmpty }.count, faces - abstained)
        XCTAssertTrue(try String(contentsOf: html, encoding: .utf8).contains("<td>blink</td>"), "blinks in the report")
    }

    /// The blink and closed-eyes events against the eye closures labelled by hand, frame by frame
    /// (Tests/Fixtures/blinks: 5 blinks, a laughing squint, two long closures). Each event must fall on a labelled
    /// closure (±1 frame); both long closures must be found as `eyes-closed`, the last one still closed when the
    /// video ends. Of the 5 blinks the detector finds 3: the two it misses (frames 202 and 248) reach a mean
    /// `eyeBlink` of only 0.35 on their shut frame, under the 0.5 threshold set before the labels (docs/BLENDSHAPES.md).
    private func checkAgainstHandLabels(_ events: [[String: Any]], fps: Double) throws {
        let labels = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestSupport.repository.appendingPathComponent(
                "Tests/Fixtures/blinks/pexels_3063838_eye_closures.json"))) as? [String: Any])
        let closures = try XCTUnwrap(labels["closures"] as? [[String: Any]]).map {
            (first: $0["first"] as? Int ?? -1, last: $0["last"] as? Int ?? -1, kind: $0["kind"] as? String ?? "")
        }
        let eyeEvents = events.filter { ["blink", "eyes-closed"].contains($0["kind"] as? String ?? "") }
        var found = Set<Int>()
        for event in eyeEvents {
            let start = try XCTUnwrap(event["start"] as? Double), end = try XCTUnwrap(event["end"] as? Double)
            // The event's frames: from its first closed frame to the frame before the eyes read open again.
            let first = Int((start * fps).rounded()), last = max(first, Int((end * fps).rounded()) - 1)
            let hit = closures.indices.filter { closures[$0].first - 1 <= last && first <= closures[$0].last + 1 }
            XCTAssertFalse(hit.isEmpty, "\(event["kind"] ?? "?") at frames \(first)–\(last) is on no labelled closure")
            found.formUnion(hit)
            if event["kind"] as? String == "eyes-closed" {
                XCTAssertTrue(hit.allSatisfy { closures[$0].kind == "closed" }, "eyes-closed at \(first)–\(last)")
            }
        }
        let longOnes = closures.indices.filter { closures[$0].kind == "closed" }
        for i in longOnes {
            let c = closures[i]
            XCTAssertTrue(eyeEvents.contains { e in
                e["kind"] as? String == "eyes-closed" && found.contains(i)
                    && abs(Int(((e["start"] as? Double ?? -9) * fps).rounded()) - c.first) <= 3
            }, "the eyes shut at frames \(c.first)–\(c.last) are an eyes-closed event")
        }
        let blinkLabels = closures.indices.filter { closures[$0].kind == "blink" }
        let recalled = blinkLabels.filter(found.contains).count
        print("hand-labelled blinks found: \(recalled) of \(blinkLabels.count); events on a labelled closure: "
              + "\(eyeEvents.count) of \(eyeEvents.count)")
        XCTAssertGreaterThanOrEqual(recalled, 3, "3 of the 5 labelled blinks were found when the labels were made")
    }

    func testNoBlendshapesRemovesThemAndExpressionRunsKeepThem() throws {
        let dir = try TestSupport.temporaryDirectory(self)
        let on = dir.appendingPathComponent("on.jsonl"), off = dir.appendingPathComponent("off.jsonl")
        let offCSV = dir.appendingPathComponent("off.csv")
        let withExpressions = try TestSupport.run(["video", VideoSupport.sample.path, "--end", "2", "--quiet",
                                                   "--blendshapes", "--purpose", "research-with-consent",
                                                   "--jsonl", on.path],
                                                  home: dir, timeout: 300)
        XCTAssertEqual(withExpressions.status, 0, withExpressions.stderr)
        let face = try XCTUnwrap((VideoSupport.jsonLines(on).first?["faces"] as? [[String: Any]])?.first)
        for key in ["expression", "blendshapes", "blendshapes_smoothed", "gaze", "mesh_frame"] {
            XCTAssertNotNil(face[key], "\(key) beside the expression estimate")
        }
        let without = try TestSupport.run(["video", VideoSupport.sample.path, "--end", "2", "--quiet", "--measures-only",
                                           "--no-blendshapes", "--jsonl", off.path, "--csv", offCSV.path],
                                          home: dir, timeout: 300)
        XCTAssertEqual(without.status, 0, without.stderr)
        let text = try String(contentsOf: off, encoding: .utf8)
        for key in ["blendshapes", "gaze", "mesh_frame", "\"blink", "blinksPerMinute"] {
            XCTAssertFalse(text.contains(key), "\(key) with --no-blendshapes")
        }
        XCTAssertTrue(text.contains("movement_measures"), "the 68-point measures stay")
        XCTAssertFalse(VideoSupport.csvRows(offCSV)[0].contains { $0.hasPrefix("bs_") || $0.hasPrefix("gaze_") })
    }
}
