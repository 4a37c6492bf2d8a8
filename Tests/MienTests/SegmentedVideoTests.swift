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

    /// Shoulder raise is against the median of a track's first body samples. A 12-s video of the astronaut whose
    /// body (everything below row 230) moves up 60 px from 2.5 s on (a raise of about 0.14): in one run the later frames read a raise
    /// against the start; cut in two at 6 s, the second segment (warm-up from 4 s) sees only the raised shoulders,
    /// and the stitcher must re-base it on the baseline the track had in the first segment.
    func testShoulderRaiseKeepsTheBaselineOfTheSegmentWhereTheTrackBegan() throws {
        let home = try TestSupport.temporaryDirectory(self)
        let video = home.appendingPathComponent("shrug.mp4")
        let made = try TestSupport.process(
            URL(fileURLWithPath: "/usr/bin/ffmpeg"),
            ["-v", "error", "-y", "-loop", "1", "-i", TestSupport.sample("nasa_astronaut_eileen_collins.png").path,
             "-t", "12", "-r", "24", "-filter_complex",
             "[0]split[a][b];[b]crop=512:282:0:230[low];[a][low]overlay=0:170:enable='gte(t,2.5)',format=yuv420p",
             "-c:v", "libx264", "-preset", "ultrafast", video.path],
            environment: [:], timeout: 60, what: "ffmpeg")
        XCTAssertEqual(made.status, 0, made.output)
        var options = VideoOptions()
        options.deliverFrames = false
        options.thumbnails = false
        options.detectEvery = 10
        options.discovery = .inline
        options.every = 2
        options.bodyEvery = 3
        options.analysis.measuresOnly = true
        options.analysis.blendshapes = false
        options.analysis.body = true
        let analyzer = try VideoAnalyzer(options: options,
                                         governance: Governance(purpose: .researchWithConsent, actor: "t", home: home))
        var single: [VideoFrameResult] = []
        _ = try analyzer.analyze(.file(video)) { frame, _ in single.append(frame) }
        var stitched: [VideoFrameResult] = []
        _ = try SegmentedVideoAnalysis(analyzer: analyzer, segmentSeconds: 5, parallel: 2)
            .analyze(video, scratch: home.appendingPathComponent("parts")) { stitched.append($0) }
        XCTAssertEqual(stitched.map(\.frame), single.map(\.frame))
        func movement(_ frame: VideoFrameResult) -> BodyMovement? { frame.faces.first?.face.body?.movement }
        // The keypoints themselves differ a little between the two runs (the body stage follows each person from
        // their previous keypoints, as MediaPipe does, and a segment starts following afresh), so the check is on
        // the baseline each frame's raise is taken against: raise + smoothed height.
        var worstBaseline = 0.0, worstRaise = 0.0, late: [Double] = []
        for (a, b) in zip(single, stitched) {
            guard let x = movement(a), let xr = x.shoulderRaise, let xh = x.shoulderHeight else { continue }
            let y = try XCTUnwrap(movement(b), "frame \(a.frame): body movement in the single run, not in the stitched one")
            let yr = try XCTUnwrap(y.shoulderRaise), yh = try XCTUnwrap(y.shoulderHeight)
            worstBaseline = max(worstBaseline, abs((xr + xh) - (yr + yh)))
            worstRaise = max(worstRaise, abs(xr - yr))
            if a.time > 7 { late.append(yr) }
        }
        let lateMean = late.reduce(0, +) / Double(max(1, late.count))
        print("shoulder raise, segmented vs single run: baseline max |Δ| \(worstBaseline), raise max |Δ| \(worstRaise); "
              + "mean raise after 7 s \(lateMean) over \(late.count) frames")
        XCTAssertGreaterThan(late.count, 50)
        XCTAssertGreaterThan(lateMean, 0.08, "the raised shoulders read as a raise against the start")
        XCTAssertLessThan(worstBaseline, 0.001, "the second segment keeps the first segment's baseline (to the 1e-4 written)")
    }
}
