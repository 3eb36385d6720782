// Must NOT compile: frames are float32; a double matrix needs an explicit conversion.
#include "predsense/core/eigen.hpp"

int main() {
  Eigen::Matrix<double, 4, 8, Eigen::RowMajor> a;
  return static_cast<int>(predsense::as_frame_view(a).tokens);
}
