import Foundation
import Mien
import MienCore
import MienTesting
import MienVision
import XCTest

/// A long video cut into segments that run in parallel gives the results of one run: the same frames, the same
/// track ids across the cuts (two people, one of whom appears and leaves), the same raw measures and estimates,
/// and smoothed values and baselines within the output's last digit.
final class SegmentedVideoTests: XCTestCase {
    func testPlanCoversEveryFrameOnceOnTheStrideAndIgnoresTheCoreCount() throws {
        let home = try TestSupport.temporaryDirectory(self)
        var options = VideoOptions()
        options.every = 3
        let analyzer = try VideoAnalyzer(options: options,
                                         governance: Governance(purpose: .researchWithConsent, actor: "t", home: home))
        let plans = [1, 2, 8].map {
            SegmentedVideoAnalysis(analyzer: analyzer, segmentSeconds: 60, parallel: $0).plan(fps: 25, frameCount: 15_001)
        }
        XCTAssertEqual(plans[0], plans[1])
        XCTAssertEqual(plans[0], plans[2])
        let plan = plans[0]
        XCTAssertEqual(plan.count, 10, "600 s in 60-second segments")
        XCTAssertEqual(plan.first?.first, 0)
        XCTAssertNil(plan.last?.end)
        for (a, b) in zip(plan, plan.dropFirst()) {
            XCTAssertEqual(a.end, b.first, "segments meet")
            XCTAssertEqual(b.first % 3, 0, "cuts fall on analysed frames")
            XCTAssertEqual(b.warmup % 3, 0)
            XCTAssertEqual(b.first - b.warmup, 48, "2 s of warm-up at 25 fps, on the stride")
        }
        let short = SegmentedVideoAnalysis(analyzer: analyzer, segmentSeconds: 60, parallel: 2)
        XCTAssertEqual(short.plan(fps: 25, frameCount: 2_999).count, 1, "under two segments: one piece")
        XCTAssertEqual(short.plan(fps: 0, frameCount: 2_999).count, 1, "unknown rate: one piece")
    }

    /// A start far into a file seeks to the keyframe before it: the first frame delivered is exactly the one a read
    /// from the beginning gives at that index, pixel for pixel.
    func testStartFarIntoAFileLandsOnTheExactFrame() throws {
        for start in [5.0, 12.5, 19.0] {
            var options = VideoSource.Options()
            options.start = start
            let seeking = try VideoSource(.file(VideoSupport.sample), options: options)
            let landed = try XCTUnwrap(seeking.next(), "a frame at \(start) s")
            seeking.close()
            let expected = Int((start * seeking.fps - 1e-6).rounded(.up))
            XCTAssertEqual(landed.index, expected, "start \(start) s")
            let reading = try VideoSource(.file(VideoSupport.sample))
            var frame = reading.next()
            while let f = frame, f.index < landed.index { frame = reading.next() }
            reading.close()
            let same = try XCTUnwrap(frame)
            XCTAssertEqual(same.index, landed.index)
            XCTAssertEqual(try same.image.bgrPixels(), try landed.image.bgrPixels(), "frame \(landed.index): same pixels")
        }
    }

    func testSegmentsStitchBackIntoTheSingleRun() throws {
        let home = try TestSupport.temporaryDirectory(self)
        // 12 s: the sample and its copy side by side; the right person is there from 3 s to 8 s only, so their
        // track starts in the first segment and ends in the second.
        let video = try VideoSupport.twoPeople(seconds: 12, rightHiddenWhen: "lt(t,3)+gt(t,8)",
                                               named: "two_faces_12s.mp4", home: home)
        let governance = Governance(purpose: .researchWithConsent, actor: "t", home: home)
        var options = VideoOptions()
        options.deliverFrames = false
        options.thumbnails = false
        // As batch runs do: detection on every 10th frame of the video, inline, so results do not depend on
        // thread timing and a segment detects on the frames the single run does.
        options.detectEvery = 10
        options.discovery = .inline
        let analyzer = try VideoAnalyzer(options: options, governance: governance)

        var single: [VideoFrameResult] = []
        let whole = try analyzer.analyze(.file(video)) { frame, _ in single.append(frame) }.summary
        let segmented = SegmentedVideoAnalysis(analyzer: analyzer, segmentSeconds: 5, parallel: 2)
        var stitched: [VideoFrameResult] = []
        let parts = home.appendingPathComponent("parts")
        let summary = try segmented.analyze(video, scratch: parts) { stitched.append($0) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: parts.path), "scratch files are removed")
        XCTAssertEqual(segmented.plan(fps: 24000.0 / 1001, frameCount: 288).count, 2)

        XCTAssertEqual(stitched.map(\.frame), single.map(\.frame), "every frame once, in order")
        var maxSmoothed = 0.0, maxRelative = 0.0, crossed = Set<Int>()
        for (a, b) in zip(single, stitched) {
            XCTAssertEqual(a.faces.map(\.track), b.faces.map(\.track), "frame \(a.frame): the same track ids")
            XCTAssertEqual(a.events.map(\.kind), b.events.map(\.kind), "frame \(a.frame)")
            for (x, y) in zip(a.faces, b.faces) {
                // Segments pass through their scratch files, which keep what the output keeps (0.1 px boxes).
                XCTAssertEqual(x.face.box.x, y.face.box.x, accuracy: 0.051)
                XCTAssertEqual(x.face.box.width, y.face.box.width, accuracy: 0.051)
                XCTAssertEqual(x.face.expression?.label, y.face.expression?.label)
                for (p, q) in zip(x.smoothed?.probabilities ?? [], y.smoothed?.probabilities ?? []) {
                    maxSmoothed = max(maxSmoothed, abs(p - q))
                }
                for (p, q) in zip(x.relativeMeasures?.named.map(\.1) ?? [], y.relativeMeasures?.named.map(\.1) ?? []) {
                    maxRelative = max(maxRelative, abs(p - q))
                }
                if a.time > 6 { crossed.insert(y.track) }
            }
        }
        print("segmented vs single run: \(stitched.count) frames, max |Δ smoothed p| \(maxSmoothed), "
              + "max |Δ relative measure| \(maxRelative)")
        XCTAssertEqual(crossed, [1, 2], "both people keep their ids across the cut at 6 s")
        XCTAssertLessThan(maxSmoothed, 0.01)
        XCTAssertLessThan(maxRelative, 0.001, "baselines are recomputed over the whole video")
        XCTAssertEqual(summary.framesAnalysed, whole.framesAnalysed)
        XCTAssertEqual(summary.tracks.map(\.track), whole.tracks.map(\.track))
        XCTAssertEqual(summary.tracks.map(\.frames), whole.tracks.map(\.frames))
        XCTAssertEqual(summary.tracks.map(\.nods), whole.tracks.map(\.nods))
        XCTAssertEqual(summary.tracks.map(\.baselineSource), whole.tracks.map(\.baselineSource))
        XCTAssertEqual(try governance.verifyAuditLog().recordCount, 2, "one audit record per analysis of the video")
    }
}
