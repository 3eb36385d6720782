// libFuzzer target: component state files (io/state_file.hpp) from arbitrary bytes must load or
// throw predsense::error. The first input byte picks the component kind (so one corpus reaches
// every loader: a wrong kind is itself a case); the rest is the file, loaded twice - as is (the
// checksum refuses almost every mutation) and with the checksum check skipped, so the field checks
// behind it are what gets fuzzed - in both parameter modes (compare: load_state; adopt: Python
// unpickling). A load that succeeds is continued for a few steps to show the state is consistent.
// Seeds: fuzz/corpus/state (fuzz/make_state_corpus.cpp writes them).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "predsense/counting/dedup_aggregator.hpp"
#include "predsense/io/state_file.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/pipeline/stream.hpp"
#include "predsense/predictors/copy_last.hpp"
#include "predsense/predictors/ema_predictor.hpp"
#include "predsense/predictors/lfp_predictor.hpp"
#include "predsense/predictors/rls_predictor.hpp"
#include "predsense/segmentation/streaming/adaptive_segmenter.hpp"
#include "predsense/segmentation/streaming/bocpd_segmenter.hpp"
#include "predsense/segmentation/streaming/peak_segmenter.hpp"
#include "predsense/segmentation/streaming/threshold_segmenter.hpp"
#include "predsense/segmentation/video/cut_segmenter.hpp"
#include "predsense/segmentation/video/transition_detector.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/robust_zscore_normalizer.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"

namespace {
using namespace predsense;

template <class C, class Use>
void fuzz_one(const safetensors_reader& r, Use use) {
  for (auto mode : {detail::state_params::compare, detail::state_params::adopt})
    for (auto cs : {detail::state_checksum::verify, detail::state_checksum::skip}) {
      C c{};
      try {
        detail::load_state_from(c, r, mode, cs);
      } catch (const format_error&) {
        continue;
      }
      try {
        use(c);
      } catch (const error&) {  // e.g. a frame of another shape than the loaded state's: refused, not a crash
      }
    }
}

template <class S>
void use_segmenter(S& s) {
  const std::size_t t0 = [&] {
    if constexpr (requires { s.next_step(); }) return s.next_step();
    return std::size_t{1000};
  }();
  for (std::size_t i = 0; i < 8; ++i) (void)s.push(0.1 * static_cast<double>(i % 3), t0 + i);
  if constexpr (requires { s.flush(); }) (void)s.flush();
}

template <class P>
void use_predictor(P& p) {
  frame_buffer g;
  if (p.ready()) p.predict(g);
  std::vector<float> f(4 * 8, 0.25f);
  p.observe(frame_view(f.data(), 4, 8));
  p.predict(g);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  try {
    const auto r =
        safetensors_reader::from_bytes(std::span(reinterpret_cast<const std::byte*>(data + 1), size - 1), "fuzz.state");
    switch (data[0] % 13) {
      case 0:
        fuzz_one<zscore_normalizer>(r, [](auto& z) { (void)z(0.5); });
        break;
      case 1:
        fuzz_one<ema_normalizer>(r, [](auto& z) { (void)z(0.5); });
        break;
      case 2:
        fuzz_one<robust_zscore_normalizer>(r, [](auto& z) { (void)z(0.5), (void)z(0.7); });
        break;
      case 3:
        fuzz_one<threshold_segmenter>(r, [](auto& s) { use_segmenter(s); });
        break;
      case 4:
        fuzz_one<adaptive_segmenter>(r, [](auto& s) { use_segmenter(s); });
        break;
      case 5:
        fuzz_one<peak_segmenter>(r, [](auto& s) { use_segmenter(s); });
        break;
      case 6:
        fuzz_one<bocpd_segmenter>(r, [](auto& s) {
          const std::size_t t0 = s.model().steps() + 1;  // time checks refuse other steps with an error
          (void)t0;
          use_segmenter(s);
        });
        break;
      case 7:
        fuzz_one<cut_segmenter>(r, [](auto& s) { use_segmenter(s); });
        break;
      case 8:
        fuzz_one<copy_last>(r, [](auto& p) { use_predictor(p); });
        break;
      case 9:
        fuzz_one<ema_predictor>(r, [](auto& p) { use_predictor(p); });
        break;
      case 10:
        fuzz_one<rls_predictor>(r, [](auto& p) { use_predictor(p); });
        break;
      case 11:
        fuzz_one<transition_detector>(r, [](auto& d) {
          std::vector<float> th(d.params().width * d.params().height * d.params().channels, 0.5f);
          for (int i = 0; i < 4; ++i) (void)d.push(th, 0.1 * i);
          (void)d.flush();
        });
        break;
      case 12:
        fuzz_one<dedup_aggregator>(r, [](auto& a) {
          const std::size_t n = std::min<std::size_t>(a.descriptors(), 16);
          for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) (void)a.same_instance(i, j);
          a.add(segment_answer{a.segments() ? 1u << 30 : 0, (1u << 30) + 1, 0, {}, 0});
          (void)a.count();
        });
        break;
    }
  } catch (const error&) {
  }
  return 0;
}
