// dlib's 68-point shape predictor (Kazemi & Sullivan 2014 ensemble of regression trees), iBUG-300W layout.
#include "bridge.hpp"
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>
#include <fstream>

struct mien_landmarker {
    dlib::shape_predictor predictor;
};

extern "C" mien_landmarker *mien_landmarker_load(const char *path, mien_error *err) {
    return mien_guard<mien_landmarker *>(err, nullptr, [&]() -> mien_landmarker * {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) {
            mien_set_error(err, MIEN_ERR_MODEL, std::string("cannot open ") + path);
            return nullptr;
        }
        probe.close();
        auto *l = new mien_landmarker();
        try {
            dlib::deserialize(path) >> l->predictor;
        } catch (const std::exception &e) {
            delete l;
            mien_set_error(err, MIEN_ERR_MODEL, std::string("not a dlib shape predictor: ") + e.what());
            return nullptr;
        }
        if (l->predictor.num_parts() != 68) {
            size_t parts = l->predictor.num_parts();
            delete l;
            mien_set_error(err, MIEN_ERR_MODEL, "expected a 68-point predictor, got " + std::to_string(parts));
            return nullptr;
        }
        return l;
    });
}

extern "C" void mien_landmarker_free(mien_landmarker *landmarker) { delete landmarker; }

extern "C" int mien_landmarker_fit(const mien_landmarker *landmarker, const mien_image *image, mien_box box,
                                   float *xy, mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        // The predictor reads pixels only near the face: convert just a padded window to grey, not the image.
        const cv::Mat &src = image->bgr;
        int pad = (int)std::lround(std::max(box.width, box.height) * 0.5f);
        cv::Rect window((int)std::floor(box.x) - pad, (int)std::floor(box.y) - pad,
                        (int)std::ceil(box.width) + 2 * pad, (int)std::ceil(box.height) + 2 * pad);
        window &= cv::Rect(0, 0, src.cols, src.rows);
        if (window.width <= 0 || window.height <= 0) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "face box lies outside the image");
            return 0;
        }
        cv::Mat gray;
        cv::cvtColor(src(window), gray, cv::COLOR_BGR2GRAY);
        dlib::cv_image<unsigned char> view(gray);
        dlib::rectangle rect((long)std::lround(box.x - window.x), (long)std::lround(box.y - window.y),
                             (long)std::lround(box.x - window.x + box.width - 1),
                             (long)std::lround(box.y - window.y + box.height - 1));
        dlib::full_object_detection shape = landmarker->predictor(view, rect);
        for (unsigned long i = 0; i < shape.num_parts(); ++i) {
            xy[2 * i] = (float)(shape.part(i).x() + window.x);
            xy[2 * i + 1] = (float)(shape.part(i).y() + window.y);
        }
        return 1;
    });
}
