// Memory checkpoints beyond the round trip (test_memory.cpp): files are locale-free (saved under a
// decimal-comma locale, loaded under "C", and the reverse), a user policy's params() are checked
// like a built-in one's, checked sizes refuse wrapped grids, and a successful save removes the
// temp files a crashed save left behind.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <clocale>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <locale>
#include <string>
#include <thread>
#include <vector>

#include "predsense/core/checked_size.hpp"
#include "predsense/memory/policies/drop_merge.hpp"
#include "predsense/memory/policies/fifo.hpp"
#include "predsense/memory/memory_checkpoint.hpp"
#include "predsense/memory/memory_store.hpp"
#include "predsense/memory/sensory_window.hpp"

using namespace predsense;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const auto d = fs::temp_directory_path() / ("predsense_ckpt_" + name + "_" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d;
}

// de_DE.UTF-8 compiled from Debian's `locales` sources into the build tree (once), so the test
// does not depend on which locales the machine has generated.
bool use_decimal_comma_locale() {
  const fs::path dir = fs::path(PREDSENSE_BINARY_DIR) / "test_locales";
  if (!fs::exists(dir / "de_DE.UTF-8")) {
    fs::create_directories(dir);
    const std::string cmd = "localedef -i de_DE -f UTF-8 '" + (dir / "de_DE.UTF-8").string() + "' >/dev/null 2>&1";
    (void)std::system(cmd.c_str());  // localedef warns (exit 1) on harmless things; the check below decides
  }
  ::setenv("LOCPATH", dir.c_str(), 1);
  if (!std::setlocale(LC_ALL, "de_DE.UTF-8")) return false;
  std::locale::global(std::locale(std::locale::classic(), "de_DE.UTF-8", std::locale::numeric));
  return *std::localeconv()->decimal_point == ',';
}

void use_c_locale() {
  std::setlocale(LC_ALL, "C");
  std::locale::global(std::locale::classic());
}

template <class M>
void feed(M& m, std::size_t n) {
  std::vector<float> f(16 * 3);
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(t) * 0.5f + static_cast<float>(i % 3);
    m.push(frame_view(f.data(), 16, 3), (t % 7) * 0.125 + 0.01);
  }
}

// A user policy whose parameter has a name no built-in uses.
struct keep_every_kth {
  static constexpr std::string_view name = "keep_every_kth";
  std::uint64_t k = 3;
  double slack = 0.25;
  [[nodiscard]] policy_params params() const { return {{"k", k}, {"slack", slack}}; }
  fifo inner;
  void reset() { inner.reset(); }
  void on_admit(long_term_store& s, entry_id id) { inner.on_admit(s, id); }
  void consolidate(long_term_store& s) { inner.consolidate(s); }
};

}  // namespace

TEST_CASE("checkpoint numbers do not follow the process locale") {
  const auto dir = scratch("locale");
  const auto make = [] { return make_cambrian_memory(0.35, memory_params{4, 300}); };
  REQUIRE_MESSAGE(use_decimal_comma_locale(), "could not build or select de_DE.UTF-8 (Debian package: locales)");
  // sanity: this locale really writes a decimal comma through printf
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", 0.35);
  CHECK(std::string(buf) == "0,35");

  SUBCASE("saved under de_DE, loaded under C") {
    auto a = make();
    feed(a, 40);
    save_checkpoint(a, dir / "de.safetensors");
    use_c_locale();
    auto b = make();
    CHECK_NOTHROW(load_checkpoint(b, dir / "de.safetensors"));
    CHECK(b.frames_seen() == 40);
    CHECK(b.tokens() == a.tokens());
  }
  SUBCASE("saved under C, loaded under de_DE") {
    use_c_locale();
    auto a = make();
    feed(a, 40);
    save_checkpoint(a, dir / "c.safetensors");
    REQUIRE(use_decimal_comma_locale());
    auto b = make();
    CHECK_NOTHROW(load_checkpoint(b, dir / "c.safetensors"));
    CHECK(b.frames_seen() == 40);
    // and a different threshold is still told apart under the comma locale
    auto other = make_cambrian_memory(0.36, memory_params{4, 300});
    CHECK_THROWS_WITH_AS(load_checkpoint(other, dir / "c.safetensors"), doctest::Contains("threshold=0.35"),
                         format_error);
  }
  use_c_locale();
  fs::remove_all(dir);
}

TEST_CASE("a user policy's params() are checked like a built-in one's") {
  const auto dir = scratch("params");
  memory_store<pool_when_unsurprising, keep_every_kth> a({4, 300}, {0.35}, keep_every_kth{});
  feed(a, 30);
  save_checkpoint(a, dir / "p.safetensors");
  memory_store<pool_when_unsurprising, keep_every_kth> same({4, 300}, {0.35}, keep_every_kth{});
  CHECK_NOTHROW(load_checkpoint(same, dir / "p.safetensors"));
  CHECK(same.frames_seen() == 30);
  keep_every_kth other_k;
  other_k.k = 4;
  memory_store<pool_when_unsurprising, keep_every_kth> b({4, 300}, {0.35}, other_k);
  CHECK_THROWS_WITH_AS(load_checkpoint(b, dir / "p.safetensors"), doctest::Contains("k=3"), format_error);
  keep_every_kth other_slack;
  other_slack.slack = 0.5;
  memory_store<pool_when_unsurprising, keep_every_kth> c({4, 300}, {0.35}, other_slack);
  CHECK_THROWS_WITH_AS(load_checkpoint(c, dir / "p.safetensors"), doctest::Contains("slack=0.25"), format_error);
  CHECK(c.frames_seen() == 0);  // unchanged by the refused load
  fs::remove_all(dir);
}

TEST_CASE("a successful save removes the temp files a crashed save left") {
  const auto dir = scratch("stale");
  auto a = make_cambrian_memory(0.35, memory_params{4, 300});
  feed(a, 10);
  const auto path = dir / "m.safetensors";
  for (const char* stale : {"m.safetensors.tmp.123.0", "m.safetensors.tmp.456.7"}) std::ofstream(dir / stale) << "torn";
  std::ofstream(dir / "other.safetensors.tmp.1.0") << "another target's";
  save_checkpoint(a, path);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  CHECK(names == std::vector<std::string>{"m.safetensors", "other.safetensors.tmp.1.0"});
  fs::remove_all(dir);
}

TEST_CASE("checked sizes: products and sums that wrap are refused with the field's name") {
  CHECK(checked_mul(1u << 20, 1u << 20, "x") == (std::size_t{1} << 40));
  CHECK_THROWS_WITH_AS((void)checked_mul(std::size_t{1} << 63, 2, "grid rows x cols"),
                       doctest::Contains("grid rows x cols overflows"), invalid_argument_error);
  CHECK_THROWS_AS((void)checked_add(SIZE_MAX, 1, "n"), invalid_argument_error);
  CHECK_THROWS_AS((void)checked_product({1u << 30, 1u << 30, 1u << 30}, "t x h x d"), invalid_argument_error);
  CHECK_THROWS_WITH_AS((void)checked_cast<std::size_t>(std::int64_t{-1}, "n_obs"), doctest::Contains("n_obs"),
                       invalid_argument_error);
  // a grid whose product wraps to the frame's token count is refused before any pooling reads it
  auto m = make_cambrian_memory(0.35, memory_params{4, 300});
  std::vector<float> f(64, 1.0f);
  const grid_shape wrapped{(std::size_t{1} << 62) + 1, 64};  // x 64 == 2^68 + 64 == 64 mod 2^64
  CHECK(wrapped.tokens() == 64);
  CHECK_THROWS_AS(m.push(frame_view(f.data(), 64, 1), 0.1, wrapped), invalid_argument_error);
  CHECK(m.frames_seen() == 0);
}

TEST_CASE("a window of 10^12 frames costs nothing until frames arrive") {
  auto m = make_cambrian_memory(0.35, memory_params{std::size_t{1} << 40, 300});
  std::vector<float> f(16 * 4, 1.0f);
  for (int t = 0; t < 100; ++t) m.push(frame_view(f.data(), 16, 4), 0.5);
  CHECK(m.window().size() == 100);
  CHECK(m.bytes_reserved() < (std::size_t{64} << 20));
}

TEST_CASE("a window's slot ring grows past its first 64 slots without reordering frames") {
  // pops before the ring is full leave the oldest frame mid-ring, so growth must unroll the ring
  sensory_window w(200, false);
  std::vector<float> f(3 * 2);
  std::uint64_t next = 0, oldest = 0;
  auto push = [&] {
    std::fill(f.begin(), f.end(), static_cast<float>(next));
    memory_entry e;
    e.frame = next++;
    e.tokens = 3;
    w.push(std::move(e), frame_view(f.data(), 3, 2));
  };
  for (int i = 0; i < 64; ++i) push();
  for (int i = 0; i < 5; ++i, ++oldest) w.pop_front();
  for (int i = 0; i < 100; ++i) push();  // grows at 64 held frames with the head at slot 5
  for (int i = 0; i < 7; ++i, ++oldest) w.pop_front();
  for (int i = 0; i < 40; ++i) push();
  REQUIRE(w.size() == next - oldest);
  bool ordered = true;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const auto& s = w.at(i);
    ordered = ordered && s.meta.frame == oldest + i && s.data.data[0] == static_cast<float>(oldest + i) &&
              s.data.data[5] == static_cast<float>(oldest + i);
  }
  CHECK(ordered);
  const auto all = w.tokens_view();
  CHECK(all.tokens == 3 * w.size());
  CHECK(all.data[0] == static_cast<float>(oldest));
  CHECK(all.data[all.size() - 1] == static_cast<float>(next - 1));
  while (!w.full()) push();
  CHECK(w.size() == 200);
  CHECK_THROWS_AS(push(), invalid_argument_error);
}

TEST_CASE("a checkpoint loaded while another thread re-saves it is read whole, never refused") {
  // The loader once reopened the file for every tensor, so a save renamed over the path between
  // two tensor reads paired one file's header with the other's bytes ("corrupted"). The reader now
  // reads every tensor from the file it opened.
  const auto dir = scratch("resave");
  const auto path = dir / "m.safetensors";
  const auto make = [] { return make_cambrian_memory(0.35, memory_params{4, 300}); };
  auto small = make(), large = make();
  feed(small, 10);
  feed(large, 60);
  save_checkpoint(small, path);
  std::atomic<bool> stop{false};
  std::atomic<int> saves{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      save_checkpoint(i % 2 ? small : large, path);
      saves.fetch_add(1);
    }
  });
  int refused = 0, other = 0, loads = 0;
  std::string why;
  for (; loads < 300 || saves.load() < 20; ++loads) {
    auto m = make();
    try {
      load_checkpoint(m, path);
      if (m.frames_seen() != 10 && m.frames_seen() != 60) ++other;
    } catch (const error& e) {
      ++refused;
      why = e.what();
    }
  }
  stop = true;
  writer.join();
  INFO("loads ", loads, ", saves ", saves.load(), ", last refusal: ", why);
  CHECK(saves.load() >= 20);  // the two really overlapped
  CHECK(refused == 0);
  CHECK(other == 0);
  fs::remove_all(dir);
}

namespace {
// The checkpoint `bytes` with `edit` applied to its tensors and metadata, checksum recomputed (a
// crafted file: the checksum alone does not catch it).
template <class F>
std::vector<std::byte> recrafted(const std::vector<std::byte>& bytes, F&& edit) {
  const auto r = safetensors_reader::from_bytes(bytes);
  auto tensors = r.read_all();
  auto meta = nlohmann::json::parse(r.metadata().at("predsense.memory"));
  edit(tensors, meta);
  std::uint64_t h = 0xCBF29CE484222325ull;
  for (const auto& [name, t] : tensors) h = detail::checkpoint_hash(h, t.bytes);
  meta["checksum"] = detail::hex64(h);
  return encode_safetensors(tensors, {{"predsense.memory", meta.dump()}});
}
std::string refused(memory_store<>& m, const std::vector<std::byte>& bytes) {
  try {
    load_checkpoint(m, safetensors_reader::from_bytes(bytes, "crafted.ckpt"));
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("the default memory's policy state: carried by version 3, validated, version 2 loads by replay") {
  memory_params p;
  p.window = 3;
  p.budget = 16 * 6;
  memory_store<> m(p);
  feed(m, 40);
  const auto bytes = encode_checkpoint(m);
  const auto r = safetensors_reader::from_bytes(bytes);
  REQUIRE(r.contains("compression.state"));
  REQUIRE(r.contains("consolidation.state"));
  memory_store<> fresh(p);
  const auto empty = encode_checkpoint(fresh);

  SUBCASE("a missing policy state is refused naming the tensor; the memory is unchanged") {
    const auto bad = recrafted(bytes, [](tensor_map& t, nlohmann::json&) { t.erase("consolidation.state"); });
    const auto msg = refused(fresh, bad);
    CHECK(msg.find("crafted.ckpt") != std::string::npos);
    CHECK(msg.find("consolidation.state") != std::string::npos);
    CHECK(encode_checkpoint(fresh) == empty);
  }
  SUBCASE("a policy state of another kind (the compression's as the consolidation's) is refused") {
    const auto bad =
        recrafted(bytes, [](tensor_map& t, nlohmann::json&) { t["consolidation.state"] = t.at("compression.state"); });
    const auto msg = refused(fresh, bad);
    CHECK(msg.find("consolidation.state") != std::string::npos);
    CHECK(msg.find("pool_relative") != std::string::npos);
    CHECK(encode_checkpoint(fresh) == empty);
  }
  SUBCASE("a policy state not describing the entries held is refused") {
    memory_store<> other(p);
    feed(other, 7);
    const auto other_state = safetensors_reader::from_bytes(encode_checkpoint(other)).read("consolidation.state");
    const auto bad = recrafted(bytes, [&](tensor_map& t, nlohmann::json&) { t["consolidation.state"] = other_state; });
    const auto msg = refused(fresh, bad);
    CHECK(msg.find("consolidation.state") != std::string::npos);
    CHECK(encode_checkpoint(fresh) == empty);
  }
  SUBCASE("version 2 (no policy state) loads: statistics rebuilt from the entries held") {
    const auto v2 = recrafted(bytes, [](tensor_map& t, nlohmann::json& meta) {
      t.erase("compression.state");
      t.erase("consolidation.state");
      meta["version"] = 2;
    });
    memory_store<> old(p);
    load_checkpoint(old, safetensors_reader::from_bytes(v2, "v2.ckpt"));
    std::size_t n_old = 0, n_now = 0;
    old.for_each([&](const memory_item&) { ++n_old; });
    m.for_each([&](const memory_item&) { ++n_now; });
    CHECK(n_old == n_now);
    CHECK(old.frames_seen() == m.frames_seen());
  }
  SUBCASE("a stateless policy's memory refuses a policy state tensor") {
    memory_store<pool_when_unsurprising, drop_merge> cm(p, pool_when_unsurprising{0.0}, drop_merge(0.5));
    feed(cm, 10);
    const auto cb = encode_checkpoint(cm);
    CHECK_FALSE(safetensors_reader::from_bytes(cb).contains("consolidation.state"));
    const auto bad = recrafted(
        cb, [&](tensor_map& t, nlohmann::json&) { t["consolidation.state"] = r.read("consolidation.state"); });
    memory_store<pool_when_unsurprising, drop_merge> cm2(p, pool_when_unsurprising{0.0}, drop_merge(0.5));
    std::string msg;
    try {
      load_checkpoint(cm2, safetensors_reader::from_bytes(bad, "crafted.ckpt"));
    } catch (const format_error& e) {
      msg = e.what();
    }
    CHECK(msg.find("has no state") != std::string::npos);
  }
}
