// dlib's 68-point shape predictor (Kazemi & Sullivan 2014 ensemble of regression trees), iBUG-300W layout.
#include "bridge.hpp"
#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <dlib/serialize.h>
#include <opencv2/imgproc.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <type_traits>
#include <memory>
#include <vector>

// The numbers of a dlib file read through dlib's own deserialisers: slow (a virtual call, a try block and scalbnf
// per float; 59% of `mien analyze`'s CPU time went into reading the model this way) but dlib's by definition.
struct dlib_source {
    std::istream &in;
    template <typename T = unsigned long>
    uint64_t uint() {
        unsigned long v;
        dlib::deserialize(v, in);
        return v;
    }
    template <typename T>
    int64_t sint() {
        T v;
        dlib::deserialize(v, in);
        return v;
    }
    float flt() {
        float v;
        dlib::deserialize(v, in);
        return v;
    }
};

// The same numbers decoded from a buffer, following dlib 19.24's serialize.h and float_details.h exactly:
// an integer is a control byte (bit 7: negative; low 4 bits: byte count, 1..sizeof) and that many little-endian
// bytes; a float is an int64 mantissa and an int16 exponent, ldexp((float)mantissa, exponent), with exponents
// 32000/32001/32002 for +inf/-inf/NaN. The pre-2013 ASCII float format is left to dlib_source (old_float_format).
struct old_float_format : std::runtime_error {
    old_float_format() : std::runtime_error("dlib's old ASCII float format") {}
};

struct fast_source {
    std::istream &in;
    std::vector<unsigned char> buffer;   // 1 MB for the model file; no more than a small file needs
    size_t pos = 0, end = 0;
    bool eof = false;

    // Makes at least `n` bytes readable at `pos` unless the file ends first (then reads fail on their own check).
    void ensure(size_t n) {
        if (end - pos >= n || eof) return;
        std::memmove(buffer.data(), buffer.data() + pos, end - pos);
        end -= pos;
        pos = 0;
        in.read((char *)buffer.data() + end, (std::streamsize)(buffer.size() - end));
        const size_t got = (size_t)in.gcount();
        end += got;
        if (got == 0) eof = true;
    }
    const unsigned char *take(size_t n) {
        ensure(n);
        if (end - pos < n) throw dlib::serialization_error("the file ends in the middle of the model");
        const unsigned char *p = buffer.data() + pos;
        pos += n;
        return p;
    }
    static uint64_t little_endian(const unsigned char *p, unsigned size) {
        uint64_t v = 0;
        for (unsigned i = 0; i < size; ++i) v |= (uint64_t)p[i] << (8 * i);
        return v;
    }
    template <typename T = unsigned long>
    uint64_t uint() {
        const unsigned size = *take(1) & 0x8F;
        if (size > sizeof(T) || size == 0) throw dlib::serialization_error("a bad unsigned integer");
        return little_endian(take(size), size);
    }
    template <typename T>
    int64_t sint() {
        const unsigned char control = *take(1);
        const unsigned size = control & 0x0F;
        if (size > sizeof(T) || size == 0) throw dlib::serialization_error("a bad signed integer");
        using U = typename std::make_unsigned<T>::type;
        U v = (U)little_endian(take(size), size);   // dlib shifts the bytes into a T: the same bits
        if (control & 0x80) v = (U)(0 - v);          // item *= -1, in two's complement
        return (int64_t)(T)v;
    }
    float flt() {
        ensure(12);   // the longest float: 1 + 8 mantissa bytes, 1 + 2 exponent bytes
        if (pos < end && (buffer[pos] & 0x70)) throw old_float_format();
        int64_t mantissa;
        int exponent;
        if (end - pos >= 12) {   // the hot path (17 M floats): no refill checks byte by byte
            const unsigned char *p = buffer.data() + pos;
            const unsigned m_size = p[0] & 0x0F;
            if (m_size > 8 || m_size == 0) throw dlib::serialization_error("a bad signed integer");
            uint64_t m = little_endian(p + 1, m_size);
            if (p[0] & 0x80) m = 0 - m;
            const unsigned char e_control = p[1 + m_size];
            const unsigned e_size = e_control & 0x0F;
            if (e_size > 2 || e_size == 0) throw dlib::serialization_error("a bad signed integer");
            uint16_t e = (uint16_t)little_endian(p + 2 + m_size, e_size);
            if (e_control & 0x80) e = (uint16_t)(0 - e);
            pos += 2 + m_size + e_size;
            mantissa = (int64_t)m;
            exponent = (int16_t)e;
        } else {
            mantissa = sint<int64_t>();
            exponent = (int16_t)sint<int16_t>();
        }
        if (exponent >= -126 && exponent <= 127) {
            // (float)mantissa times an exact power of two: one correctly rounded operation, as ldexp (≈3x faster).
            uint32_t bits = (uint32_t)(exponent + 127) << 23;
            float scale;
            std::memcpy(&scale, &bits, sizeof scale);
            return (float)mantissa * scale;
        }
        if (exponent < 32000) return std::ldexp((float)mantissa, exponent);
        if (exponent == 32000) return std::numeric_limits<float>::infinity();
        if (exponent == 32001) return -std::numeric_limits<float>::infinity();
        return std::numeric_limits<float>::quiet_NaN();
    }
};

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

    // Reads the file's trees straight into the packed arrays (dlib's serialisation: a vector is its size, then its
    // elements; numbers are dlib's packed integers, floats a packed mantissa and exponent). Reading dlib's forests
    // first and packing after held both copies and their freed fragments: +56 MB of peak RSS on the video benchmark.
    // `file_bytes` bounds what the file can hold: every float takes at least 4 bytes (two control bytes, a mantissa
    // byte, an exponent byte), so no more leaves are reserved than it can fill (a header of a few bytes could ask
    // for 4 GB).
    template <typename Source>
    void load(Source &src, uint64_t file_bytes) {
        if (src.template sint<int>() != 1) throw dlib::serialization_error("unexpected dlib::shape_predictor version");
        read_matrix(src, initial_shape);
        dims = initial_shape.size();
        if (dims <= 0 || dims % 2 || dims > 2000) throw dlib::serialization_error("bad initial shape");
        const uint64_t n_levels = src.uint();
        if (n_levels > 1000) throw dlib::serialization_error("implausible cascade depth");
        dlib::matrix<float, 0, 1> leaf;
        std::vector<uint32_t> feature_bound;   // checked against the feature counts once those are read
        for (uint64_t l = 0; l < n_levels; ++l) {
            level_begin.push_back((uint32_t)split_begin.size());
            const uint64_t n_trees = src.uint();
            if (n_trees > 100000) throw dlib::serialization_error("implausible tree count");
            for (uint64_t t = 0; t < n_trees; ++t) {
                split_begin.push_back((uint32_t)splits.size());
                leaf_begin.push_back((uint32_t)(leaves.size() / dims));
                const uint64_t n_splits = src.uint();
                if (n_splits > 65535) throw dlib::serialization_error("implausible tree depth");
                uint32_t bound = 0;
                for (uint64_t i = 0; i < n_splits; ++i) {
                    const uint64_t idx1 = src.uint(), idx2 = src.uint();
                    const float thresh = src.flt();
                    if (!std::isfinite(thresh)) throw dlib::serialization_error("a threshold that is not finite");
                    if (idx1 > UINT32_MAX - 1 || idx2 > UINT32_MAX - 1)
                        throw dlib::serialization_error("a split reads a feature that does not exist");
                    splits.push_back({(uint32_t)idx1, (uint32_t)idx2, thresh});
                    bound = std::max(bound, (uint32_t)std::max(idx1, idx2) + 1);
                }
                feature_bound.push_back(bound);
                const uint64_t n_leaves = src.uint();
                if (n_leaves != n_splits + 1) throw dlib::serialization_error("a tree with the wrong number of leaves");
                const double planned = (double)n_levels * n_trees * n_leaves * dims;
                if (l == 0 && t == 0 && planned < 1e9 && planned <= (double)file_bytes / 4) {
                    // All trees alike in dlib's models: reserve once.
                    leaves.reserve((size_t)n_levels * n_trees * n_leaves * dims);
                }
                for (uint64_t i = 0; i < n_leaves; ++i) {
                    read_matrix(src, leaf);
                    if (leaf.size() != dims) throw dlib::serialization_error("a leaf of the wrong size");
                    leaves.insert(leaves.end(), leaf.begin(), leaf.end());
                }
            }
        }
        level_begin.push_back((uint32_t)split_begin.size());
        split_begin.push_back((uint32_t)splits.size());
        if (src.uint() != n_levels) throw dlib::serialization_error("inconsistent shape predictor");
        anchor_idx.resize(n_levels);
        for (auto &level : anchor_idx) {
            const uint64_t n = src.uint();
            if (n > 100000) throw dlib::serialization_error("implausible feature count");
            level.resize(n);
            for (auto &a : level) a = (unsigned long)src.uint();
        }
        if (src.uint() != n_levels) throw dlib::serialization_error("inconsistent shape predictor");
        deltas.resize(n_levels);
        for (auto &level : deltas) {
            const uint64_t n = src.uint();
            if (n > 100000) throw dlib::serialization_error("implausible feature count");
            level.resize(n);
            for (auto &d : level) {
                d.x() = src.flt();
                d.y() = src.flt();
                if (!is_plausible(d.x()) || !is_plausible(d.y()))
                    throw dlib::serialization_error("a feature offset that is not a finite number of plausible size");
            }
        }
        for (uint64_t l = 0; l < n_levels; ++l) {
            if (anchor_idx[l].size() != deltas[l].size())
                throw dlib::serialization_error("inconsistent feature anchors");
            for (unsigned long a : anchor_idx[l])
                if (a >= (unsigned long)(dims / 2)) throw dlib::serialization_error("an anchor outside the shape");
            for (uint32_t t = level_begin[l]; t < level_begin[l + 1]; ++t)
                if (feature_bound[t] > deltas[l].size())
                    throw dlib::serialization_error("a split reads a feature that does not exist");
        }
    }

    // Shapes, leaves and feature offsets are in units of the face box (dlib's 68-point model keeps them well inside
    // ±10). Far larger values, summed over thousands of trees, make dlib convert a pixel position beyond the range
    // of `long` (undefined behaviour; found by fuzz/run.sh landmark_model), so a model holding them is refused.
    static bool is_plausible(float v) { return std::isfinite(v) && std::fabs(v) <= 1e4f; }

    template <typename Source>
    static void read_matrix(Source &src, dlib::matrix<float, 0, 1> &m) {
        int64_t nr = src.template sint<long>(), nc = src.template sint<long>();
        // Checked before negating: -INT64_MIN overflows.
        if (nr < -100000 || nc < -100000) throw dlib::serialization_error("a vector of implausible size");
        if (nr < 0 || nc < 0) {   // dlib's newer format marks itself with negative sizes
            nr = -nr;
            nc = -nc;
        }
        if (nc != 1 || nr < 0 || nr > 100000) throw dlib::serialization_error("a vector of implausible size");
        m.set_size(nr);
        bool plausible = true;
        for (int64_t i = 0; i < nr; ++i) plausible &= is_plausible(m(i) = src.flt());
        // A damaged file must not turn into NaN landmarks downstream.
        if (!plausible) throw dlib::serialization_error("a value that is not a finite number of plausible size");
    }

    /// FNV-1a over everything the predictor uses: the same model read two ways must give the same value.
    uint64_t fingerprint() const {
        uint64_t h = 1469598103934665603ull;
        auto mix = [&h](const void *p, size_t n) {
            const unsigned char *b = (const unsigned char *)p;
            for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
        };
        mix(&initial_shape(0), sizeof(float) * dims);
        mix(splits.data(), sizeof(split) * splits.size());
        mix(leaves.data(), sizeof(float) * leaves.size());
        mix(split_begin.data(), 4 * split_begin.size());
        mix(leaf_begin.data(), 4 * leaf_begin.size());
        mix(level_begin.data(), 4 * level_begin.size());
        for (const auto &level : anchor_idx) mix(level.data(), sizeof(unsigned long) * level.size());
        for (const auto &level : deltas)
            for (const auto &d : level) {
                float xy[2] = {d.x(), d.y()};
                mix(xy, sizeof xy);
            }
        return h;
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

extern "C" mien_landmarker *mien_landmarker_load_implementation(const char *path, int mode, mien_error *err) {
    return mien_guard<mien_landmarker *>(err, nullptr, [&]() -> mien_landmarker * {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            mien_set_error(err, MIEN_ERR_MODEL, std::string("cannot open ") + path);
            return nullptr;
        }
        return mien_landmarker_read(in, mode, err);
    });
}

mien_landmarker *mien_landmarker_read(std::istream &in, int mode, mien_error *err) {
    return mien_guard<mien_landmarker *>(err, nullptr, [&]() -> mien_landmarker * {
        in.seekg(0, std::ios::end);
        const std::streamoff length = in.tellg();
        in.clear();
        in.seekg(0);
        const uint64_t file_bytes = length > 0 ? (uint64_t)length : UINT64_MAX;
        const size_t buffer_bytes = (size_t)std::min<uint64_t>(1 << 20, std::max<uint64_t>(64, file_bytes));
        auto l = std::make_unique<mien_landmarker>();
        try {
            if (mode == 1) {
                l->reference = std::make_unique<dlib::shape_predictor>();
                dlib::deserialize(*l->reference, in);
            } else if (mode == 2) {
                dlib_source src{in};
                l->packed.load(src, file_bytes);
            } else {
                try {
                    fast_source src{in, std::vector<unsigned char>(buffer_bytes)};
                    l->packed.load(src, file_bytes);
                } catch (const old_float_format &) {   // a model from before dlib's binary floats
                    l = std::make_unique<mien_landmarker>();
                    in.clear();
                    in.seekg(0);
                    dlib_source src{in};
                    l->packed.load(src, file_bytes);
                }
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

extern "C" uint64_t mien_landmarker_fingerprint(const mien_landmarker *landmarker) {
    return landmarker->reference ? 0 : landmarker->packed.fingerprint();
}

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
