#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Aggregates a segment's frames (and, for jitter and shimmer, its waveform) into `ProsodyMeasures`.
public struct ProsodyCalculator: Sendable {
    public var hopSeconds: Double
    public var sampleRate: Int
    /// A silence must last this long to count as a pause (150 ms: shorter gaps are stop closures).
    public var minPauseFrames = 15
    /// A syllable nucleus is a level peak at least this far above the dip before it (de Jong & Wempe 2009: 2 dB).
    public var nucleusDipDB: Float = 2

    public init(hopSeconds: Double, sampleRate: Int) {
        self.hopSeconds = hopSeconds
        self.sampleRate = sampleRate
    }

    /// `samples` start at frame 0's first sample; `speech[i]` is the VAD decision for `frames[i]`.
    public func measures(frames: [FrameFeatures], speech: [Bool], samples: UnsafeBufferPointer<Float>)
        -> ProsodyMeasures {
        var m = ProsodyMeasures()
        let voiced = frames.indices.map { speech[$0] && frames[$0].f0 > 0 }
        let speechIdx = frames.indices.filter { speech[$0] }
        let voicedIdx = frames.indices.filter { voiced[$0] }
        m.speechSeconds = Double(speechIdx.count) * hopSeconds
        m.voicedSeconds = Double(voicedIdx.count) * hopSeconds
        if !speechIdx.isEmpty {
            m.loudness = speechIdx.map { Double(frames[$0].loudness) }.mean
            m.levelDBFS = speechIdx.map { Double(frames[$0].levelDB) }.mean
        }
        // Pauses: silent runs of ≥ minPauseFrames strictly between speech frames.
        if let first = speechIdx.first, let last = speechIdx.last {
            var run = 0
            for i in first...last {
                if speech[i] { if run >= minPauseFrames { m.pauseCount += 1; m.pauseSeconds += Double(run) * hopSeconds }; run = 0 }
                else { run += 1 }
            }
        }
        guard voicedIdx.count >= 3 else { return m }
        // Median of 3 within voiced runs removes single-frame octave slips before the statistics (eGeMAPS
        // smooths its contour with a 3-frame mean for the same reason).
        let hz = voicedIdx.map { i -> Double in
            var v = [Double(frames[i].f0)]
            if i > 0 && voiced[i - 1] { v.append(Double(frames[i - 1].f0)) }
            if i + 1 < frames.count && voiced[i + 1] { v.append(Double(frames[i + 1].f0)) }
            return v.count == 3 ? v.sorted()[1] : v[0]
        }
        let st = hz.map { 12 * log2($0 / 27.5) }
        m.f0MeanHz = hz.mean
        m.f0SemitoneMean = st.mean
        m.f0SemitoneSD = st.standardDeviation
        m.f0RangeSemitones = st.percentile(0.8) - st.percentile(0.2)
        m.hnrDB = voicedIdx.map { Double(frames[$0].hnrDB) }.mean
        m.spectralSlope0to500 = voicedIdx.map { Double(frames[$0].slopeLow) }.mean
        m.spectralSlope500to1500 = voicedIdx.map { Double(frames[$0].slopeMid) }.mean
        if m.speechSeconds > 0 { m.syllableRate = Double(nuclei(frames: frames, voiced: voiced)) / m.speechSeconds }
        let (jitter, shimmer) = perturbation(frames: frames, voiced: voiced, samples: samples)
        m.jitterPercent = jitter
        m.shimmerDB = shimmer
        return m
    }

    /// Peaks of the 3-frame-smoothed level inside voiced frames, above the segment's median voiced level and at least
    /// `nucleusDipDB` above the lowest level since the previous nucleus.
    func nuclei(frames: [FrameFeatures], voiced: [Bool]) -> Int {
        let n = frames.count
        guard n >= 3 else { return 0 }
        var smooth = [Float](repeating: -100, count: n)
        for i in 0..<n {
            let lo = max(0, i - 1), hi = min(n - 1, i + 1)
            var s: Float = 0
            for j in lo...hi { s += frames[j].levelDB }
            smooth[i] = s / Float(hi - lo + 1)
        }
        let voicedLevels = (0..<n).filter { voiced[$0] }.map { Double(smooth[$0]) }
        let median = Float(voicedLevels.percentile(0.5))
        var count = 0
        var dip = Float.infinity
        for i in 1..<(n - 1) {
            dip = min(dip, smooth[i])
            guard voiced[i], smooth[i] >= smooth[i - 1], smooth[i] > smooth[i + 1], smooth[i] >= median else { continue }
            if smooth[i] - dip >= nucleusDipDB {
                count += 1
                dip = smooth[i]
            }
        }
        return count
    }

    /// Local jitter (%) and shimmer (dB) from successive glottal cycles. In each voiced run the next cycle starts
    /// where the normalised cross-correlation with the current cycle peaks, searched within ±20% of the YIN period
    /// and refined by a parabola; this follows the waveform far more steadily than picking maxima, which jump
    /// between formant peaks. Amplitude = peak-to-peak of each cycle. Period pairs whose ratio exceeds 1.3 are
    /// skipped, as in Praat, so octave jumps do not count as jitter.
    func perturbation(frames: [FrameFeatures], voiced: [Bool], samples: UnsafeBufferPointer<Float>)
        -> (Double?, Double?) {
        let hop = Int(hopSeconds * Double(sampleRate))
        var periodDiff = 0.0, periodSum = 0.0, periodCount = 0
        var ampDiffDB = 0.0, ampCount = 0
        var i = 0
        while i < frames.count {
            guard voiced[i] else { i += 1; continue }
            var j = i
            while j + 1 < frames.count && voiced[j + 1] { j += 1 }
            defer { i = j + 1 }
            guard j - i >= 2 else { continue }
            let start = i * hop, end = min(samples.count, (j + 1) * hop + 240)
            var pos = start
            var prevPeriod: Double? = nil
            var prevAmp: Double? = nil
            while true {
                let f = min(j, max(i, pos / hop))
                let t = Double(sampleRate) / Double(max(60, frames[f].f0))
                let length = Int(t.rounded())
                let lo = Int(0.8 * t), hi = Int((1.2 * t).rounded(.up))
                guard pos + hi + length + 1 < end else { break }
                var scores = [Double](repeating: -1, count: hi - lo + 3)
                var bestLag = lo
                for lag in (lo - 1)...(hi + 1) {
                    var xy: Float = 0, xx: Float = 0, yy: Float = 0
                    for k in 0..<length {
                        let a = samples[pos + k], b = samples[pos + lag + k]
                        xy += a * b; xx += a * a; yy += b * b
                    }
                    let score = xx > 0 && yy > 0 ? Double(xy / (xx * yy).squareRoot()) : 0
                    scores[lag - lo + 1] = score
                    if lag >= lo && lag <= hi && score > scores[bestLag - lo + 1] { bestLag = lag }
                }
                let a = scores[bestLag - lo], b = scores[bestLag - lo + 1], c = scores[bestLag - lo + 2]
                let den = a - 2 * b + c
                let period = Double(bestLag) + (den < 0 ? max(-0.5, min(0.5, 0.5 * (a - c) / den)) : 0)
                var mx = -Float.infinity, mn = Float.infinity
                for k in pos..<(pos + length) { mx = max(mx, samples[k]); mn = min(mn, samples[k]) }
                let amp = Double(mx - mn)
                if b > 0.5 {  // a cycle that resembles the next one: part of the same voiced stretch
                    if let q = prevPeriod, max(period, q) / min(period, q) <= 1.3 {
                        periodDiff += abs(period - q)
                        periodSum += period
                        periodCount += 1
                    }
                    if let q = prevAmp, q > 0, amp > 0 {
                        ampDiffDB += abs(20 * log10(amp / q))
                        ampCount += 1
                    }
                    prevPeriod = period
                    prevAmp = amp
                } else {
                    prevPeriod = nil
                    prevAmp = nil
                }
                pos += bestLag
            }
        }
        let jitter = periodCount >= 3 ? 100 * (periodDiff / Double(periodCount)) / (periodSum / Double(periodCount)) : nil
        let shimmer = ampCount >= 3 ? ampDiffDB / Double(ampCount) : nil
        return (jitter, shimmer)
    }
}

extension Array where Element == Double {
    var mean: Double { isEmpty ? 0 : reduce(0, +) / Double(count) }
    var standardDeviation: Double {
        guard count > 1 else { return 0 }
        let m = mean
        return (map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(count - 1)).squareRoot()
    }
    /// Linear-interpolated percentile, q in [0, 1].
    func percentile(_ q: Double) -> Double {
        guard !isEmpty else { return 0 }
        let s = sorted()
        let pos = q * Double(s.count - 1)
        let lo = Int(pos), hi = Swift.min(s.count - 1, lo + 1)
        return s[lo] + (s[hi] - s[lo]) * (pos - Double(lo))
    }
}
