// Head pose from 2-D landmarks and a generic 3-D face (solvePnP).
#include "bridge.hpp"
#include <opencv2/calib3d.hpp>

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
        cv::Mat rvec, tvec;
        if (!cv::solvePnP(obj, img, camera, cv::noArray(), rvec, tvec, false, cv::SOLVEPNP_ITERATIVE)) {
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
