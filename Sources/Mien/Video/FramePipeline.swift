import Foundation
import MienCore
import MienVision

/// The per-frame work of `VideoAnalyzer`, in constant memory: detection or landmark following, tracking, measures,
/// batched classification, and the temporal state of each track.
struct FramePipeline {
    let analyzer: VideoAnalyzer
    /// The engine instances lent to this run: the detector serves one thread at a time (this one, or the
    /// discovery job while this one follows faces); the classifier runs on the classification thread only.
    let detector: any FaceDetecting
    let classifier: (any ExpressionClassifying)?
    let width: Int
    let height: Int
    let batchFrames: Int
    private(set) var framesIn = 0
    private(set) var framesOut = 0
    private(set) var thumbnails: [Int: Data] = [:]
    private var tracker: Tracker
    private var states: [Int: TrackState] = [:]
    private var summaries: [TrackSummary] = []
    private var events: [MovementEvent] = []
    private var pending: [Pending] = []
    private var inFlight: ([Pending], ClassificationJob)?
    private var previous: (image: Image, time: Double)?
    private var lastTime: Double?
    private var detectNext = true
    private var discovery: DetectionJob?
    private var lastScore: [Int: Double] = [:]
    /// Run the face mesh on every `meshEvery`-th frame of each track (0 = never) and when it last ran, per track.
    let meshEvery: Int
    /// Run the body stage on every `bodyEvery`-th analysed frame of the video (0 = never).
    let bodyEvery: Int
    /// Source frames per analysed frame (`--every`/`--fps`).
    let frameStride: Int
    private var lastMeshed: [Int: Int] = [:]
    /// The last body run: the next one follows its people instead of detecting them again.
    private var lastBodyJob: BodyJob?
    /// Per track: the 68-point eye opening, to run the mesh on the frames of a blink as well.
    private var eyelids: [Int: EyelidWatch] = [:]
    let clock = StageClock()

    /// The temporal state of one track.
    struct TrackState {
        var smoother: ExpressionSmoother
        var baseline = NeutralBaseline()
        var head: HeadMotionAnalyzer
        var builder: TrackSummaryBuilder
        var blendshapes: BlendshapeSmoother
        var blinks: BlinkDetector
        var gazeAway: GazeAwayDetector
        /// The last mesh values, carried to the frames between mesh runs.
        var mesh: (frame: Int, blendshapes: Blendshapes, gaze: Gaze?, smoothed: Blendshapes?, relative: Blendshapes?)?
        var blendshapeBaseline = BlendshapeBaseline()
        /// Body movement over time, and the last body measured (carried to the frames between body runs).
        var body: BodyTrack?
        var lastBody: (frame: Int, body: BodyKeypoints)?
    }

    /// A frame waiting for its batch to be classified.
    struct Pending {
        var index: Int
        var time: Double
        /// Kept only when the caller wants frames (annotation); a 720p frame is 2.7 MB.
        var image: Image?
        var faces: [TrackedFace]
        var crops: [AlignedFace]
        var ended: [Int]
        /// The mesh run on this frame, for the faces at these indices.
        var mesh: (faces: [Int], job: MeshJob)?
        /// The body stage run on this frame (all its faces), when due.
        var body: BodyJob?
    }

    init(analyzer: VideoAnalyzer, detector: any FaceDetecting, classifier: (any ExpressionClassifying)?,
         width: Int, height: Int, batchFrames: Int, frameStride: Int = 1) {
        self.analyzer = analyzer
        self.detector = detector
        self.classifier = classifier
        self.width = width
        self.height = height
        self.batchFrames = batchFrames
        tracker = Tracker(options: analyzer.options.tracker)
        meshEvery = analyzer.meshEvery
        bodyEvery = analyzer.bodyEvery
        self.frameStride = max(1, frameStride)
    }

    var stageMsPerFrame: [String: Double] {
        clock.totals.mapValues { Double($0) / 1e6 / Double(max(framesOut, 1)) }
    }

    mutating func push(_ frame: VideoFrame, emit: (VideoFrameResult, Picture?) throws -> Void) throws {
        let image = frame.image
        let k = max(1, analyzer.options.detectEvery)
        // Inline discovery (batch runs) detects on every kth analysed frame of the video, not of this pipeline, so
        // a segment of a long video detects on the frames a single run does.
        let inline = analyzer.options.discovery == .inline
        let due = inline ? (frame.index / frameStride) % k == 0 : framesIn % k == 0
        framesIn += 1
        let following = lastTime.map { !tracker.followed(at: $0).isEmpty } ?? false
        // Detect here and now when nothing is followed or a track was just lost; while faces are followed, the
        // periodic detection only looks for new faces, so it runs beside this thread (DetectionJob) and its boxes
        // join a few frames later. `detectEvery` 1 detects every frame here (the reference that following is
        // measured against, `mien bench --accuracy`). Inline, a due frame is detected here like a frame of
        // `detectEvery` 1: every face's landmarks start again from a detection, so what follows depends only on the
        // frames since the last due frame (a segment agrees with the single run once its warm-up passed one).
        let detect = detectNext || (due && (!following || k == 1 || inline))
        detectNext = false

        var observations: [(rect: Rect, landmarks: FaceLandmarks, score: Double, detected: Bool)] = []
        if detect {
            _ = try? discovery?.wait()   // the detector serves one thread at a time
            discovery = nil
            let boxes = try clock.time("detect") { try detector.detect(in: image) }
            try clock.time("landmarks") {
                for box in boxes {
                    let l = try analyzer.faces.landmarks(in: image, box: box)
                    observations.append((l.followingBox, l, box.score, true))
                }
            }
        } else if let last = lastTime {
            try clock.time("landmarks") {
                for track in tracker.followed(at: last) {
                    guard let previousLandmarks = track.landmarks else { continue }
                    let predicted = previousLandmarks.followingBox
                    let l = try analyzer.faces.landmarks(in: image, box: FaceBox(rect: predicted, score: 1))
                    // A face that left, turned away or was covered drags the fit off the predicted box: hand the
                    // track back to the detector on the next frame instead of following noise.
                    let box = l.followingBox
                    guard box.iou(predicted) >= 0.5, l.interOcularDistance >= 6 else {
                        detectNext = true
                        continue
                    }
                    observations.append((box, l, lastScore[track.id] ?? 0, false))
                }
            }
            // Boxes of a finished discovery detection that no followed face explains are new faces: fit them on
            // this frame (a face moves little in the frames the detection took).
            if let job = discovery, job.isDone || framesIn - job.frame > k {
                discovery = nil
                let boxes = try clock.time("detect-wait") { try job.wait() }
                clock.add("detect", nanoseconds: job.nanoseconds)
                try clock.time("landmarks") {
                    for box in boxes where !observations.contains(where: { $0.rect.iou(box.rect) > 0.3 }) {
                        let l = try analyzer.faces.landmarks(in: image, box: box)
                        observations.append((l.followingBox, l, box.score, true))
                    }
                }
            }
            if due, discovery == nil, !detectNext {
                discovery = DetectionJob(detector: detector, image: image, frame: framesIn)
            }
        }
        // Two observations of one face (a followed track and a new detection) keep the first.
        var kept: [(rect: Rect, landmarks: FaceLandmarks, score: Double, detected: Bool)] = []
        for o in observations where !kept.contains(where: { $0.rect.iou(o.rect) > 0.5 }) { kept.append(o) }

        let (ids, ended) = tracker.update(kept.map { Tracker.Observation(rect: $0.rect, landmarks: $0.landmarks) },
                                          at: frame.time)
        var faces: [TrackedFace] = []
        var crops: [AlignedFace] = []
        var meshed: [Int] = []
        for (o, id) in zip(kept, ids) {
            if o.detected { lastScore[id] = o.score }
            let face = clock.time("measures") {
                analyzer.faces.describe(box: o.rect, score: o.score, landmarks: o.landmarks, imageWidth: width,
                                        imageHeight: height)
            }
            var tracked = TrackedFace(track: id, detected: o.detected, face: face)
            if analyzer.options.bodyMotion, let previous {
                tracked.bodyMotion = clock.time("motion") {
                    VideoMotion.bodyMotion(previous: previous.image, current: image, face: o.rect,
                                           seconds: frame.time - previous.time)
                }
            }
            if classifier != nil {
                let c = try clock.time("align") { try analyzer.faces.crop(image, face: face) }
                crops.append(c)
                tracked.face.alignment = c.method
            }
            if analyzer.options.thumbnails, thumbnails[id] == nil, o.detected {
                thumbnails[id] = VideoMotion.thumbnail(of: image, region: o.rect.scaled(by: 1.3))
            }
            var eyelidsMoving = false
            if meshEvery > 0, analyzer.options.blendshapesOnEyelidDrop, let m = face.measures {
                var watch = eyelids[id] ?? EyelidWatch()
                eyelidsMoving = watch.shouldMeasure(m, at: frame.time)
                eyelids[id] = watch
            }
            // Periodic runs fall on every k-th analysed frame of the video (not of the pipeline), so the segments
            // of a long video (`SegmentedVideoAnalysis`) measure the frames a single run would; a new or resumed
            // track is measured at once.
            let periodic = meshEvery > 0 && (frame.index / frameStride) % meshEvery == 0
            if meshEvery > 0, eyelidsMoving || periodic || lastMeshed[id].map({ framesIn - $0 >= meshEvery }) ?? true {
                lastMeshed[id] = framesIn
                meshed.append(faces.count)
            }
            faces.append(tracked)
        }
        for id in ended {
            lastMeshed[id] = nil
            eyelids[id] = nil
        }
        // The mesh runs beside this thread, like classification; its values join the frame when the batch drains.
        let mesh: (faces: [Int], job: MeshJob)? = meshed.isEmpty ? nil
            : (meshed, MeshJob(faces: analyzer.faces, image: image, of: meshed.map { faces[$0].face }))
        // The body stage also runs beside this thread, on every k-th analysed frame of the video (as the mesh's
        // periodic runs, so segments of a long video measure the same frames); values are carried in between.
        var body: BodyJob?
        if bodyEvery > 0 && !faces.isEmpty && (frame.index / frameStride) % bodyEvery == 0 {
            body = BodyJob(faces: analyzer.faces, image: image, boxes: faces.map(\.face.box),
                           tracks: faces.map(\.track), previous: lastBodyJob)
            lastBodyJob = body
        }
        previous = (image, frame.time)
        lastTime = frame.time
        pending.append(Pending(index: frame.index, time: frame.time,
                               image: analyzer.options.deliverFrames ? image : nil, faces: faces, crops: crops,
                               ended: ended, mesh: mesh, body: body))
        if pending.count >= batchFrames { try submit(emit: emit) }
    }

    /// Hands the pending frames to the classification thread and emits the batch before them. Classification of
    /// one batch thus overlaps detection and landmarks of the next (the two busiest stages, on the two cores).
    private mutating func submit(emit: (VideoFrameResult, Picture?) throws -> Void) throws {
        try drain(emit: emit)
        guard !pending.isEmpty else { return }
        inFlight = (pending, ClassificationJob(classifier: classifier, crops: pending.flatMap(\.crops),
                                                flipAverage: analyzer.options.analysis.flipAverage,
                                                prior: analyzer.options.analysis.prior,
                                                labels: analyzer.options.analysis.labelSet))
        pending = []
        // Live inputs (one-frame batches) emit at once: latency matters more there than overlap.
        if batchFrames == 1 { try drain(emit: emit) }
    }

    /// Classifies and emits everything still held (end of the video).
    mutating func flush(emit: (VideoFrameResult, Picture?) throws -> Void) throws {
        try submit(emit: emit)
        try drain(emit: emit)
    }

    /// Waits for the batch in flight and emits its frames in order.
    private mutating func drain(emit: (VideoFrameResult, Picture?) throws -> Void) throws {
        guard let (batch, job) = inFlight else { return }
        inFlight = nil
        let estimates = try clock.time("classify-wait") { try job.wait() }
        clock.add("classify", nanoseconds: job.nanoseconds)
        var next = 0
        for item in batch {
            var result = VideoFrameResult(frame: item.index, time: item.time, faces: [])
            var measured: [Int: (Blendshapes, Gaze)] = [:]
            if let (indices, job) = item.mesh {
                let values = try clock.time("blendshapes-wait") { try job.wait() }
                clock.add("blendshapes", nanoseconds: job.nanoseconds)
                for (i, v) in zip(indices, values) { measured[i] = v }
            }
            var bodies: [BodyKeypoints?] = []
            if let job = item.body {
                bodies = clock.time("body-wait") { job.wait() }
                clock.add("body", nanoseconds: job.nanoseconds)
            }
            clock.time("temporal") {
                for (i, var face) in item.faces.enumerated() {
                    if !estimates.isEmpty, next < estimates.count {
                        face.face.expression = estimates[next]
                        next += 1
                    }
                    result.events += update(&face, at: item.time, frame: item.index, mesh: measured[i],
                                            body: i < bodies.count ? bodies[i] : nil)
                    result.faces.append(face)
                }
                for id in item.ended { result.events += end(id) }
            }
            result.orderByTrack()
            events += result.events
            try clock.time("output") { try emit(result, item.image.map(Picture.init)) }
            framesOut += 1
        }
    }

    /// Smoothing, baseline, head motion, mesh values (measured on this frame, else carried) and the summary for one
    /// face of one frame; returns the movement events that ended here.
    private mutating func update(_ face: inout TrackedFace, at time: Double, frame: Int,
                                 mesh: (Blendshapes, Gaze)?, body: BodyKeypoints? = nil) -> [MovementEvent] {
        let tau = analyzer.options.smoothingSeconds
        var state = states[face.track] ?? TrackState(
            smoother: ExpressionSmoother(tau: tau),
            head: HeadMotionAnalyzer(track: face.track), builder: TrackSummaryBuilder(track: face.track, time: time),
            blendshapes: BlendshapeSmoother(tau: tau), blinks: BlinkDetector(track: face.track),
            gazeAway: GazeAwayDetector(track: face.track))
        if let e = face.face.expression {
            // Smooth the probabilities, then gate both views by head pose as stills are (FacePipeline).
            face.smoothed = analyzer.faces.gated(state.smoother.update(e, at: time), pose: face.face.pose)
            face.face.expression = analyzer.faces.gated(e, pose: face.face.pose)
        }
        if let m = face.face.measures {
            let neutral = face.smoothed?.label == "neutral"
            face.relativeMeasures = state.baseline.relative(m, at: time, neutralLabel: neutral)
        }
        var events: [MovementEvent] = []
        if let p = face.face.pose {
            let (speed, found) = state.head.update(p, at: time)
            face.headSpeed = speed
            events = found
        }
        if let (shapes, gaze) = mesh {
            // An abstention (face too small, no face in the mesh crop) is carried like values, so the frames after
            // it say why they have none rather than repeating older values.
            let smoothed = shapes.coefficients.isEmpty ? nil : state.blendshapes.update(shapes, at: time)
            let relative = state.blendshapeBaseline.relative(shapes, at: time,
                                                             neutralLabel: face.smoothed?.label == "neutral")
            state.mesh = (frame, shapes, gaze, smoothed, relative)
            if let blink = state.blinks.update(shapes, at: time) { events.append(blink) }
            if let away = state.gazeAway.update(gaze, at: time) { events.append(away) }
        }
        if let m = state.mesh {
            face.face.blendshapes = m.blendshapes
            face.face.gaze = m.gaze
            face.blendshapesSmoothed = m.smoothed
            face.blendshapesRelative = m.relative
            face.meshFrame = m.frame
        }
        if let body {
            var track = state.body ?? BodyTrack(track: face.track, tau: tau)
            let (measured, contact) = track.update(body, at: time)
            state.body = track
            state.lastBody = (frame, measured)
            if let contact { events.append(contact) }
        }
        if let b = state.lastBody {
            face.face.body = b.body
            face.bodyFrame = b.frame
        }
        state.builder.add(face, at: time)
        for e in events { state.builder.add(e) }
        states[face.track] = state
        return events
    }

    /// Closes a track: its open head-motion pattern, eye closure, look away and hand contact, and its summary.
    private mutating func end(_ id: Int) -> [MovementEvent] {
        guard var state = states.removeValue(forKey: id) else { return [] }
        let found = state.head.finish() + [state.blinks.close(), state.gazeAway.close(), state.body?.closeContact(at: 0)].compactMap { $0 }
        for e in found { state.builder.add(e) }
        let base = state.baseline.baseline()
        summaries.append(state.builder.finished(baseline: MovementMeasures(values: base),
                                                baselineSource: state.baseline.source,
                                                blendshapeBaseline: state.blendshapeBaseline.values()))
        return found
    }

    /// Ends every open track (end of the video) and returns all summaries and events.
    mutating func finish() -> ([TrackSummary], [MovementEvent]) {
        // A detection still running must not overlap the detector's next user (another video, or stills), also
        // when the video ended in an error.
        _ = try? discovery?.wait()
        discovery = nil
        for id in tracker.finish() { events += end(id) }
        for id in Array(states.keys) { events += end(id) }
        return (summaries.sorted { $0.track < $1.track }, events)
    }
}

/// Wall time per pipeline stage, summed over a run (a class so that timing a block never conflicts with the
/// block's own changes to the pipeline). Used by the pipeline's own thread only.
final class StageClock {
    private(set) var totals: [String: UInt64] = [:]

    func time<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let t = DispatchTime.now().uptimeNanoseconds
        defer { totals[stage, default: 0] += DispatchTime.now().uptimeNanoseconds - t }
        return try body()
    }

    func add(_ stage: String, nanoseconds: UInt64) { totals[stage, default: 0] += nanoseconds }
}

/// One periodic detection run on a worker thread while the pipeline follows the faces it already has.
// Safe to share: the worker writes `result`, `nanoseconds` and `finished` under `lock`; readers take the lock
// (`isDone`, `wait`) and read `nanoseconds` only after `wait` returned.
final class DetectionJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false
    private var result: Result<[FaceBox], Error> = .success([])
    private(set) var nanoseconds: UInt64 = 0
    /// The pipeline's frame count when the job started.
    let frame: Int

    init(detector: any FaceDetecting, image: Image, frame: Int) {
        self.frame = frame
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            let r = Result { try detector.detect(in: image) }
            lock.withLock {
                result = r
                nanoseconds = DispatchTime.now().uptimeNanoseconds - start
                finished = true
            }
            done.signal()
        }
    }

    var isDone: Bool { lock.withLock { finished } }

    func wait() throws -> [FaceBox] {
        done.wait()
        done.signal()   // a second wait returns at once
        return try lock.withLock { try result.get() }
    }
}

/// The face mesh, blendshapes and iris gaze of some faces of one frame, on a worker thread (the engine's pools
/// lend it a mesh and a blendshapes network for the call).
// Safe to share: the worker writes `result` and `nanoseconds` before signalling `done`; the pipeline reads
// them only after `wait` (a semaphore orders the writes before the reads).
final class MeshJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<[(Blendshapes, Gaze)], Error> = .success([])
    private(set) var nanoseconds: UInt64 = 0

    /// The mesh crop comes from each face's 68-point fit on every frame, detected or followed, so that consecutive
    /// measurements of a track see the same framing (detector and landmark crops differ by up to ~0.2 in some
    /// coefficients: Models/FACEMESH.md).
    init(faces pipeline: FacePipeline, image: Image, of faces: [FaceAnalysis]) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            // A failure on one face (a crop the bridge cannot warp) becomes that face's abstention, not the end of
            // the video: the 68-point measures and expressions of the frame stand either way.
            result = .success(faces.map { face in
                func none(_ reason: String) -> (Blendshapes, Gaze) {
                    (Blendshapes(model: BlendshapeEstimator.modelVersion, coefficients: [:], abstained: reason),
                     Gaze(abstained: reason))
                }
                do {
                    return try pipeline.meshMovement(in: image, box: FaceBox(rect: face.box, score: face.score),
                                                     face: face) ?? none("no mesh crop for this face")
                } catch {
                    return none("the mesh failed: \(error)")
                }
            })
            nanoseconds = DispatchTime.now().uptimeNanoseconds - start
            done.signal()
        }
    }

    func wait() throws -> [(Blendshapes, Gaze)] {
        done.wait()
        done.signal()   // a second wait returns at once
        return try result.get()
    }
}

/// The body keypoints and body movement of one frame's faces, on a worker thread (the engine's pool lends it the
/// body networks for the call).
// Safe to share: the worker writes `result`, `poses` and `nanoseconds` before signalling `done`; the pipeline
// (`wait`) and the next run's worker (`posesByTrack`) read them only after waiting on `done` (a semaphore orders
// the writes before the reads), and nothing writes them after that.
final class BodyJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: [BodyKeypoints?] = []
    /// The pose behind each track's keypoints, for the next run to follow.
    private var poses: [Int: BodyPose] = [:]
    private(set) var nanoseconds: UInt64 = 0

    /// `previous`: the last run, whose people this one follows (waited for on the worker, never on the pipeline's
    /// thread; only the closure holds it, so jobs do not chain in memory).
    init(faces pipeline: FacePipeline, image: Image, boxes: [Rect], tracks: [Int], previous: BodyJob?) {
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let earlier = previous?.posesByTrack() ?? [:]
            let start = DispatchTime.now().uptimeNanoseconds
            // A failure becomes each face's abstention, not the end of the video (as the mesh's).
            do {
                let found = try pipeline.bodies(in: image, faces: boxes, previous: tracks.map { earlier[$0] }) ?? []
                result = found.map(\.keypoints)
                for (track, f) in zip(tracks, found) { poses[track] = f.pose }
            } catch {
                result = boxes.map { _ in
                    BodyKeypoints.abstained("the body stage failed: \(error)", model: BodyLandmarker.modelVersion)
                }
            }
            nanoseconds = DispatchTime.now().uptimeNanoseconds - start
            done.signal()
        }
    }

    func wait() -> [BodyKeypoints?] {
        done.wait()
        done.signal()   // a second wait returns at once
        return result
    }

    func posesByTrack() -> [Int: BodyPose] {
        done.wait()
        done.signal()
        return poses
    }
}

/// One batch of aligned faces classified on a worker thread (the expression network is used by this thread only).
// Safe to share: the worker writes `result` and `nanoseconds` before signalling `done`; the pipeline reads
// them only after `wait` (a semaphore orders the writes before the reads).
final class ClassificationJob: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<[ExpressionEstimate], Error> = .success([])
    private(set) var nanoseconds: UInt64 = 0

    init(classifier: (any ExpressionClassifying)?, crops: [AlignedFace], flipAverage: Bool?, prior: ExpressionPrior,
         labels: ExpressionLabelSet) {
        guard let classifier, !crops.isEmpty else {
            done.signal()
            return
        }
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            let start = DispatchTime.now().uptimeNanoseconds
            result = Result { try classifier.classify(crops, flipAverage: flipAverage, prior: prior, labels: labels) }
            nanoseconds = DispatchTime.now().uptimeNanoseconds - start
            done.signal()
        }
    }

    func wait() throws -> [ExpressionEstimate] {
        done.wait()
        return try result.get()
    }
}
