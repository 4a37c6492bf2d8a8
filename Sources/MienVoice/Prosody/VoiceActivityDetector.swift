/// Energy voice-activity detector with a minimum-statistics noise floor (Martin 2001, simplified).
///
/// A frame is speech when its level is 12 dB above the quietest frame of the last 3 s and above −55 dBFS.
/// The floor follows the noise within 3 s, so a steady hum stops counting as speech, while the 15–30 dB
/// dips between words keep it low during running speech.
public struct VoiceActivityDetector: Sendable {
    public var marginDB: Float = 12
    public var absoluteFloorDB: Float = -55
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
        var floor = Float.infinity
        for i in 0..<filled { floor = min(floor, history[i]) }
        return levelDB > max(absoluteFloorDB, floor + marginDB)
    }
}
