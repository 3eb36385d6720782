// Smallest predsense program: surprise of one frame against a prediction.
#include <predsense/predsense.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<float> predicted(64 * 1152, 1.0f), actual(64 * 1152, 1.0f);
  for (std::size_t i = 0; i < actual.size(); i += 2) actual[i] = -1.0f;  // half the dims flipped
  const predsense::frame_view p(predicted, 64, 1152), a(actual, 64, 1152);
  const double s = predsense::token_cosine_distance{}(p, a);
  std::printf("surprise %.6f simd_width %zu\n", s, predsense::detail::simd::width);
  return (s > 0.999 && s < 1.001) ? 0 : 1;  // cos = 0 exactly for this pair
}
