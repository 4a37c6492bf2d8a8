// ONNX networks through OpenCV's dnn module (BlazeFace detector, expression classifier, voice model).
#include "bridge.hpp"
#include <opencv2/dnn.hpp>
#include <cstdlib>
#include <fstream>

struct mien_net {
    cv::dnn::Net net;
};

extern "C" mien_net *mien_net_load_onnx(const char *path, mien_error *err) {
    return mien_guard<mien_net *>(err, nullptr, [&]() -> mien_net * {
        std::ifstream probe(path, std::ios::binary);
        if (!probe) {
            mien_set_error(err, MIEN_ERR_MODEL, std::string("cannot open model file ") + path);
            return nullptr;
        }
        probe.close();
        auto *n = new mien_net();
        try {
            n->net = cv::dnn::readNetFromONNX(path);
        } catch (const cv::Exception &e) {
            delete n;
            mien_set_error(err, MIEN_ERR_MODEL, std::string("not a usable ONNX model: ") + e.what());
            return nullptr;
        }
        if (n->net.empty()) {
            delete n;
            mien_set_error(err, MIEN_ERR_MODEL, "the ONNX model has no layers");
            return nullptr;
        }
        n->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        n->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        return n;
    });
}

extern "C" void mien_net_free(mien_net *net) { delete net; }

extern "C" int mien_net_forward(mien_net *net, const float *input, int n, int c, int h, int w,
                                const char *input_name, const char *const *output_names, int output_count,
                                float **outputs, size_t *output_counts, mien_error *err) {
    for (int i = 0; i < output_count; ++i) outputs[i] = nullptr;
    int ok = mien_guard<int>(err, 0, [&]() -> int {
        int dims[4] = {n, c, h, w};
        cv::Mat blob(4, dims, CV_32F, (void *)input);
        net->net.setInput(blob, input_name ? input_name : "");
        std::vector<cv::String> names;
        for (int i = 0; i < output_count; ++i) names.emplace_back(output_names[i]);
        std::vector<cv::Mat> results;
        net->net.forward(results, names);
        for (int i = 0; i < output_count; ++i) {
            cv::Mat out = results[i].isContinuous() ? results[i] : results[i].clone();
            size_t count = out.total();
            outputs[i] = (float *)std::malloc(count * sizeof(float));
            if (!outputs[i]) throw std::bad_alloc();
            std::memcpy(outputs[i], out.ptr<float>(), count * sizeof(float));
            output_counts[i] = count;
        }
        return 1;
    });
    if (!ok) {
        for (int i = 0; i < output_count; ++i) {
            std::free(outputs[i]);
            outputs[i] = nullptr;
        }
    }
    return ok;
}

extern "C" void mien_free_floats(float *values) { std::free(values); }
