import Foundation
import MienCore
import MienStore
import MienVision

/// One long video on several cores: the video is cut into fixed-length time segments that are analysed in
/// parallel, each from a short warm-up before its start, and the segments are stitched back in order so that a
/// person keeps one track id for the whole video.
///
/// - **Where it cuts**: every `segmentSeconds` of source time, on a frame the stride keeps, so the frames analysed
///   are exactly the frames a single run analyses. The plan depends on the video and the options only, never on the
///   number of cores: a result does not change with `--jobs`.
/// - **Warm-up**: each segment after the first starts `warmupSeconds` early. Its warm-up frames are not reported;
///   they let the tracker find the faces and the expression smoothing settle (2 s is five time constants of the
///   default 0.4 s smoothing), and they overlap the frames the previous segment reported.
/// - **Stitching**: in the overlap both segments saw the same faces; a segment's track takes over the id of the
///   previous segment's track whose boxes it overlaps most (IoU ≥ 0.5 on the shared frames, one to one). Tracks
///   that match nothing get the next new id, in order of first appearance, as a single run numbers them. Track
///   summaries are rebuilt from the stitched frames.
/// - **Baselines**: movement measures relative to the neutral baseline (a sliding 60-second window) are computed
///   again while stitching, over the whole video's frames in order, as a single run computes them; a body's
///   shoulder raise keeps the baseline its track had in the segment where it began.
/// - **What differs from one run** (docs/BATCH.md): the smoothed expression in a segment's first frames (it settled
///   over the warm-up, not over all earlier frames: differences ≤ 0.01 in probability), and a segment whose data is
///   damaged stops only itself.
///
/// Memory stays flat: segments stream their frames to scratch files, and only the overlap frames are held.
public struct SegmentedVideoAnalysis: Sendable {
    public let analyzer: VideoAnalyzer
    /// Length of a segment in source seconds; a video shorter than two segments runs as one.
    public let segmentSeconds: Double
    public let warmupSeconds: Double
    /// Segments analysed at once.
    public let parallel: Int

    public init(analyzer: VideoAnalyzer, segmentSeconds: Double, warmupSeconds: Double = 2, parallel: Int) {
        self.analyzer = analyzer
        self.segmentSeconds = segmentSeconds
        self.warmupSeconds = warmupSeconds
        self.parallel = max(1, parallel)
    }

    /// A segment: the frames it reports, [`first`, `end`), and the frame it starts decoding from (`warmup` ≤ `first`).
    public struct Segment: Sendable, Hashable {
        public var warmup: Int
        public var first: Int
        /// One past the last reported frame; nil for the last segment (to the end of the video).
        public var end: Int?
    }

    /// The segments of a video of `frameCount` frames at `fps`; one segment when it is too short to split or its
    /// rate or length is unknown.
    public func plan(fps: Double, frameCount: Int) -> [Segment] {
        let options = analyzer.options
        let stride = options.stride(sourceFPS: fps)
        guard segmentSeconds > 0, fps > 0, frameCount > 0, options.start == 0, options.end == nil else {
            return [Segment(warmup: 0, first: 0, end: nil)]
        }
        func aligned(_ frames: Double) -> Int { max(stride, Int(frames / Double(stride)) * stride) }
        let count = Int(Double(frameCount) / (segmentSeconds * fps))
        guard count >= 2 else { return [Segment(warmup: 0, first: 0, end: nil)] }
        // Equal segments (the last one takes the rounding), so that no segment runs alone at the end.
        let length = aligned(Double(frameCount) / Double(count))
        let warm = aligned(warmupSeconds * fps)
        return (0..<count).map { i in
            let first = i * length
            return Segment(warmup: max(0, first - warm), first: first, end: i == count - 1 ? nil : first + length)
        }
    }

    /// Analyses the file and calls `onFrame` for every analysed frame in order, with stitched track ids; returns the
    /// whole video's summary. Scratch files go to `scratch` (created; removed afterwards). One audit record.
    public func analyze(_ url: URL, scratch: URL, onFrame: (VideoFrameResult) throws -> Void) throws -> VideoSummary {
        let input = VideoInput.file(url)
        var probeOptions = VideoSource.Options()
        probeOptions.maxPixels = analyzer.options.analysis.maxPixels
        let probe = try VideoSource(input, options: probeOptions)
        let (fps, frameCount) = (probe.fps, probe.frameCount)
        probe.close()
        let segments = plan(fps: fps, frameCount: frameCount)
        if segments.count == 1 {
            return try analyzer.analyze(input) { frame, _ in try onFrame(frame) }.summary
        }
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let digest = InputDigest(input)
        let started = DispatchTime.now().uptimeNanoseconds
        let outcomes = try runSegments(segments, input: input, fps: fps, scratch: scratch)
        var stitcher = SegmentStitcher()
        var summary: VideoSummary?
        for (segment, outcome) in zip(segments, outcomes) {
            stitcher.beginSegment(warmup: outcome.warmupFrames)
            let reader = try LineReader(url: outcome.file)
            var reported = Set(outcome.warmupFrames.flatMap(\.events))
            while let line = try reader.next() {
                var frame = try JSONDecoder().decode(VideoFrameResult.self, from: Data(line.utf8))
                reported.formUnion(frame.events)
                stitcher.stitch(&frame)
                try onFrame(frame)
            }
            // Head-motion patterns still open when the video ends are closed at the end, into the summary only.
            // Only the last segment's end is the video's: the other segments' ends are cuts, and the patterns
            // open there are found again by the next segment, which saw them from its warm-up.
            // The frames' events come back from the scratch file as written (times to the millisecond), so the
            // summary's are compared as written too.
            if segment.end == nil {
                let written = try outcome.summary.events.map {
                    try JSONDecoder().decode(MovementEvent.self, from: JSONEncoder().encode($0))
                }
                stitcher.closing(written.filter { !reported.contains($0) })
            }
            try? FileManager.default.removeItem(at: outcome.file)
            if summary == nil {
                summary = outcome.summary
            } else if summary?.stopped == nil, let stopped = outcome.summary.stopped {
                summary?.stopped = "segment from frame \(segment.first): \(stopped)"
            }
            let decoded = max(summary?.framesDecoded ?? 0, outcome.summary.framesDecoded)
            summary?.framesDecoded = decoded
        }
        guard var whole = summary else { throw VideoError.notAVideo(source: url.path, reason: "no segment ran") }
        let (tracks, events, analysed, first, last) = stitcher.finish()
        whole.tracks = tracks
        whole.events = events
        whole.framesAnalysed = analysed
        whole.duration = last - first
        whole.wallSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        whole.framesPerSecond = Double(analysed) / max(whole.wallSeconds, 1e-9)
        try analyzer.audit(input, digest: try digest.value(), summary: whole)
        return whole
    }

    struct Outcome: Sendable {
        var file: URL
        var summary: VideoSummary
        var warmupFrames: [VideoFrameResult]
    }

    /// Runs the segments, at most `parallel` at once, each on a thread of its own (dlib and OpenCV need more stack
    /// than Foundation gives secondary threads by default). Throws the first segment's error that could not open.
    private func runSegments(_ segments: [Segment], input: VideoInput, fps: Double, scratch: URL) throws -> [Outcome] {
        let results = SegmentResults(count: segments.count)
        let slots = DispatchSemaphore(value: parallel)
        let finished = DispatchGroup()
        for (index, segment) in segments.enumerated() {
            slots.wait()
            finished.enter()
            let thread = Thread { [analyzer] in
                defer { slots.signal(); finished.leave() }
                results.set(index, Result {
                    try Self.run(segment, index: index, analyzer: analyzer, input: input, fps: fps, scratch: scratch)
                })
            }
            thread.stackSize = 8 << 20
            thread.name = "mien-segment-\(index)"
            thread.start()
        }
        finished.wait()
        return try results.all()
    }

    private static func run(_ segment: Segment, index: Int, analyzer: VideoAnalyzer, input: VideoInput, fps: Double,
                            scratch: URL) throws -> Outcome {
        var options = analyzer.options
        options.start = Double(segment.warmup) / fps
        // The source stops after `end` (inclusive); frames past the segment are not reported anyway.
        options.end = segment.end.map { Double($0) / fps }
        let part = try VideoAnalyzer(engine: analyzer.engine, session: analyzer.session, options: options)
        let file = scratch.appendingPathComponent("segment-\(index).jsonl")
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw VideoError.cannotOpen(source: file.path, reason: "cannot create the segment's scratch file")
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var warmup: [VideoFrameResult] = []
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let run = try part.analyze(input, audited: false) { frame, _ in
            if frame.frame < segment.first {
                warmup.append(frame)
            } else if segment.end.map({ frame.frame < $0 }) ?? true {
                var line = try encoder.encode(frame)
                line.append(0x0A)
                try handle.write(contentsOf: line)
            }
        }
        return Outcome(file: file, summary: run.summary, warmupFrames: warmup)
    }
}

/// The segments' outcomes, filled in by their threads.
// Safe to share: `slots` is read and written only under `lock`.
private final class SegmentResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<SegmentedVideoAnalysis.Outcome, Error>?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<SegmentedVideoAnalysis.Outcome, Error>) {
        lock.withLock { slots[index] = result }
    }

    func all() throws -> [SegmentedVideoAnalysis.Outcome] {
        try lock.withLock { try slots.map { try $0!.get() } }
    }
}

/// Maps each segment's track ids onto the video's, from the frames the segments share, and rebuilds the track
/// summaries from the stitched frames.
struct SegmentStitcher {
    /// The last reported frames (video ids), by frame index: what the next segment's warm-up is matched against.
    private var tail: [Int: VideoFrameResult] = [:]
    private var tailFrames: [Int] = []
    private var mapping: [Int: Int] = [:]
    private var nextID = 1
    private var builders: [Int: TrackSummaryBuilder] = [:]
    private var order: [Int] = []
    private var baselines: [Int: NeutralBaseline] = [:]
    /// Blendshape baselines per video track, and the last relative values (carried like the mesh values).
    private var meshBaselines: [Int: BlendshapeBaseline] = [:]
    private var meshRelative: [Int: Blendshapes] = [:]
    /// Shoulder raise is against the median of a track's first body samples (`BodyTrack`), and each segment starts
    /// its tracks afresh: the baseline a video track had in the segment where it began (raise + height of its
    /// frames), and the tracks that began in an earlier segment, whose later frames are re-based on it.
    private var shoulderBaselines: [Int: Double] = [:]
    private var continuedTracks: Set<Int> = []
    private var events: [MovementEvent] = []
    private var analysed = 0
    private var firstTime: Double?
    private var lastTime = 0.0
    /// Frames of the tail kept for matching (more than any warm-up).
    private let tailLimit = 600

    /// The next segment starts: match its warm-up frames' tracks to the tracks of the frames already reported.
    mutating func beginSegment(warmup: [VideoFrameResult]) {
        mapping = [:]
        continuedTracks.formUnion(shoulderBaselines.keys)
        var votes: [Pair: Double] = [:]
        for frame in warmup {
            guard let seen = tail[frame.frame] else { continue }
            for mine in frame.faces {
                for theirs in seen.faces {
                    let overlap = mine.face.box.iou(theirs.face.box)
                    if overlap >= 0.5 { votes[Pair(local: mine.track, video: theirs.track), default: 0] += overlap }
                }
            }
        }
        var usedLocal = Set<Int>(), usedVideo = Set<Int>()
        for (pair, _) in votes.sorted(by: { $0.value != $1.value ? $0.value > $1.value
                                                                 : ($0.key.local, $0.key.video) < ($1.key.local, $1.key.video) })
        where !usedLocal.contains(pair.local) && !usedVideo.contains(pair.video) {
            mapping[pair.local] = pair.video
            usedLocal.insert(pair.local)
            usedVideo.insert(pair.video)
        }
    }

    private struct Pair: Hashable {
        var local: Int
        var video: Int
    }

    private mutating func videoID(_ local: Int) -> Int {
        if let id = mapping[local] { return id }
        let id = nextID
        nextID += 1
        mapping[local] = id
        return id
    }

    /// Rewrites the frame's track ids to the video's and adds it to the track summaries.
    mutating func stitch(_ frame: inout VideoFrameResult) {
        for i in frame.faces.indices { frame.faces[i].track = videoID(frame.faces[i].track) }
        for i in frame.events.indices { frame.events[i].track = videoID(frame.events[i].track) }
        frame.orderByTrack()
        for i in frame.faces.indices {
            let id = frame.faces[i].track
            if builders[id] == nil {
                builders[id] = TrackSummaryBuilder(track: id, time: frame.time)
                order.append(id)
            }
            if let m = frame.faces[i].face.measures {
                let neutral = frame.faces[i].smoothed?.label == "neutral"
                frame.faces[i].relativeMeasures = baselines[id, default: NeutralBaseline()]
                    .relative(m, at: frame.time, neutralLabel: neutral)
            }
            if let b = frame.faces[i].face.blendshapes, frame.faces[i].meshFrame == frame.frame {
                let neutral = frame.faces[i].smoothed?.label == "neutral"
                meshRelative[id] = meshBaselines[id, default: BlendshapeBaseline()]
                    .relative(b, at: frame.time, neutralLabel: neutral)
            }
            frame.faces[i].blendshapesRelative = frame.faces[i].meshFrame == nil ? nil : meshRelative[id]
            if var m = frame.faces[i].face.body?.movement, let raise = m.shoulderRaise, let height = m.shoulderHeight {
                if continuedTracks.contains(id), let base = shoulderBaselines[id] {
                    m.shoulderRaise = base - height
                    frame.faces[i].face.body?.movement = m
                } else {
                    shoulderBaselines[id] = raise + height
                }
            }
            builders[id]?.add(frame.faces[i], at: frame.time)
        }
        for event in frame.events {
            builders[event.track]?.add(event)
            events.append(event)
        }
        analysed += 1
        firstTime = firstTime ?? frame.time
        lastTime = frame.time
        tail[frame.frame] = frame
        tailFrames.append(frame.frame)
        if tailFrames.count > tailLimit {
            tail[tailFrames.removeFirst()] = nil
        }
    }

    /// Events the last segment closed at the end of the video (in its own ids).
    mutating func closing(_ found: [MovementEvent]) {
        for var event in found {
            event.track = videoID(event.track)
            builders[event.track]?.add(event)
            events.append(event)
        }
    }

    func finish() -> (tracks: [TrackSummary], events: [MovementEvent], analysed: Int, first: Double, last: Double) {
        let tracks = order.sorted().compactMap { id -> TrackSummary? in
            var baseline = baselines[id] ?? NeutralBaseline()
            var mesh = meshBaselines[id]
            return builders[id]?.finished(baseline: MovementMeasures(values: baseline.baseline()),
                                          baselineSource: baseline.source, blendshapeBaseline: mesh?.values())
        }
        return (tracks, events, analysed, firstTime ?? 0, lastTime)
    }
}
