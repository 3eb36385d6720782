// Must NOT compile: a column-major Eigen matrix would be viewed with tokens and dims swapped.
#include "predsense/core/eigen.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"

int main() {
  Eigen::MatrixXf a(4, 8), b(4, 8);
  return static_cast<int>(predsense::token_cosine_distance{}(a, b));
}
