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
        let hz = voicedIdx.map { Double(frames[$0].f0) }
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

    /// Local jitter (%) and shimmer (dB) from pitch marks: in each voiced run, successive waveform maxima one
    /// local period apart (searched within ±20% of the YIN period), refined by a parabola. Period pairs whose
    /// ratio exceeds 1.3 are skipped, as in Praat, so octave jumps do not count as jitter.
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
            guard end - start > 0 else { continue }
            func period(at s: Int) -> Double {
                let f = min(j, max(i, s / hop))
                return Double(sampleRate) / Double(max(60, frames[f].f0))
            }
            var marks: [(t: Double, a: Double)] = []
            let p0 = Int(period(at: start))
            var best = start
            for k in start..<min(end, start + p0) where samples[k] > samples[best] { best = k }
            var pos = best
            while true {
                let (t, a) = refine(samples, pos)
                marks.append((t, a))
                let p = period(at: pos)
                let lo = pos + Int(0.8 * p), hi = min(end - 1, pos + Int(1.2 * p))
                guard lo < hi else { break }
                var b = lo
                for k in lo...hi where samples[k] > samples[b] { b = k }
                pos = b
            }
            guard marks.count >= 3 else { continue }
            var prevPeriod: Double? = nil
            for k in 1..<marks.count {
                let per = marks[k].t - marks[k - 1].t
                if let q = prevPeriod, max(per, q) / min(per, q) <= 1.3 {
                    periodDiff += abs(per - q)
                    periodSum += per
                    periodCount += 1
                }
                prevPeriod = per
                let a0 = marks[k - 1].a, a1 = marks[k].a
                if a0 > 0, a1 > 0, max(a0, a1) / min(a0, a1) < 10 {
                    ampDiffDB += abs(20 * log10(a1 / a0))
                    ampCount += 1
                }
            }
        }
        let jitter = periodCount >= 3 ? 100 * (periodDiff / Double(periodCount)) / (periodSum / Double(periodCount)) : nil
        let shimmer = ampCount >= 3 ? ampDiffDB / Double(ampCount) : nil
        return (jitter, shimmer)
    }

    private func refine(_ x: UnsafeBufferPointer<Float>, _ k: Int) -> (Double, Double) {
        guard k > 0, k + 1 < x.count else { return (Double(k), Double(x[k])) }
        let a = Double(x[k - 1]), b = Double(x[k]), c = Double(x[k + 1])
        let den = a - 2 * b + c
        guard den < 0 else { return (Double(k), b) }
        let d = 0.5 * (a - c) / den
        return (Double(k) + d, b - 0.25 * (a - c) * d)
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
