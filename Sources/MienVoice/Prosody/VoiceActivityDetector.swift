/// Energy voice-activity detector with a minimum-statistics noise floor (Martin 2001, simplified).
///
/// A frame is speech when its level is 12 dB above the noise floor and above −55 dBFS. The floor is the quietest
/// frame of the last 3 s, but never above −50 dBFS: a sound that starts without silence (a tone, a recording cut
/// mid-word) still has a floor to stand on. The floor follows the noise within 3 s, so a steady hum below −38 dBFS
/// never counts as speech, while the 15–30 dB dips between words keep it low during running speech. The cap
/// changes no segment of the 1,440 RAVDESS clips (checked with training/voice/features.py).
public struct VoiceActivityDetector: Sendable {
    public var marginDB: Float = 12
    public var absoluteFloorDB: Float = -55
    public var floorCapDB: Float = -50
    private var history: [Float]
    private var cursor = 0
    private var filled = 0

    public init(historyFrames: Int = 300) {
        history = [Float](repeating: 0, count: max(1, historyFrames))
    }

    public mutating func isSpeech(levelDB: Float) -> Bool {
        history[cursor] = levelDB
        cursor = (cursor + 1) % history.count
        filled = min(history.count, filled + 1)
        var floor = floorCapDB
        for i in 0..<filled { floor = min(floor, history[i]) }
        return levelDB > max(absoluteFloorDB, floor + marginDB)
    }
}
