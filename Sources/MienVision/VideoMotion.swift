import Foundation
import CMienVision
import MienCore

/// Upper-body motion energy: Farneback dense optical flow in the region below a face.
///
/// The region is 2 face widths wide and 1.5 tall, right below the face box: roughly shoulders and
/// chest at a desk or in an interview shot. The region is the same in both frames (it is not moved with the face),
/// so head translation that carries the shoulders along counts as body motion. Flow runs on the region resampled to
/// 48 px wide in grey, which costs well under a millisecond. The result is the mean flow magnitude as a fraction of
/// the face width per second. Camera motion and other people in the region count too: it is a movement measure.
public enum VideoMotion {
    public static func bodyRegion(below face: Rect) -> Rect {
        Rect(x: face.center.x - face.width, y: face.maxY, width: 2 * face.width,
             height: 1.5 * face.height)
    }

    /// Face widths per second between `previous` and `current` (`seconds` apart), or nil when the region is off the
    /// frame or the frames differ in size.
    public static func bodyMotion(previous: Image, current: Image, face: Rect, seconds: Double) -> Double? {
        guard seconds > 0 else { return nil }
        let r = bodyRegion(below: face)
        var err = newError()
        var magnitude: Float = 0
        let box = mien_box(x: Float(r.x), y: Float(r.y), width: Float(r.width), height: Float(r.height), score: 0)
        guard mien_motion_energy(previous.handle, current.handle, box, 48, &magnitude, &err) == 1 else { return nil }
        // magnitude is a fraction of the region width (2 face widths).
        return Double(magnitude) * 2 / seconds
    }

    /// A JPEG thumbnail of `region`, `width` pixels wide.
    public static func thumbnail(of image: Image, region: Rect, width: Int = 96) -> Data? {
        var err = newError()
        let box = mien_box(x: Float(region.x), y: Float(region.y), width: Float(region.width),
                           height: Float(region.height), score: 0)
        guard let h = mien_image_crop(image.handle, box, Int32(width), &err) else { return nil }
        return try? Image(handle: h).encoded(as: ".jpg")
    }
}
