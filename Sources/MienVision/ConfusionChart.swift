import CMienVision
import MienCore

/// Draws a confusion matrix as a PNG-ready image: cells shaded by row-normalised share, counts written in.
public enum ConfusionChart {
    public static func render(classes: [String], confusion: [[Int]], title: String) throws -> Image {
        let k = classes.count, cell = 64, left = 120, top = 70
        let w = left + k * cell + 20, h = top + k * cell + 40
        let image = try Image(pixels: [UInt8](repeating: 255, count: w * h * 3), width: w, height: h, channels: 3)
        mien_draw_label(image.handle, title, 10, 28, 0.6, 255, 255, 255)
        for (j, c) in classes.enumerated() {
            mien_draw_label(image.handle, String(c.prefix(7)), Float(left + j * cell + 2), Float(top - 8), 0.4, 255, 255, 255)
        }
        for (i, row) in confusion.enumerated() {
            let total = max(1, row.reduce(0, +))
            mien_draw_label(image.handle, classes[i], 6, Float(top + i * cell + cell / 2 + 6), 0.45, 255, 255, 255)
            for (j, n) in row.enumerated() {
                let share = Double(n) / Double(total)
                let shade = UInt8(255 - min(255, Int(share * 215)))
                let x = Float(left + j * cell), y = Float(top + i * cell)
                mien_draw_rect(image.handle, x, y, Float(cell), Float(cell), 255, shade, shade, -1)
                mien_draw_rect(image.handle, x, y, Float(cell), Float(cell), 200, 200, 200, 1)
                mien_draw_label(image.handle, "\(n)", x + 8, y + Float(cell) / 2 + 6, 0.45, 255, shade, shade)
            }
        }
        mien_draw_label(image.handle, "rows: truth   columns: predicted   shade: share of the row", Float(left),
                        Float(top + k * cell + 28), 0.45, 255, 255, 255)
        return image
    }
}
