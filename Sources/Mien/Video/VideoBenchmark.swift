import Foundation
import MienCore
import MienVision

#if canImport(Glibc)
import Glibc
#endif

/// `mien bench --video`: end-to-end speed of the video pipeline, and the accuracy cost of following faces by
/// landmarks between detections.
public enum VideoBenchmark {
    public struct Speed: Sendable, Codable {
        public var file: String
        public var width: Int
        public var height: Int
        public var frames: Int
        public var wallSeconds: Double
        /// Analysed frames per second, decode to outputs, model loading excluded.
        public var framesPerSecond: Double
        /// Milliseconds per analysed frame on the analysis thread, per stage ("decode-wait" = waiting for a frame).
        public var stageMs: [String: Double]
        public var peakRSSMB: Double
        public var detectEvery: Int
        /// The face mesh ran on every kth frame of each track (0 = off).
        public var blendshapesEvery: Int
        public var tracks: Int
    }

    /// Peak resident memory of this process so far, in MB (ru_maxrss).
    public static func peakRSSMB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    public static func speed(file: URL, analyzer: VideoAnalyzer, maxFrames: Int? = nil) throws -> Speed {
        var count = 0
        let run = try analyzer.analyze(.file(file), shouldStop: { maxFrames.map { count >= $0 } ?? false }) { _, _ in
            count += 1
        }
        let s = run.summary
        return Speed(file: file.lastPathComponent, width: s.width, height: s.height, frames: s.framesAnalysed,
                     wallSeconds: s.wallSeconds, framesPerSecond: s.framesPerSecond, stageMs: run.stageMs,
                     peakRSSMB: peakRSSMB(), detectEvery: analyzer.options.detectEvery, blendshapesEvery: analyzer.meshEvery,
                     tracks: s.tracks.count)
    }

    /// Following faces by landmarks for k−1 of every k frames, compared with detecting on every frame.
    public struct TrackingAccuracy: Sendable, Codable {
        public var detectEvery: Int
        /// Frames where both runs found a face (first face of each), and where only one did.
        public var framesCompared: Int
        public var framesOnlyOne: Int
        /// Landmark difference, mean over the 68 points, in inter-ocular distances: mean and 95th percentile.
        public var landmarkMeanIOD: Double
        public var landmarkP95IOD: Double
        /// Mean IoU of the face boxes.
        public var boxIoU: Double
        /// Share of frames with the same smoothed expression label ("uncertain" counts as a label).
        public var labelAgreement: Double?
        public var tracksEveryFrame: Int
        public var tracksFollowing: Int
        public var fpsEveryFrame: Double
        public var fpsFollowing: Double
    }

    /// Runs `analyzer`'s engine and session twice over `file`: detecting on every frame, and following faces with
    /// its `detectEvery`.
    public static func trackingAccuracy(file: URL, analyzer reference: VideoAnalyzer,
                                        maxFrames: Int? = nil) throws -> TrackingAccuracy {
        let options = reference.options
        func collect(_ k: Int) throws -> ([Int: TrackedFace], VideoSummary) {
            var o = options
            o.detectEvery = k
            o.thumbnails = false
            let analyzer = try VideoAnalyzer(engine: reference.engine, session: reference.session, options: o)
            var faces: [Int: TrackedFace] = [:]
            var count = 0
            let run = try analyzer.analyze(.file(file), shouldStop: { maxFrames.map { count >= $0 } ?? false }) { f, _ in
                count += 1
                if let first = f.faces.first { faces[f.frame] = first }
            }
            return (faces, run.summary)
        }
        let (every, sEvery) = try collect(1)
        let (follow, sFollow) = try collect(options.detectEvery)
        var errors: [Double] = [], ious: [Double] = []
        var agree = 0, labelled = 0, onlyOne = 0
        for frame in Set(every.keys).union(follow.keys) {
            guard let a = every[frame], let b = follow[frame] else { onlyOne += 1; continue }
            if let d = Tracker.landmarkDistance(a.face.landmarks, b.face.landmarks) { errors.append(d) }
            ious.append(a.face.box.iou(b.face.box))
            if let la = a.smoothed?.label, let lb = b.smoothed?.label {
                labelled += 1
                if la == lb { agree += 1 }
            }
        }
        errors.sort()
        return TrackingAccuracy(
            detectEvery: options.detectEvery, framesCompared: ious.count, framesOnlyOne: onlyOne,
            landmarkMeanIOD: errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count),
            landmarkP95IOD: errors.isEmpty ? 0 : errors[min(errors.count - 1, Int(Double(errors.count) * 0.95))],
            boxIoU: ious.isEmpty ? 0 : ious.reduce(0, +) / Double(ious.count),
            labelAgreement: labelled > 0 ? Double(agree) / Double(labelled) : nil,
            tracksEveryFrame: sEvery.tracks.count, tracksFollowing: sFollow.tracks.count,
            fpsEveryFrame: sEvery.framesPerSecond, fpsFollowing: sFollow.framesPerSecond)
    }
}
