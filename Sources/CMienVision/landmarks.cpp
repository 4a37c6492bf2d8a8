// dlib's 68-point shape predictor (Kazemi & Sullivan 2014 ensemble of regression trees), iBUG-300W layout.
#include "bridge.hpp"
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <memory>
#include <vector>

// dlib's shape_predictor keeps every leaf of its 7,500 trees (15 cascade levels x 500) as its own heap vector of
// 136 floats: 65 MB scattered over the heap for the 68-point model, so each tree costs a chain of cache misses.
// `packed_predictor` reads the same file into one contiguous leaf array and, per level, first walks all trees
// (their splits fit in cache) and then sums the chosen leaves while prefetching the ones ahead. Same features,
// same splits, same float additions in the same order: the points are bit-identical to dlib's
// (LandmarkPackingTests). perf on the video benchmark put 75% of dlib's predictor time on the leaf loads.
// 16-bit leaves were tried: 10% faster again and 31 MB smaller, but a leaf rounded by 1e-5 moves a feature pixel
// across a pixel boundary now and then, a split flips, and the cascade ends elsewhere (up to 36 px on a 950 px
// face; 83% of points identical), so the exact layout stays.
struct packed_predictor {
    struct split {
        uint32_t idx1, idx2;
        float thresh;
    };
    dlib::matrix<float, 0, 1> initial_shape;
    std::vector<std::vector<unsigned long>> anchor_idx;
    std::vector<std::vector<dlib::vector<float, 2>>> deltas;
    std::vector<split> splits;           // every tree's splits, tree after tree, level after level
    std::vector<float> leaves;           // every tree's leaves, each `dims` floats
    std::vector<uint32_t> split_begin;   // per tree (+1 sentinel): its first split
    std::vector<uint32_t> leaf_begin;    // per tree: its first leaf (in leaves, not floats)
    std::vector<uint32_t> level_begin;   // per level (+1 sentinel): its first tree
    long dims = 0;

    // Streams the file's trees straight into the packed arrays (dlib's serialisation: a vector is its size, then
    // its elements). Reading dlib's forests first and packing after held both copies and their freed fragments,
    // +56 MB of peak RSS on the video benchmark.
    void load(std::istream &in) {
        int version = 0;
        dlib::deserialize(version, in);
        if (version != 1) throw dlib::serialization_error("unexpected dlib::shape_predictor version");
        dlib::deserialize(initial_shape, in);
        dims = initial_shape.size();
        if (dims <= 0 || dims % 2 || dims > 2000) throw dlib::serialization_error("bad initial shape");
        unsigned long n_levels = 0;
        dlib::deserialize(n_levels, in);
        if (n_levels > 1000) throw dlib::serialization_error("implausible cascade depth");
        dlib::impl::split_feature sf;
        dlib::matrix<float, 0, 1> leaf;
        std::vector<uint32_t> feature_bound;   // checked against the feature counts once those are read
        for (unsigned long l = 0; l < n_levels; ++l) {
            level_begin.push_back((uint32_t)split_begin.size());
            unsigned long n_trees = 0;
            dlib::deserialize(n_trees, in);
            if (n_trees > 100000) throw dlib::serialization_error("implausible tree count");
            for (unsigned long t = 0; t < n_trees; ++t) {
                split_begin.push_back((uint32_t)splits.size());
                leaf_begin.push_back((uint32_t)(leaves.size() / dims));
                unsigned long n_splits = 0, n_leaves = 0;
                dlib::deserialize(n_splits, in);
                if (n_splits > 65535) throw dlib::serialization_error("implausible tree depth");
                uint32_t bound = 0;
                for (unsigned long i = 0; i < n_splits; ++i) {
                    deserialize(sf, in);   // a hidden friend: found by argument lookup only
                    if (sf.idx1 > UINT32_MAX - 1 || sf.idx2 > UINT32_MAX - 1)
                        throw dlib::serialization_error("a split reads a feature that does not exist");
                    splits.push_back({(uint32_t)sf.idx1, (uint32_t)sf.idx2, sf.thresh});
                    bound = std::max(bound, (uint32_t)std::max(sf.idx1, sf.idx2) + 1);
                }
                feature_bound.push_back(bound);
                dlib::deserialize(n_leaves, in);
                if (n_leaves != n_splits + 1) throw dlib::serialization_error("a tree with the wrong number of leaves");
                const double planned = (double)n_levels * n_trees * n_leaves * dims;
                if (l == 0 && t == 0 && planned < 1e9) {   // all trees alike in dlib's models: reserve once
                    leaves.reserve((size_t)n_levels * n_trees * n_leaves * dims);
                }
                for (unsigned long i = 0; i < n_leaves; ++i) {
                    dlib::deserialize(leaf, in);
                    if (leaf.size() != dims) throw dlib::serialization_error("a leaf of the wrong size");
                    leaves.insert(leaves.end(), leaf.begin(), leaf.end());
                }
            }
        }
        level_begin.push_back((uint32_t)split_begin.size());
        split_begin.push_back((uint32_t)splits.size());
        dlib::deserialize(anchor_idx, in);
        dlib::deserialize(deltas, in);
        if (anchor_idx.size() != n_levels || deltas.size() != n_levels)
            throw dlib::serialization_error("inconsistent shape predictor");
        for (unsigned long l = 0; l < n_levels; ++l) {
            if (anchor_idx[l].size() != deltas[l].size())
                throw dlib::serialization_error("inconsistent feature anchors");
            for (unsigned long a : anchor_idx[l])
                if (a >= (unsigned long)(dims / 2)) throw dlib::serialization_error("an anchor outside the shape");
            for (uint32_t t = level_begin[l]; t < level_begin[l + 1]; ++t)
                if (feature_bound[t] > deltas[l].size())
                    throw dlib::serialization_error("a split reads a feature that does not exist");
        }
    }

    unsigned long num_parts() const { return (unsigned long)(dims / 2); }

    template <typename image_type>
    void fit(const image_type &img, const dlib::rectangle &rect, float *xy, long x0, long y0) const {
        dlib::matrix<float, 0, 1> current = initial_shape;
        std::vector<float> features;
        std::vector<uint32_t> chosen;   // leaf numbers
        float *cur = &current(0);
        const size_t line_values = 64 / sizeof(float);
        for (size_t l = 0; l + 1 < level_begin.size(); ++l) {
            dlib::impl::extract_feature_pixel_values(img, rect, current, initial_shape, anchor_idx[l], deltas[l],
                                                     features);
            const uint32_t t0 = level_begin[l], t1 = level_begin[l + 1];
            chosen.resize(t1 - t0);
            for (uint32_t t = t0; t < t1; ++t) {
                const split *sp = splits.data() + split_begin[t];
                const uint32_t n = split_begin[t + 1] - split_begin[t];
                uint32_t i = 0;
                while (i < n) i = (features[sp[i].idx1] - features[sp[i].idx2] > sp[i].thresh) ? 2 * i + 1 : 2 * i + 2;
                chosen[t - t0] = leaf_begin[t] + (i - n);
            }
            const size_t ahead = 8;
            for (size_t k = 0; k < chosen.size(); ++k) {
                if (k + ahead < chosen.size()) {
                    const float *next = leaves.data() + (size_t)chosen[k + ahead] * dims;
                    for (size_t off = 0; off < (size_t)dims; off += line_values) __builtin_prefetch(next + off);
                }
                const float *leaf = leaves.data() + (size_t)chosen[k] * dims;
                for (long j = 0; j < dims; ++j) cur[j] += leaf[j];
            }
        }
        const dlib::point_transform_affine to_img = dlib::impl::unnormalizing_tform(rect);
        for (long i = 0; i < dims / 2; ++i) {
            const dlib::point p = to_img(dlib::impl::location(current, i));   // dlib rounds parts to whole pixels
            xy[2 * i] = (float)(p.x() + x0);
            xy[2 * i + 1] = (float)(p.y() + y0);
        }
    }
};

struct mien_landmarker {
    packed_predictor packed;
    std::unique_ptr<dlib::shape_predictor> reference;   // dlib's own, only when asked for (tests)
};

extern "C" mien_landmarker *mien_landmarker_load(const char *path, mien_error *err) {
    return mien_landmarker_load_implementation(path, 0, err);
}

extern "C" mien_landmarker *mien_landmarker_load_implementation(const char *path, int dlib_reference,
                                                               mien_error *err) {
    return mien_guard<mien_landmarker *>(err, nullptr, [&]() -> mien_landmarker * {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            mien_set_error(err, MIEN_ERR_MODEL, std::string("cannot open ") + path);
            return nullptr;
        }
        auto l = std::make_unique<mien_landmarker>();
        try {
            if (dlib_reference) {
                l->reference = std::make_unique<dlib::shape_predictor>();
                dlib::deserialize(*l->reference, in);
            } else {
                l->packed.load(in);
            }
        } catch (const std::exception &e) {
            mien_set_error(err, MIEN_ERR_MODEL, std::string("not a dlib shape predictor: ") + e.what());
            return nullptr;
        }
        unsigned long parts = l->reference ? l->reference->num_parts() : l->packed.num_parts();
        if (parts != 68) {
            mien_set_error(err, MIEN_ERR_MODEL, "expected a 68-point predictor, got " + std::to_string(parts));
            return nullptr;
        }
        return l.release();
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
        if (landmarker->reference) {
            dlib::full_object_detection shape = (*landmarker->reference)(view, rect);
            for (unsigned long i = 0; i < shape.num_parts(); ++i) {
                xy[2 * i] = (float)(shape.part(i).x() + window.x);
                xy[2 * i + 1] = (float)(shape.part(i).y() + window.y);
            }
        } else {
            landmarker->packed.fit(view, rect, xy, window.x, window.y);
        }
        return 1;
    });
}
