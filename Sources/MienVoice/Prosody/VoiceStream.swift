#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stretch of speech found by the segmenter, with everything later stages need, before it is measured.
public struct SpeechSegmentFrames: Sendable {
    /// Index of the first frame in the whole sound.
    public var startFrame: Int
    public var frames: [FrameFeatures]
    public var speech: [Bool]
    /// frames.count × nMels log-mel values, frame-major.
    public var logMel: [Float]
    /// Samples from the first frame's start to the last frame's end.
    public var samples: [Float]
}

/// How the sound is cut into segments. Defaults measured on RAVDESS (one segment per utterance for 97% of clips).
public struct SegmentationOptions: Sendable, Codable, Hashable {
    /// A silence this long ends a segment (shorter ones are pauses inside it).
    public var closingSilence: Double = 0.5
    /// Longer stretches of speech are cut here; the model reads at most this much at once.
    public var maxSegment: Double = 3.0
    /// Segments with less speech than this are dropped as clicks or breaths.
    public var minSpeech: Double = 0.15
    /// Silence kept before and after the speech.
    public var padding: Double = 0.1

    public init() {}
}

/// Per-second summary of the sound, whether or not anyone speaks in it.
public struct VoiceSecond: Sendable, Codable, Hashable {
    public var second: Int
    public var speechFraction: Double
    public var voicedFraction: Double
    public var f0MedianHz: Double?
    public var levelDBFS: Double
}

/// Push-style streaming analysis: feed chunks of 16 kHz mono samples, get back closed speech segments.
///
/// Holds at most one open segment (≤ `maxSegment` seconds of samples) plus one frame's look-ahead, so memory is
/// bounded by the options, never by the length of the sound.
public final class VoiceStream {
    public let recipe: LogMelRecipe
    public let options: SegmentationOptions
    private let analyzer: FrameAnalyzer
    private var vad = VoiceActivityDetector()
    private var buffer: [Float] = []
    private var bufferStart = 0          // absolute index of buffer[0]
    private var nextFrame = 0
    private var totalSamples = 0
    private var open: SpeechSegmentFrames?
    private var lastSpeechInOpen = 0
    private var speechInOpen = 0
    private var recent: [(FrameFeatures, [Float])] = []
    private var logMelScratch: [Float]
    private let hop: Int
    private let closeGap: Int, maxFrames: Int, minSpeech: Int, pad: Int
    // Per-second accumulation.
    private var secondIndex = 0
    private var secondFrames = 0, secondSpeech = 0, secondVoiced = 0
    private var secondLevel: Float = 0
    private var secondF0: [Double] = []
    public private(set) var seconds: [VoiceSecond] = []

    public init(recipe: LogMelRecipe = LogMelRecipe(), options: SegmentationOptions = SegmentationOptions()) {
        self.recipe = recipe
        self.options = options
        analyzer = FrameAnalyzer(recipe: recipe)
        hop = recipe.hopLength
        let fps = Double(recipe.sampleRate) / Double(recipe.hopLength)
        closeGap = max(1, Int(options.closingSilence * fps))
        maxFrames = max(1, Int(options.maxSegment * fps))
        minSpeech = max(1, Int(options.minSpeech * fps))
        pad = max(0, Int(options.padding * fps))
        logMelScratch = [Float](repeating: 0, count: recipe.nMels)
    }

    public var framesPerSecond: Double { Double(recipe.sampleRate) / Double(hop) }
    public var samplesSeen: Int { totalSamples }

    /// Feeds samples; returns segments that closed.
    public func consume(_ chunk: [Float]) -> [SpeechSegmentFrames] {
        buffer += chunk
        totalSamples += chunk.count
        var closed: [SpeechSegmentFrames] = []
        while nextFrame * hop + analyzer.lookahead <= bufferStart + buffer.count {
            step(into: &closed)
        }
        trim()
        return closed
    }

    /// Ends the sound: analyses the last frames (zero look-ahead beyond the end) and closes any open segment.
    public func finish() -> [SpeechSegmentFrames] {
        var closed: [SpeechSegmentFrames] = []
        let frameCount = totalSamples >= recipe.winLength ? 1 + (totalSamples - recipe.winLength) / hop : 0
        if nextFrame < frameCount {
            let needed = (frameCount - 1) * hop + analyzer.lookahead - (bufferStart + buffer.count)
            if needed > 0 { buffer += [Float](repeating: 0, count: needed) }
            while nextFrame < frameCount { step(into: &closed) }
        }
        if let s = open { emit(s, trimTo: lastSpeechInOpen, into: &closed) }
        open = nil
        flushSecond(final: true)
        return closed
    }

    private func step(into closed: inout [SpeechSegmentFrames]) {
        let offset = nextFrame * hop - bufferStart
        let features = buffer.withUnsafeBufferPointer { b in
            logMelScratch.withUnsafeMutableBufferPointer { m in
                analyzer.analyze(b.baseAddress! + offset, logMel: m.baseAddress!)
            }
        }
        let speech = vad.isSpeech(levelDB: features.levelDB)
        account(features, speech: speech)
        if var s = open {
            s.frames.append(features)
            s.speech.append(speech)
            s.logMel += logMelScratch
            if speech { lastSpeechInOpen = s.frames.count - 1; speechInOpen += 1 }
            open = s
            if s.frames.count - 1 - lastSpeechInOpen >= closeGap {
                emit(s, trimTo: lastSpeechInOpen, into: &closed)
                open = nil
            } else if s.frames.count >= maxFrames {
                emit(s, trimTo: s.frames.count - 1 - pad, into: &closed)
                open = nil
            }
        } else if speech {
            let pre = recent
            var s = SpeechSegmentFrames(startFrame: nextFrame - pre.count, frames: pre.map(\.0) + [features],
                                        speech: [Bool](repeating: false, count: pre.count) + [true],
                                        logMel: pre.flatMap(\.1) + logMelScratch, samples: [])
            s.frames.reserveCapacity(maxFrames)
            recent = []
            lastSpeechInOpen = s.frames.count - 1
            speechInOpen = 1
            open = s
        } else {
            recent.append((features, logMelScratch))
            if recent.count > pad { recent.removeFirst(recent.count - pad) }
        }
        nextFrame += 1
    }

    /// Closes `s` keeping `pad` frames after `last` (the rest become lead-in for the next segment).
    private func emit(_ s: SpeechSegmentFrames, trimTo last: Int, into closed: inout [SpeechSegmentFrames]) {
        var s = s
        let keep = min(s.frames.count, last + 1 + pad)
        let n = recipe.nMels
        if keep < s.frames.count {
            let tailStart = max(keep, s.frames.count - pad)
            recent = (tailStart..<s.frames.count).map { (s.frames[$0], Array(s.logMel[($0 * n)..<(($0 + 1) * n)])) }
            s.frames.removeLast(s.frames.count - keep)
            s.speech.removeLast(s.speech.count - keep)
            s.logMel.removeLast(s.logMel.count - keep * n)
        }
        guard s.speech.filter({ $0 }).count >= minSpeech else { return }
        let from = s.startFrame * hop - bufferStart
        let to = min(buffer.count, (s.startFrame + s.frames.count - 1) * hop + recipe.winLength - bufferStart)
        s.samples = from >= 0 && to > from ? Array(buffer[from..<to]) : []
        closed.append(s)
    }

    private func trim() {
        let keepFrom = min(open?.startFrame ?? Int.max, nextFrame - pad - 1) * hop
        let drop = keepFrom - bufferStart
        if drop > 65_536 && drop <= buffer.count {
            buffer.removeFirst(drop)
            bufferStart += drop
        }
    }

    private func account(_ f: FrameFeatures, speech: Bool) {
        let second = Int(Double(nextFrame) / framesPerSecond)
        if second != secondIndex { flushSecond(final: false); secondIndex = second }
        secondFrames += 1
        secondLevel += f.levelDB
        if speech { secondSpeech += 1 }
        if speech && f.f0 > 0 {
            secondVoiced += 1
            secondF0.append(Double(f.f0))
        }
    }

    private func flushSecond(final: Bool) {
        guard secondFrames > 0 else { return }
        let n = Double(secondFrames)
        seconds.append(VoiceSecond(second: secondIndex, speechFraction: Double(secondSpeech) / n,
                                   voicedFraction: Double(secondVoiced) / n,
                                   f0MedianHz: secondF0.isEmpty ? nil : secondF0.percentile(0.5),
                                   levelDBFS: Double(secondLevel) / n))
        secondFrames = 0; secondSpeech = 0; secondVoiced = 0; secondLevel = 0; secondF0 = []
    }
}
