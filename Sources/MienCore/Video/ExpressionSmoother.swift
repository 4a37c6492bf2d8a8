#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Temporal smoothing of one track's expression probabilities: a first-order exponential filter with time
/// constant `tau` seconds, p̂ ← p̂ + α (p − p̂) with α = 1 − e^(−Δt/τ), so the weight of a frame does not depend on
/// the frame rate or on `--every`. The label (or "uncertain") is re-derived from the smoothed probabilities with the
/// model's own abstention threshold. After a gap longer than `resetAfter` the filter restarts.
///
/// τ = 0.4 s by default: posed and spontaneous expressions last 0.5–4 s (Ekman 2003), so a 0.4 s constant removes
/// frame-to-frame flicker (the classifier sees a slightly different crop every frame) without hiding an
/// expression; raw per-frame values stay in every output beside the smoothed ones.
public struct ExpressionSmoother: Sendable {
    public var tau: Double
    public var resetAfter: Double
    private var state: [Double]?
    private var lastTime: Double?

    public init(tau: Double = 0.4, resetAfter: Double = 1.0) {
        self.tau = tau
        self.resetAfter = resetAfter
    }

    public mutating func update(_ estimate: ExpressionEstimate, at time: Double) -> ExpressionEstimate {
        let p = estimate.probabilities
        if let s = state, let last = lastTime, s.count == p.count, time - last <= resetAfter, tau > 0 {
            let alpha = 1 - exp(-max(0, time - last) / tau)
            state = zip(s, p).map { $0 + alpha * ($1 - $0) }
        } else {
            state = p
        }
        lastTime = time
        return ExpressionEstimate(classes: estimate.classes, probabilities: state ?? p, threshold: estimate.threshold,
                                  model: estimate.model)
    }
}
