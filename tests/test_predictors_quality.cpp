// Surprise quality (AUROC for scene changes) on the generated streams of tools/predictor_eval.hpp,
// the numbers behind docs/predictors.md.
#include <doctest/doctest.h>

#include "../tools/predictor_eval.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"

using namespace predsense;

TEST_CASE("auroc helper: perfect, inverted, tied and chance rankings") {
  CHECK(tools::auroc({1.0, 0.1, 0.9, 0.2}, {2}) == doctest::Approx(1.0));
  CHECK(tools::auroc({1.0, 0.9, 0.1, 0.2}, {2}) == doctest::Approx(0.0));
  CHECK(tools::auroc({1.0, 0.5, 0.5, 0.5}, {2}) == doctest::Approx(0.5));
}

TEST_CASE("on a panning stream the learned predictors' surprise marks cuts better than copy-last") {
  double copy = 0.0, rls = 0.0, lfp = 0.0, ema = 0.0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const auto s = tools::pan_stream(400, 16, 64, seed);
    copy_last c;
    rls_predictor r;
    ema_predictor e(0.5);
    lfp_head head(64, 64);
    head.init_uniform(seed);
    lfp_predictor_params lc;
    lc.residual = true;
    lc.train.lr = 3e-3;
    lfp_predictor l(head, lc);
    l.zero_output_layer();
    copy += tools::auroc(tools::surprises(c, s), s.boundaries) / 3;
    rls += tools::auroc(tools::surprises(r, s), s.boundaries) / 3;
    lfp += tools::auroc(tools::surprises(l, s), s.boundaries) / 3;
    ema += tools::auroc(tools::surprises(e, s), s.boundaries) / 3;
  }
  MESSAGE("pan AUROC: copy " << copy << " rls " << rls << " lfp " << lfp << " ema " << ema);
  CHECK(rls > 0.995);
  CHECK(rls > copy + 0.01);
  CHECK(lfp > copy);
  CHECK(ema < 0.5);  // an average of a rotating scene points nowhere: EMA is most surprised mid-scene
}

TEST_CASE("on a static noisy stream the baselines already separate cuts well") {
  const auto s = tools::drift_stream(400, 16, 64, 1);
  copy_last c;
  ema_predictor e(0.5);
  const double a_copy = tools::auroc(tools::surprises(c, s), s.boundaries);
  const double a_ema = tools::auroc(tools::surprises(e, s), s.boundaries);
  CHECK(a_copy > 0.98);
  CHECK(a_ema >= a_copy - 0.005);
}
