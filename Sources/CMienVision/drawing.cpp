// Annotation primitives for --annotate outputs. Drawing never fails loudly: a bad coordinate just clips.
#include "bridge.hpp"
#include <opencv2/imgproc.hpp>

extern "C" void mien_draw_rect(mien_image *image, float x, float y, float w, float h, uint8_t b, uint8_t g,
                               uint8_t r, int thickness) {
    try {
        cv::rectangle(image->bgr, cv::Rect2f(x, y, w, h), cv::Scalar(b, g, r), thickness, cv::LINE_AA);
    } catch (...) {
    }
}

extern "C" void mien_draw_circle(mien_image *image, float x, float y, float radius, uint8_t b, uint8_t g,
                                 uint8_t r, int thickness) {
    try {
        cv::circle(image->bgr, cv::Point((int)std::lround(x), (int)std::lround(y)),
                   std::max(1, (int)std::lround(radius)), cv::Scalar(b, g, r), thickness, cv::LINE_AA);
    } catch (...) {
    }
}

extern "C" void mien_draw_line(mien_image *image, float x0, float y0, float x1, float y1, uint8_t b, uint8_t g,
                               uint8_t r, int thickness) {
    try {
        cv::line(image->bgr, cv::Point2f(x0, y0), cv::Point2f(x1, y1), cv::Scalar(b, g, r), thickness,
                 cv::LINE_AA);
    } catch (...) {
    }
}

extern "C" void mien_draw_label(mien_image *image, const char *text, float x, float y, double font_scale,
                                uint8_t b, uint8_t g, uint8_t r) {
    try {
        int baseline = 0;
        int thickness = std::max(1, (int)std::lround(font_scale * 1.5));
        cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, font_scale, thickness, &baseline);
        cv::Point origin((int)std::lround(x), (int)std::lround(y));
        origin.y = std::max(origin.y, size.height + 4);
        // Keep the whole label inside the picture: faces near the right edge would otherwise lose its end.
        origin.x = std::max(0, std::min(origin.x, image->bgr.cols - size.width - 4));
        cv::rectangle(image->bgr, cv::Point(origin.x, origin.y - size.height - 4),
                      cv::Point(origin.x + size.width + 4, origin.y + baseline), cv::Scalar(b, g, r), cv::FILLED);
        double luminance = 0.114 * b + 0.587 * g + 0.299 * r;
        cv::Scalar ink = luminance > 140 ? cv::Scalar(0, 0, 0) : cv::Scalar(255, 255, 255);
        cv::putText(image->bgr, text, cv::Point(origin.x + 2, origin.y - 2), cv::FONT_HERSHEY_SIMPLEX, font_scale,
                    ink, thickness, cv::LINE_AA);
    } catch (...) {
    }
}
