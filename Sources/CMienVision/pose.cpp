// Head pose from 2-D landmarks and a generic 3-D face (solvePnP).
#include "bridge.hpp"
#include <opencv2/calib3d.hpp>
#include <cmath>

extern "C" int mien_solve_pnp(const float *image_points, const float *model_points, int n, double focal,
                              double cx, double cy, double rotation[9], double translation[3], mien_error *err) {
    return mien_guard<int>(err, 0, [&]() -> int {
        if (n < 4) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "solvePnP needs at least 4 points");
            return 0;
        }
        std::vector<cv::Point2d> img;
        std::vector<cv::Point3d> obj;
        for (int i = 0; i < n; ++i) {
            img.emplace_back(image_points[2 * i], image_points[2 * i + 1]);
            obj.emplace_back(model_points[3 * i], model_points[3 * i + 1], model_points[3 * i + 2]);
        }
        cv::Mat camera = (cv::Mat_<double>(3, 3) << focal, 0, cx, 0, focal, cy, 0, 0, 1);
        // Start from a frontal face at the distance the landmarks' spread implies. Without a guess the iterative
        // solver sometimes lands in the mirrored solution (a face "upside down", roll ≈ 180°).
        cv::Point2d ic(0, 0);
        cv::Point3d oc(0, 0, 0);
        for (int i = 0; i < n; ++i) { ic += img[i]; oc += obj[i]; }
        ic *= 1.0 / n;
        oc *= 1.0 / n;
        double is = 0, os = 0;
        for (int i = 0; i < n; ++i) {
            is += cv::norm(img[i] - ic);
            os += std::hypot(obj[i].x - oc.x, obj[i].y - oc.y);
        }
        double z = is > 1e-9 ? focal * os / is : 1000.0;
        cv::Mat rvec = cv::Mat::zeros(3, 1, CV_64F);
        cv::Mat tvec = (cv::Mat_<double>(3, 1) << (ic.x - cx) * z / focal - oc.x, (ic.y - cy) * z / focal - oc.y, z);
        if (!cv::solvePnP(obj, img, camera, cv::noArray(), rvec, tvec, true, cv::SOLVEPNP_ITERATIVE)) {
            mien_set_error(err, MIEN_ERR_ARGUMENT, "solvePnP did not converge");
            return 0;
        }
        cv::Mat r;
        cv::Rodrigues(rvec, r);
        for (int i = 0; i < 9; ++i) rotation[i] = r.at<double>(i / 3, i % 3);
        for (int i = 0; i < 3; ++i) translation[i] = tvec.at<double>(i);
        return 1;
    });
}
