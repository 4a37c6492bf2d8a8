/// Observable prosody of a stretch of speech. Every field is defined, with its formula, in docs/VOICE.md.
/// Optional fields are nil when the stretch has too little voiced sound to measure them (not zero).
public struct ProsodyMeasures: Sendable, Codable, Hashable {
    /// Seconds the voice-activity detector marked as speech, and the voiced (periodic) part of them.
    public var speechSeconds: Double
    public var voicedSeconds: Double
    /// F0 (YIN) over voiced frames: mean in Hz; semitones re 27.5 Hz: mean, SD, 20th/80th percentile range.
    public var f0MeanHz: Double?
    public var f0SemitoneMean: Double?
    public var f0SemitoneSD: Double?
    public var f0RangeSemitones: Double?
    /// Mean of Σ mel^0.3 over speech frames (openSMILE-style loudness, arbitrary units).
    public var loudness: Double?
    /// Mean RMS level of speech frames, dB re full scale.
    public var levelDBFS: Double?
    /// Syllable nuclei (de Jong & Wempe 2009) per second of speech: a speaking-rate proxy.
    public var syllableRate: Double?
    /// Silences of at least 150 ms between speech in this stretch: how many and their total seconds.
    public var pauseCount: Int
    public var pauseSeconds: Double
    /// Cycle-to-cycle period perturbation, % (local jitter) and amplitude perturbation, dB (local shimmer).
    public var jitterPercent: Double?
    public var shimmerDB: Double?
    /// Harmonics-to-noise ratio, dB, mean over voiced frames.
    public var hnrDB: Double?
    /// Spectral slope of voiced frames, dB per kHz, over 0–500 Hz and 500–1500 Hz (as eGeMAPS slopeV…).
    public var spectralSlope0to500: Double?
    public var spectralSlope500to1500: Double?

    public init(speechSeconds: Double = 0, voicedSeconds: Double = 0, f0MeanHz: Double? = nil,
                f0SemitoneMean: Double? = nil, f0SemitoneSD: Double? = nil, f0RangeSemitones: Double? = nil,
                loudness: Double? = nil, levelDBFS: Double? = nil, syllableRate: Double? = nil, pauseCount: Int = 0,
                pauseSeconds: Double = 0, jitterPercent: Double? = nil, shimmerDB: Double? = nil,
                hnrDB: Double? = nil, spectralSlope0to500: Double? = nil, spectralSlope500to1500: Double? = nil) {
        self.speechSeconds = speechSeconds
        self.voicedSeconds = voicedSeconds
        self.f0MeanHz = f0MeanHz
        self.f0SemitoneMean = f0SemitoneMean
        self.f0SemitoneSD = f0SemitoneSD
        self.f0RangeSemitones = f0RangeSemitones
        self.loudness = loudness
        self.levelDBFS = levelDBFS
        self.syllableRate = syllableRate
        self.pauseCount = pauseCount
        self.pauseSeconds = pauseSeconds
        self.jitterPercent = jitterPercent
        self.shimmerDB = shimmerDB
        self.hnrDB = hnrDB
        self.spectralSlope0to500 = spectralSlope0to500
        self.spectralSlope500to1500 = spectralSlope500to1500
    }

    /// Column names for CSV, in a fixed documented order.
    public static let columns = ["speech_s", "voiced_s", "f0_mean_hz", "f0_st_mean", "f0_st_sd", "f0_range_st",
                                 "loudness", "level_dbfs", "syllable_rate", "pause_count", "pause_s",
                                 "jitter_pct", "shimmer_db", "hnr_db", "slope_0_500", "slope_500_1500"]

    public var columnValues: [Double?] {
        [speechSeconds, voicedSeconds, f0MeanHz, f0SemitoneMean, f0SemitoneSD, f0RangeSemitones, loudness,
         levelDBFS, syllableRate, Double(pauseCount), pauseSeconds, jitterPercent, shimmerDB, hnrDB,
         spectralSlope0to500, spectralSlope500to1500]
    }
}
