#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a frame of sound becomes the log-mel vector the vocal-expression model reads.
///
/// The numbers live in the model's JSON (`Models/voice_expression.json`, "features") so that Swift and the training
/// code read one recipe and cannot drift; `training/voice/features.py` implements the same formulas and the parity
/// test checks the two agree.
///
///     frame_t = x[t·hop ..< t·hop + win] · hann_periodic(win), zero-padded to n_fft
///     mel_m   = Σ_k W[m,k] · |FFT(frame_t)_k|²          (HTK mel scale, triangular filters, no area norm)
///     logmel  = ln(mel + floor)
public struct LogMelRecipe: Sendable, Codable, Hashable {
    public var sampleRate: Int = 16_000
    public var nFFT: Int = 512
    public var winLength: Int = 400
    public var hopLength: Int = 160
    public var nMels: Int = 64
    public var fMin: Double = 50
    public var fMax: Double = 8_000
    public var logFloor: Double = 1e-6

    public init() {}

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", nFFT = "n_fft", winLength = "win_length", hopLength = "hop_length"
        case nMels = "n_mels", fMin = "f_min", fMax = "f_max", logFloor = "log_floor"
    }

    static func hzToMel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
    static func melToHz(_ m: Double) -> Double { 700 * (pow(10, m / 2595) - 1) }

    /// Triangular HTK filters as (first bin, weights) per band: each touches a handful of the n_fft/2+1 bins.
    public func filterbank() -> [(start: Int, weights: [Float])] {
        let bins = nFFT / 2 + 1
        let lo = Self.hzToMel(fMin), hi = Self.hzToMel(fMax)
        let edges = (0...(nMels + 1)).map { Self.melToHz(lo + (hi - lo) * Double($0) / Double(nMels + 1)) }
        let freqs = (0..<bins).map { Double($0) * Double(sampleRate) / Double(nFFT) }
        return (0..<nMels).map { m in
            let l = edges[m], c = edges[m + 1], r = edges[m + 2]
            var start = -1
            var w: [Float] = []
            for k in 0..<bins {
                let f = freqs[k]
                let v = f <= l || f >= r ? 0 : (f <= c ? (f - l) / (c - l) : (r - f) / (r - c))
                if v > 0 {
                    if start < 0 { start = k }
                    while start + w.count < k { w.append(0) }
                    w.append(Float(v))
                }
            }
            return (max(0, start), w)
        }
    }

    /// Periodic Hann window (as torch.hann_window(periodic=True)).
    public func window() -> [Float] {
        (0..<winLength).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(winLength))) }
    }
}
