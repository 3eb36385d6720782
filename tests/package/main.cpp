// Smallest predsense program: surprise of one frame against a prediction, and one step of the
// per-token RLS predictor, whose GEMMs run on the backend the installed target carries.
#include <predsense/predsense.hpp>

#include <cstdio>
#include <vector>

int main() {
  std::vector<float> predicted(64 * 1152, 1.0f), actual(64 * 1152, 1.0f);
  for (std::size_t i = 0; i < actual.size(); i += 2) actual[i] = -1.0f;  // half the dims flipped
  const predsense::frame_view p(predicted, 64, 1152), a(actual, 64, 1152);
  const double s = predsense::token_cosine_distance{}(p, a);

  // RLS on a constant stream predicts the constant (links the BLAS the target names, if any).
  predsense::rls_predictor rls;
  std::vector<float> frame(16 * 32, 0.5f);
  for (int t = 0; t < 3; ++t) rls.observe(predsense::frame_view(frame, 16, 32));
  predsense::frame_buffer guess;
  rls.predict(guess);
  const bool rls_ok = guess.size() == frame.size() && guess(3, 7) > 0.49f && guess(3, 7) < 0.51f;

  std::printf("surprise %.6f simd_width %zu gemm %s rls %s\n", s, predsense::detail::simd::width,
              predsense::kernels::gemm_backend_name(), rls_ok ? "ok" : "wrong");
  return (s > 0.999 && s < 1.001 && rls_ok) ? 0 : 1;  // cos = 0 exactly for this pair
}
