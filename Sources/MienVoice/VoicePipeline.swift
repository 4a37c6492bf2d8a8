#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MienCore

/// decode → frames → VAD/segments → prosody (+ model) → `VoiceAnalysis`, streamed in one-second chunks.
public final class VoicePipeline {
    public let model: VocalExpressionModel?
    public let options: SegmentationOptions
    public let recipe: LogMelRecipe
    /// Called with each segment's model input as it is made (feature export for training; nil in normal use).
    public let inputObserver: ((SpeechSegmentFrames, [Float]) -> Void)?

    /// `model` nil gives prosody only (as --measures-only). Without a model the recipe defaults are used.
    public init(model: VocalExpressionModel?, options: SegmentationOptions = SegmentationOptions(),
                inputObserver: ((SpeechSegmentFrames, [Float]) -> Void)? = nil) {
        self.model = model
        self.inputObserver = inputObserver
        self.options = options
        recipe = model?.spec.features ?? LogMelRecipe()
    }

    public func analyze(path: String) throws -> VoiceAnalysis {
        let decoder = try AudioDecoder(path: path, sampleRate: recipe.sampleRate)
        let run = Run(pipeline: self)
        while true {
            let chunk = try decoder.read(maxSamples: recipe.sampleRate)
            if chunk.isEmpty { break }
            try run.consume(chunk)
        }
        var result = try run.finish(source: path)
        result.audio = decoder.info
        if decoder.skippedPackets > 0 {
            result.notes.append("\(decoder.skippedPackets) damaged packet(s) were skipped while decoding.")
        }
        return result
    }

    /// For sound already in memory (16 kHz mono floats in [-1, 1]).
    public func analyze(samples: [Float], source: String) throws -> VoiceAnalysis {
        let run = Run(pipeline: self)
        var i = 0
        while i < samples.count {
            let j = min(samples.count, i + recipe.sampleRate)
            try run.consume(Array(samples[i..<j]))
            i = j
        }
        return try run.finish(source: source)
    }

    /// One pass over one sound.
    final class Run {
        let pipeline: VoicePipeline
        let stream: VoiceStream
        let calculator: ProsodyCalculator
        var segments: [VoiceSegment] = []
        var summary = SummaryAccumulator()

        init(pipeline: VoicePipeline) {
            self.pipeline = pipeline
            stream = VoiceStream(recipe: pipeline.recipe, options: pipeline.options)
            calculator = ProsodyCalculator(hopSeconds: Double(pipeline.recipe.hopLength) / Double(pipeline.recipe.sampleRate),
                                           sampleRate: pipeline.recipe.sampleRate)
        }

        func consume(_ chunk: [Float]) throws { try stream.consume(chunk).forEach(measure) }

        func measure(_ s: SpeechSegmentFrames) throws {
            let prosody = s.samples.withUnsafeBufferPointer {
                calculator.measures(frames: s.frames, speech: s.speech, samples: $0)
            }
            var expression: ExpressionEstimate? = nil
            if let model = pipeline.model {
                let input = model.spec.input(logMel: s.logMel, frameCount: s.frames.count)
                pipeline.inputObserver?(s, input)
                var e = ExpressionEstimate(classes: model.spec.classes,
                                           probabilities: Calibration.softmax(try model.logits(input: input),
                                                                              temperature: model.spec.temperature),
                                           threshold: model.spec.abstainThreshold, model: model.spec.name)
                e.basis = VocalExpressionModel.basisText
                expression = e
            } else if let observer = pipeline.inputObserver {
                observer(s, [])
            }
            let hop = calculator.hopSeconds
            let start = Double(s.startFrame) * hop
            let end = start + Double(s.frames.count - 1) * hop + Double(pipeline.recipe.winLength) / Double(pipeline.recipe.sampleRate)
            if let previous = segments.last { summary.addGap(start - previous.end) }
            segments.append(VoiceSegment(index: segments.count, start: start, end: end, prosody: prosody,
                                         expression: expression))
            summary.add(prosody)
        }

        func finish(source: String) throws -> VoiceAnalysis {
            try stream.finish().forEach(measure)
            var notes: [String] = []
            if segments.isEmpty { notes.append("No speech found: the sound is silent or below −55 dBFS.") }
            let duration = Double(stream.samplesSeen) / Double(pipeline.recipe.sampleRate)
            return VoiceAnalysis(source: source, audio: nil, duration: duration, segments: segments,
                                 seconds: stream.seconds,
                                 summary: summary.measures(),
                                 expressionModel: pipeline.model?.spec.name,
                                 basis: pipeline.model == nil ? nil : VocalExpressionModel.basisText, notes: notes)
        }
    }
}

/// Combines segment measures into whole-sound measures with bounded memory: means weighted by speech or voiced
/// seconds; F0 SD pooled over segments (within + between), F0 range the voiced-time-weighted mean of segment ranges.
struct SummaryAccumulator {
    private var total = ProsodyMeasures()
    private var weights: [String: Double] = [:]
    private var sums: [String: Double] = [:]
    private var nuclei = 0.0
    private var semitoneWeight = 0.0, semitoneSum = 0.0, semitoneSquares = 0.0

    mutating func addGap(_ seconds: Double) {
        if seconds >= 0.15 { total.pauseCount += 1; total.pauseSeconds += seconds }
    }

    mutating func add(_ m: ProsodyMeasures) {
        total.speechSeconds += m.speechSeconds
        total.voicedSeconds += m.voicedSeconds
        total.pauseCount += m.pauseCount
        total.pauseSeconds += m.pauseSeconds
        func put(_ key: String, _ v: Double?, _ w: Double) {
            guard let v, w > 0 else { return }
            sums[key, default: 0] += v * w
            weights[key, default: 0] += w
        }
        put("f0", m.f0MeanHz, m.voicedSeconds)
        put("loud", m.loudness, m.speechSeconds)
        put("level", m.levelDBFS, m.speechSeconds)
        put("jitter", m.jitterPercent, m.voicedSeconds)
        put("shimmer", m.shimmerDB, m.voicedSeconds)
        put("hnr", m.hnrDB, m.voicedSeconds)
        put("slopeLow", m.spectralSlope0to500, m.voicedSeconds)
        put("slopeMid", m.spectralSlope500to1500, m.voicedSeconds)
        nuclei += (m.syllableRate ?? 0) * m.speechSeconds
        if let mean = m.f0SemitoneMean, let sd = m.f0SemitoneSD, m.voicedSeconds > 0 {
            let w = m.voicedSeconds
            semitoneWeight += w
            semitoneSum += w * mean
            semitoneSquares += w * (sd * sd + mean * mean)
            put("range", m.f0RangeSemitones, w)
        }
    }

    func measures() -> ProsodyMeasures {
        var m = total
        func get(_ key: String) -> Double? { weights[key].map { sums[key, default: 0] / $0 } }
        m.f0MeanHz = get("f0")
        m.loudness = get("loud")
        m.levelDBFS = get("level")
        m.jitterPercent = get("jitter")
        m.shimmerDB = get("shimmer")
        m.hnrDB = get("hnr")
        m.spectralSlope0to500 = get("slopeLow")
        m.spectralSlope500to1500 = get("slopeMid")
        m.syllableRate = m.speechSeconds > 0 && m.f0MeanHz != nil ? nuclei / m.speechSeconds : nil
        if semitoneWeight > 0 {
            let mean = semitoneSum / semitoneWeight
            m.f0SemitoneMean = mean
            m.f0SemitoneSD = max(0, semitoneSquares / semitoneWeight - mean * mean).squareRoot()
            m.f0RangeSemitones = get("range")
        }
        return m
    }
}
