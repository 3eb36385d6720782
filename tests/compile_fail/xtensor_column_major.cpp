// Must NOT compile: a container declared column-major cannot be a row-major frame.
#include "predsense/core/xtensor.hpp"
#include "predsense/surprise/mse.hpp"

int main() {
  xt::xtensor<float, 2, xt::layout_type::column_major> a({4, 8}), b({4, 8});
  return static_cast<int>(predsense::mse{}(a, b));
}
