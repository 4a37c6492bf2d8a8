import Foundation
import MienCore
import MienVision

/// The per-face sequence every front door runs — stills, video frames and live frames alike:
/// landmarks → sanity check → head pose and movement measures → aligned crop → (classifier, batched by the caller)
/// → head-pose gate. Every check lives here, once.
struct FacePipeline: Sendable {
    let engine: Engine
    let options: AnalysisOptions
    let aligner: FaceAligner

    /// `template` replaces the engine's (the framing check tries variants); nil for the product's.
    init(engine: Engine, options: AnalysisOptions, template: AlignmentTemplate? = nil) {
        self.engine = engine
        self.options = options
        aligner = FaceAligner(template: template ?? (engine.classifiers == nil
            ? AlignmentTemplate.ferFraming.with(size: options.alignedSize, channels: options.alignedChannels)
            : engine.template))
    }

    /// Landmarks inside a detector box (or a box predicted from the previous frame).
    func landmarks(in image: Image, box: FaceBox) throws -> FaceLandmarks {
        try engine.landmarker.locate(in: image, box: box)
    }

    /// A face with its landmarks, head pose and movement measures.
    func describe(box: Rect, score: Double, landmarks: FaceLandmarks?, imageWidth: Int, imageHeight: Int) -> FaceAnalysis {
        var face = FaceAnalysis(box: box, score: score, landmarks: landmarks)
        if let l = landmarks {
            face.pose = try? engine.pose.estimate(l, imageWidth: imageWidth, imageHeight: imageHeight)
            face.measures = MovementMeasures(landmarks: l)
        }
        return face
    }

    /// The face's 52 blendshape coefficients and iris gaze from its 478-point mesh, or why there are none (face
    /// too small, no face in the mesh crop, eyes closed). The 68-point landmarks and their measures are kept
    /// either way. nil when the engine has no mesh or no crop can be placed (no keypoints and no landmarks).
    func meshMovement(in image: Image, box: FaceBox, face: FaceAnalysis) throws -> (Blendshapes, Gaze)? {
        guard let meshes = engine.meshes, let nets = engine.blendshapeNets,
              let crop = MeshCrop(box: box, landmarks: face.landmarks) else { return nil }
        switch try meshes.with({ try $0.locate(in: image, crop: crop) }) {
        case .abstained(let reason):
            return (Blendshapes(model: BlendshapeEstimator.modelVersion, coefficients: [:], abstained: reason),
                    Gaze(abstained: reason))
        case .mesh(let mesh):
            let shapes = try nets.with { try $0.estimate(mesh.landmarks) }
            return (shapes, Gaze(mesh: mesh.landmarks, pose: face.pose) ?? Gaze(abstained: "no mesh"))
        }
    }

    /// Each face's body keypoints and body movement, or why there are none, with the pose behind them (video
    /// follows it). Bodies are located once per image and given to the face whose box holds their nose
    /// (`BodyAssignment`); bodies without a face are not reported; with several faces, a face left without a body
    /// gets a second look at the region below it (`BodyLandmarker.people(in:around:)`). In video a face whose body was found before
    /// (`previous[i]`) is followed from its last keypoints without the detector (MediaPipe's tracking mode), as long
    /// as the followed body's nose stays with the face. nil when the engine has no body models.
    func bodies(in image: Image, faces boxes: [Rect], previous: [BodyPose?] = []) throws
        -> [(keypoints: BodyKeypoints, pose: BodyPose?)]? {
        guard let pool = engine.bodies else { return nil }
        guard !boxes.isEmpty else { return [] }
        let model = BodyLandmarker.modelVersion
        func measured(_ p: BodyPose, _ box: Rect) -> (keypoints: BodyKeypoints, pose: BodyPose?) {
            (BodyKeypoints(layout: BodyLayout.mediapipe33, points: p.keypoints, model: model, score: p.score,
                           movement: BodyMovement(points: p.keypoints, face: box)), p)
        }
        return try pool.with { landmarker in
            var out = [(keypoints: BodyKeypoints, pose: BodyPose?)?](repeating: nil, count: boxes.count)
            for (i, box) in boxes.enumerated() where i < previous.count {
                guard let last = previous[i], let next = try landmarker.follow(in: image, previous: last),
                      BodyAssignment.assign(noses: [next.nose], faces: [box]) == [0] else { continue }
                out[i] = measured(next, box)
            }
            let missing = boxes.indices.filter { out[$0] == nil }
            if !missing.isEmpty {
                // more people than faces cannot be reported; one spare covers a detection of the same person twice
                switch try landmarker.people(in: image, maxPeople: missing.count + 1) {
                case .abstained(let reason):
                    for i in missing { out[i] = (BodyKeypoints.abstained(reason, model: model), nil) }
                case .people(let people):
                    let owner = BodyAssignment.assign(noses: people.map(\.nose), faces: missing.map { boxes[$0] })
                    for (i, index) in zip(missing, owner) {
                        out[i] = index.map { measured(people[$0], boxes[i]) }
                    }
                }
            }
            // With several faces, a face still without a body gets a second look at the region below it (the
            // whole-image pass sees mostly the most prominent person).
            if boxes.count > 1 {
                for i in boxes.indices where out[i] == nil {
                    guard case .people(let found) = try landmarker.people(in: image, around: boxes[i]),
                          let p = found.first, BodyAssignment.assign(noses: [p.nose], faces: [boxes[i]]) == [0]
                    else { continue }
                    out[i] = measured(p, boxes[i])
                }
            }
            return out.map { $0 ?? (BodyKeypoints.abstained("no body found for this face", model: model), nil) }
        }
    }

    /// The classifier's view of a face: fitted to its landmarks when they are plausible, else centred on its box
    /// (or, for a pre-cropped face, the whole image scaled).
    func crop(_ image: Image, face: FaceAnalysis) throws -> AlignedFace {
        if let l = face.landmarks, Self.plausible(l, in: face.box) {
            return try aligner.align(image, landmarks: l)
        }
        return options.crops ? try aligner.alignWhole(image) : try aligner.align(image, box: face.box)
    }

    /// Beyond the head-rotation limit an estimate abstains (its probabilities stay visible).
    func gated(_ estimate: ExpressionEstimate, pose: HeadPose?) -> ExpressionEstimate {
        estimate.gated(by: pose, limit: options.maxHeadRotationForExpression)
    }

    /// A landmark fit whose eyes are implausibly close or far for its box (dlib locking on to noise in a tiny
    /// crop) is not used for alignment.
    static func plausible(_ l: FaceLandmarks, in box: Rect) -> Bool {
        let iod = l.interOcularDistance
        return iod > 0.15 * box.width && iod < 0.9 * box.width
    }
}
