#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one 10 ms hop of sound measures. Values are per frame; `Prosody` aggregates them per segment.
public struct FrameFeatures: Sendable, Hashable {
    /// RMS level of the analysis window in dB re full scale (−100 for digital silence).
    public var levelDB: Float
    /// Σ_m mel_m^0.3 — the compressed band-energy sum openSMILE calls loudness (power law after Stevens).
    public var loudness: Float
    /// YIN F0 in Hz, 0 when aperiodic.
    public var f0: Float
    public var aperiodicity: Float
    public var hnrDB: Float
    /// Zero crossings per sample.
    public var zeroCrossingRate: Float
    /// Least-squares slope of the dB power spectrum over 0–500 Hz and 500–1500 Hz, in dB per kHz.
    public var slopeLow: Float
    public var slopeMid: Float
}

/// Turns windows of 16 kHz samples into `FrameFeatures` plus the model's log-mel vector, reusing one FFT.
public final class FrameAnalyzer {
    public let recipe: LogMelRecipe
    private let fft: RealFFT
    private let window: [Float]
    private let filters: [(start: Int, weights: [Float])]
    private let pitch = YinPitch()
    private let decimator = HalfbandDecimator()
    private let lowBins: Range<Int>
    private let midBins: Range<Int>
    private var frame: [Float]
    private var power: [Float]
    private var decimated: [Float]

    /// Samples (at the recipe's rate) that one frame reads from its start.
    public let lookahead: Int

    public init(recipe: LogMelRecipe = LogMelRecipe()) {
        self.recipe = recipe
        fft = RealFFT(size: recipe.nFFT)
        window = recipe.window()
        filters = recipe.filterbank()
        frame = [Float](repeating: 0, count: recipe.nFFT)
        power = [Float](repeating: 0, count: recipe.nFFT / 2 + 1)
        decimated = [Float](repeating: 0, count: pitch.span)
        let binHz = Double(recipe.sampleRate) / Double(recipe.nFFT)
        lowBins = 1..<(Int(500 / binHz) + 1)
        midBins = Int(500 / binHz)..<(Int(1500 / binHz) + 1)
        lookahead = max(recipe.winLength, decimator.inputSpan(outputs: pitch.span))
    }

    /// Analyses the frame starting at `x` (at least `lookahead` samples) and writes its log-mel into `logMel`.
    public func analyze(_ x: UnsafePointer<Float>, logMel: UnsafeMutablePointer<Float>) -> FrameFeatures {
        let win = recipe.winLength
        var energy: Float = 0
        var crossings = 0
        for i in 0..<win {
            energy += x[i] * x[i]
            if i > 0 && (x[i] >= 0) != (x[i - 1] >= 0) { crossings += 1 }
        }
        let level = energy > 0 ? max(-100, 10 * log10(energy / Float(win))) : -100

        frame.withUnsafeMutableBufferPointer { f in
            window.withUnsafeBufferPointer { w in
                for i in 0..<win { f[i] = x[i] * w[i] }
                for i in win..<f.count { f[i] = 0 }
            }
        }
        frame.withUnsafeBufferPointer { f in
            power.withUnsafeMutableBufferPointer { p in fft.powerSpectrum(f, into: p) }
        }
        var loudness: Float = 0
        let floor = Float(recipe.logFloor)
        power.withUnsafeBufferPointer { p in
            for (m, filter) in filters.enumerated() {
                var s: Float = 0
                for (i, wt) in filter.weights.enumerated() { s += wt * p[filter.start + i] }
                logMel[m] = log(s + floor)
                loudness += pow(s, 0.3)
            }
        }

        var est = YinPitch.Estimate(f0: 0, aperiodicity: 1, hnrDB: 0)
        if level > -70 {  // below this there is nothing to hear, let alone a pitch
            decimated.withUnsafeMutableBufferPointer { d in
                decimator.decimate(x, outputs: pitch.span, into: d.baseAddress!)
                est = pitch.estimate(d.baseAddress!)
            }
        }
        return FrameFeatures(levelDB: level, loudness: loudness, f0: est.f0, aperiodicity: est.aperiodicity,
                             hnrDB: est.hnrDB, zeroCrossingRate: Float(crossings) / Float(win),
                             slopeLow: slope(lowBins), slopeMid: slope(midBins))
    }

    private func slope(_ bins: Range<Int>) -> Float {
        let binKHz = Float(recipe.sampleRate) / Float(recipe.nFFT) / 1000
        var sx: Float = 0, sy: Float = 0, sxx: Float = 0, sxy: Float = 0
        let n = Float(bins.count)
        for k in bins {
            let fx = Float(k) * binKHz
            let y = 10 * log10(power[k] + 1e-10)
            sx += fx; sy += y; sxx += fx * fx; sxy += fx * y
        }
        let den = n * sxx - sx * sx
        return den > 0 ? (n * sxy - sx * sy) / den : 0
    }
}
