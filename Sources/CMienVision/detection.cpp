// Classic face detectors: dlib's HOG + linear SVM and OpenCV's Viola–Jones cascades.
#include "bridge.hpp"
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/opencv/cv_image.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

struct mien_hog_detector {
    dlib::frontal_face_detector detector;
};

struct mien_cascade {
    cv::CascadeClassifier classifier;
};

extern "C" mien_hog_detector *mien_hog_detector_create(mien_error *err) {
    return mien_guard<mien_hog_detector *>(err, nullptr, [&]() {
        auto *d = new mien_hog_detector();
        d->detector = dlib::get_frontal_face_detector();
        return d;
    });
}

extern "C" void mien_hog_detector_free(mien_hog_detector *detector) { delete detector; }

extern "C" int mien_hog_detect(mien_hog_detector *detector, const mien_image *image, int upsample, mien_box *out,
                               int capacity, mien_error *err) {
    return mien_guard<int>(err, -1, [&]() -> int {
        cv::Mat gray;
        cv::cvtColor(image->bgr, gray, cv::COLOR_BGR2GRAY);
        double factor = 1.0;
        for (int i = 0; i < upsample; ++i) {
            cv::pyrUp(gray, gray);
            factor *= 2.0;
        }
        dlib::cv_image<unsigned char> view(gray);
        std::vector<dlib::rect_detection> found;
        detector->detector(view, found, 0.0);
        int count = 0;
        for (const auto &d : found) {
            if (count >= capacity) break;
            out[count++] = mien_box{(float)(d.rect.left() / factor), (float)(d.rect.top() / factor),
                                    (float)(d.rect.width() / factor), (float)(d.rect.height() / factor),
                                    (float)d.detection_confidence};
        }
        return count;
    });
}

extern "C" mien_cascade *mien_cascade_load(const char *path, mien_error *err) {
    return mien_guard<mien_cascade *>(err, nullptr, [&]() -> mien_cascade * {
        auto *c = new mien_cascade();
        if (!c->classifier.load(path)) {
            delete c;
            mien_set_error(err, MIEN_ERR_MODEL, std::string("cannot load cascade ") + path);
            return nullptr;
        }
        return c;
    });
}

extern "C" void mien_cascade_free(mien_cascade *cascade) { delete cascade; }

extern "C" int mien_cascade_detect(mien_cascade *cascade, const mien_image *image, int min_size, mien_box *out,
                                   int capacity, mien_error *err) {
    return mien_guard<int>(err, -1, [&]() -> int {
        cv::Mat gray;
        cv::cvtColor(image->bgr, gray, cv::COLOR_BGR2GRAY);
        cv::equalizeHist(gray, gray);
        std::vector<cv::Rect> rects;
        std::vector<int> levels;
        std::vector<double> weights;
        cascade->classifier.detectMultiScale(gray, rects, levels, weights, 1.1, 4, 0, cv::Size(min_size, min_size),
                                             cv::Size(), true);
        int count = 0;
        for (size_t i = 0; i < rects.size() && count < capacity; ++i) {
            out[count++] = mien_box{(float)rects[i].x, (float)rects[i].y, (float)rects[i].width,
                                    (float)rects[i].height, i < weights.size() ? (float)weights[i] : 0.f};
        }
        return count;
    });
}
