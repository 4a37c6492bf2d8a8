// Decoding, conversion and geometric warps of images.
#include "bridge.hpp"
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

extern "C" void mien_set_num_threads(int n) { cv::setNumThreads(n); }

static cv::Mat to_bgr8(const cv::Mat &decoded) {
    cv::Mat eight;
    if (decoded.depth() == CV_8U) {
        eight = decoded;
    } else if (decoded.depth() == CV_16U) {
        decoded.convertTo(eight, CV_8U, 1.0 / 257.0);
    } else if (decoded.depth() == CV_32F || decoded.depth() == CV_64F) {
        decoded.convertTo(eight, CV_8U, 255.0);
    } else {
        decoded.convertTo(eight, CV_8U);
    }
    cv::Mat bgr;
    switch (eight.channels()) {
        case 1: cv::cvtColor(eight, bgr, cv::COLOR_GRAY2BGR); break;
        case 3: bgr = eight; break;
        case 4: cv::cvtColor(eight, bgr, cv::COLOR_BGRA2BGR); break;
        default: throw std::runtime_error("unsupported channel count");
    }
    return bgr.isContinuous() ? bgr : bgr.clone();
}

extern "C" mien_image *mien_image_decode(const uint8_t *bytes, size_t length, mien_error *err) {
    return mien_guard<mien_image *>(err, nullptr, [&]() -> mien_image * {
        if (!bytes || length == 0) {
            mien_set_error(err, MIEN_ERR_DECODE, "the file is empty");
            return nullptr;
        }
        cv::Mat buffer(1, (int)length, CV_8UC1, (void *)bytes);
        // IMREAD_COLOR applies EXIF orientation and converts grey/alpha to BGR; ANYDEPTH keeps 16-bit so that we
        // scale it down ourselves instead of OpenCV truncating.
        cv::Mat decoded = cv::imdecode(buffer, cv::IMREAD_COLOR | cv::IMREAD_ANYDEPTH);
        if (decoded.empty()) {
            mien_set_error(err, MIEN_ERR_DECODE, "the bytes are not a complete image in a supported format");
            return nullptr;
        }
        auto *image = new mien_image();
        image->bgr = to_bgr8(decoded);
        return image;
    });
}

extern "C" mien_image *mien_image_from_pixels(const uint8_t *pixels, int width, int height, int channels,
                                             int stride, mien_error *err) {
    return mien_guard<mien_image *>(err, nullptr, [&]() -> mien_image * {
        if (!pixels || width <= 0 || height <= 0 || (channels != 1 && channels != 3) || stride < width * channels) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "invalid pixel buffer geometry");
            return nullptr;
        }
        cv::Mat view(height, width, channels == 1 ? CV_8UC1 : CV_8UC3, (void *)pixels, (size_t)stride);
        auto *image = new mien_image();
        image->bgr = to_bgr8(view.clone());
        return image;
    });
}

extern "C" mien_image *mien_image_clone(const mien_image *image) {
    if (!image) return nullptr;
    try {
        auto *copy = new mien_image();
        copy->bgr = image->bgr.clone();
        return copy;
    } catch (...) {
        return nullptr;
    }
}

extern "C" void mien_image_free(mien_image *image) { delete image; }
extern "C" int mien_image_width(const mien_image *image) { return image ? image->bgr.cols : 0; }
extern "C" int mien_image_height(const mien_image *image) { return image ? image->bgr.rows : 0; }

extern "C" int mien_image_copy_gray(const mien_image *image, uint8_t *out, size_t capacity, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        size_t need = (size_t)image->bgr.cols * image->bgr.rows;
        if (capacity < need) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "output buffer too small");
            return 0;
        }
        cv::Mat gray(image->bgr.rows, image->bgr.cols, CV_8UC1, out);
        cv::cvtColor(image->bgr, gray, cv::COLOR_BGR2GRAY);
        return 1;
    });
}

extern "C" int mien_image_copy_bgr(const mien_image *image, uint8_t *out, size_t capacity, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        size_t need = image->bgr.total() * 3;
        if (capacity < need) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "output buffer too small");
            return 0;
        }
        std::memcpy(out, image->bgr.data, need);
        return 1;
    });
}

extern "C" int mien_image_letterbox_rgb(const mien_image *image, int size, float *out, float *scale, float *pad_x,
                                        float *pad_y, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        // Exactly MediaPipe's ImageToTensorCalculator (keep_aspect_ratio, BORDER_ZERO): one bilinear inverse warp
        // of the centred square, no pre-shrinking. Resizing with INTER_AREA first moved boxes by up to 12% of their
        // side on the samples (Models/BLAZEFACE.md).
        const cv::Mat &src = image->bgr;
        const double side = std::max(src.cols, src.rows);
        const double ox = (src.cols - side) / 2, oy = (src.rows - side) / 2, k = side / size;
        cv::Mat m = (cv::Mat_<double>(2, 3) << k, 0, ox, 0, k, oy);
        cv::Mat input;
        cv::warpAffine(src, input, m, cv::Size(size, size), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                       cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
        const size_t plane = (size_t)size * size;
        for (int y = 0; y < size; ++y) {
            const uint8_t *row = input.ptr<uint8_t>(y);
            for (int x = 0; x < size; ++x) {
                size_t i = (size_t)y * size + x;
                out[i] = row[3 * x + 2] / 127.5f - 1.0f;             // R
                out[plane + i] = row[3 * x + 1] / 127.5f - 1.0f;     // G
                out[2 * plane + i] = row[3 * x + 0] / 127.5f - 1.0f; // B
            }
        }
        // original = (model pixel - pad) / scale  with  scale = 1/k, pad = -offset/k
        *scale = (float)(1.0 / k);
        *pad_x = (float)(-ox / k);
        *pad_y = (float)(-oy / k);
        return 1;
    });
}

extern "C" int mien_image_warp_affine(const mien_image *image, const double matrix[6], int width, int height,
                                      int channels, int area_prefilter, uint8_t *out, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "invalid crop geometry");
            return 0;
        }
        cv::Mat m = cv::Mat(2, 3, CV_64F, (void *)matrix).clone();
        cv::Mat dst(height, width, channels == 1 ? CV_8UC1 : CV_8UC3, out);
        cv::Mat src = image->bgr;
        // Shrinking by more than 2×, bilinear sampling reads 4 of the many source pixels behind each crop pixel and
        // aliases (camera noise and fine texture fold into the crop). So the region that reaches the crop is first
        // area-averaged down to twice the crop's resolution, and the warp finishes from there (docs/MEASURES.md,
        // "Alignment template": +1.5 points of FER+ accuracy on 8× faces with camera noise).
        const double scale = std::sqrt(m.at<double>(0, 0) * m.at<double>(0, 0) + m.at<double>(1, 0) * m.at<double>(1, 0));
        if (area_prefilter && scale > 0 && scale < 0.5) {
            cv::Mat inv;
            cv::invertAffineTransform(m, inv);
            double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
            for (double cy : {-0.5, height - 0.5}) {
                for (double cx : {-0.5, width - 0.5}) {
                    const double sx = inv.at<double>(0, 0) * cx + inv.at<double>(0, 1) * cy + inv.at<double>(0, 2);
                    const double sy = inv.at<double>(1, 0) * cx + inv.at<double>(1, 1) * cy + inv.at<double>(1, 2);
                    x0 = std::min(x0, sx); y0 = std::min(y0, sy); x1 = std::max(x1, sx); y1 = std::max(y1, sy);
                }
            }
            const double pad = 2.0 / scale;
            cv::Rect roi(cv::Point((int)std::max(0.0, std::floor(x0 - pad)), (int)std::max(0.0, std::floor(y0 - pad))),
                         cv::Point((int)std::min((double)src.cols, std::ceil(x1 + pad)),
                                   (int)std::min((double)src.rows, std::ceil(y1 + pad))));
            if (roi.width > 0 && roi.height > 0) {
                const double f = 2 * scale;
                cv::Mat small;
                cv::resize(src(roi), small, cv::Size(std::max(1, (int)std::lround(roi.width * f)),
                                                     std::max(1, (int)std::lround(roi.height * f))),
                           0, 0, cv::INTER_AREA);
                // a pixel q of `small` is the source point roi.tl + (q + 0.5) / f - 0.5 (pixel centres)
                const double fx = (double)small.cols / roi.width, fy = (double)small.rows / roi.height;
                cv::Mat a = (cv::Mat_<double>(3, 3) << 1 / fx, 0, roi.x + 0.5 / fx - 0.5,
                                                       0, 1 / fy, roi.y + 0.5 / fy - 0.5,
                                                       0, 0, 1);
                cv::Mat m3 = cv::Mat::eye(3, 3, CV_64F);
                m.copyTo(m3(cv::Rect(0, 0, 3, 2)));
                m = cv::Mat(m3 * a)(cv::Rect(0, 0, 3, 2)).clone();
                src = small;
            }
        }
        if (channels == 1) {
            cv::Mat gray;
            cv::cvtColor(src, gray, cv::COLOR_BGR2GRAY);
            cv::warpAffine(gray, dst, m, dst.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        } else {
            cv::warpAffine(src, dst, m, dst.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        }
        return 1;
    });
}

extern "C" int mien_image_write(const mien_image *image, const char *path, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        if (!cv::imwrite(path, image->bgr)) {
            mien_set_error(err, MIEN_ERR_IO, std::string("could not write ") + path);
            return 0;
        }
        return 1;
    });
}

extern "C" int mien_image_encode(const mien_image *image, const char *extension, uint8_t **out, size_t *length,
                                 mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        std::vector<uint8_t> buffer;
        if (!cv::imencode(extension, image->bgr, buffer)) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, std::string("cannot encode as ") + extension);
            return 0;
        }
        *out = (uint8_t *)std::malloc(buffer.size());
        if (!*out) throw std::bad_alloc();
        std::memcpy(*out, buffer.data(), buffer.size());
        *length = buffer.size();
        return 1;
    });
}

extern "C" int mien_image_encode_quality(const mien_image *image, const char *extension, int quality, uint8_t **out,
                                         size_t *length, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        std::vector<uint8_t> buffer;
        std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, std::max(1, std::min(100, quality))};
        if (!cv::imencode(extension, image->bgr, buffer, params)) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, std::string("cannot encode as ") + extension);
            return 0;
        }
        *out = (uint8_t *)std::malloc(buffer.size());
        if (!*out) throw std::bad_alloc();
        std::memcpy(*out, buffer.data(), buffer.size());
        *length = buffer.size();
        return 1;
    });
}

extern "C" void mien_free_bytes(uint8_t *bytes) { std::free(bytes); }
