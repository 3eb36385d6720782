// safetensors reader/writer: round trips, dtype conversions, and hand-made malformed files.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "predsense/io/half_float.hpp"
#include "predsense/io/safetensors.hpp"

using namespace predsense;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const char* name) {
  fs::path d = fs::path(PREDSENSE_BINARY_DIR) / "test_tmp" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A file from a literal JSON header and a data buffer of `data_bytes` bytes.
std::vector<std::byte> make_file(const std::string& header, std::size_t data_bytes,
                                 std::uint64_t claimed_len = UINT64_MAX) {
  std::vector<std::byte> out;
  const std::uint64_t n = claimed_len == UINT64_MAX ? header.size() : claimed_len;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::byte>((n >> (8 * i)) & 0xFF));
  for (char c : header) out.push_back(static_cast<std::byte>(c));
  out.resize(out.size() + data_bytes, std::byte{0x11});
  return out;
}

std::string error_of(const std::vector<std::byte>& bytes) {
  try {
    auto r = safetensors_reader::from_bytes(bytes, "bad.safetensors");
    for (const auto& n : r.names()) (void)r.read(n);
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("half/bfloat16 conversions round to nearest even and keep specials") {
  CHECK(f16_to_float(0x3C00) == 1.0f);
  CHECK(f16_to_float(0xC000) == -2.0f);
  CHECK(f16_to_float(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(f16_to_float(0x7BFF) == 65504.0f);
  CHECK(std::isinf(f16_to_float(0x7C00)));
  CHECK(std::isnan(f16_to_float(0x7E00)));
  CHECK(float_to_f16(1.0f) == 0x3C00);
  CHECK(float_to_f16(65504.0f) == 0x7BFF);
  CHECK(float_to_f16(65520.0f) == 0x7C00);  // rounds up to inf
  CHECK(float_to_f16(std::ldexp(1.0f, -24)) == 0x0001);
  CHECK(float_to_f16(std::ldexp(1.0f, -25)) == 0x0000);         // tie -> even (zero)
  CHECK(float_to_f16(std::ldexp(3.0f, -25)) == 0x0002);         // 1.5 ulp -> 2
  CHECK(float_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);  // tie -> even
  CHECK(float_to_f16(1.0f + std::ldexp(3.0f, -11)) == 0x3C02);
  // every half round-trips exactly
  for (unsigned h = 0; h < 0x10000; ++h) {
    const float f = f16_to_float(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    REQUIRE(float_to_f16(f) == h);
  }
  CHECK(bf16_to_float(0x3F80) == 1.0f);
  CHECK(float_to_bf16(1.0f) == 0x3F80);
  CHECK(float_to_bf16(1.0f + std::ldexp(1.0f, -8)) == 0x3F80);  // tie -> even
  CHECK(float_to_bf16(1.0f + std::ldexp(3.0f, -8)) == 0x3F82);
  CHECK(std::isnan(bf16_to_float(float_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

TEST_CASE("safetensors round trip: F32/F16/BF16, metadata, atomic overwrite") {
  const auto dir = temp_dir("st_roundtrip");
  const auto path = dir / "w.safetensors";
  std::vector<float> a(2 * 3), b(5), c(4);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * static_cast<float>(i) - 0.5f;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::ldexp(1.0f, static_cast<int>(i)) + 0.5f;
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = -1.0f / static_cast<float>(i + 1);
  tensor_map m;
  m["model.nfp_head.0.weight"] = tensor_data::from_floats(a, {2, 3});
  m["half"] = tensor_data::from_floats(b, {5}, tensor_dtype::f16);
  m["brain"] = tensor_data::from_floats(c, {2, 2}, tensor_dtype::bf16);
  m["empty"] = tensor_data::from_floats({}, {0, 7});
  write_safetensors(path, m, {{"format", "pt"}, {"note", "quote\" and \\ backslash"}});

  auto r = safetensors_reader::open(path);
  CHECK(r.names().size() == 4);
  CHECK(r.metadata().at("format") == "pt");
  CHECK(r.metadata().at("note") == "quote\" and \\ backslash");
  CHECK(r.info("model.nfp_head.0.weight").shape == std::vector<std::size_t>{2, 3});
  CHECK(r.info("half").dtype == tensor_dtype::f16);
  CHECK(r.read_floats("model.nfp_head.0.weight") == a);
  CHECK(r.read_floats("half") == b);  // exactly representable in f16
  const auto cb = r.read_floats("brain");
  for (std::size_t i = 0; i < c.size(); ++i) CHECK(cb[i] == doctest::Approx(c[i]).epsilon(1.0 / 128));
  CHECK(r.read_floats("empty").empty());
  CHECK(r.read("half").bytes == m["half"].bytes);

  // the data buffer starts 8-byte aligned and the reader from memory agrees with the file reader
  const auto bytes = detail::read_file_bytes(path);
  CHECK((detail::load_le<std::uint64_t>(bytes.data()) % 8) == 0);
  auto rm = safetensors_reader::from_bytes(bytes, "mem");
  CHECK(rm.read_all().size() == 4);
  CHECK(rm.read_floats("model.nfp_head.0.weight") == a);

  // overwrite atomically: the new content replaces the old and no temp file is left behind
  tensor_map m2;
  m2["x"] = tensor_data::from_floats(std::vector<float>{1, 2, 3}, {3});
  write_safetensors(path, m2);
  CHECK(read_safetensors(path).at("x").to_floats() == std::vector<float>{1, 2, 3});
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++files;
  CHECK(files == 1);
}

TEST_CASE("safetensors writer rejects inconsistent tensors") {
  tensor_map m;
  tensor_data t;
  t.dtype = tensor_dtype::f32;
  t.shape = {3};
  t.bytes.resize(8);
  m["bad"] = t;
  CHECK_THROWS_AS((void)encode_safetensors(m), shape_error);
  CHECK_THROWS_AS((void)tensor_data::from_floats(std::vector<float>{1, 2}, {3}), shape_error);
  CHECK_THROWS_AS((void)tensor_data::from_floats(std::vector<float>{1}, {1}, tensor_dtype::i32),
                  invalid_argument_error);
}

TEST_CASE("safetensors: malformed files raise format_error naming file and field") {
  const std::string ok_entry = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(error_of(make_file(ok_entry, 8)).empty());

  auto has = [](const std::string& msg, const char* a, const char* b) {
    INFO(msg);
    CHECK(msg.find("bad.safetensors") != std::string::npos);
    CHECK(msg.find(a) != std::string::npos);
    if (b) CHECK(msg.find(b) != std::string::npos);
  };
  // shorter than the length field
  has(error_of({std::byte{1}, std::byte{2}, std::byte{3}}), "truncated", "8 bytes");
  // header length points past the end of the file
  has(error_of(make_file(ok_entry, 8, 5000)), "truncated", "header length 5000");
  // absurd header length (> 100 MB cap) even though u64
  has(error_of(make_file(ok_entry, 8, 1ull << 40)), "exceeds", nullptr);
  has(error_of(make_file(ok_entry, 8, UINT64_MAX - 1)), "exceeds", nullptr);
  // data truncated: offsets beyond the buffer
  has(error_of(make_file(ok_entry, 4)), "data_offsets end 8", "\"w\"");
  // unknown dtype
  has(error_of(make_file(R"({"w":{"dtype":"F8_E9","shape":[2],"data_offsets":[0,8]}})", 8)), "unknown dtype", "F8_E9");
  // shape x dtype != byte count
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8)), "needs 12 bytes", "\"w\"");
  // shape whose product overflows size_t
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8)),
      "overflows", "shape");
  // begin > end
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)), "begin 8 > end 0", nullptr);
  // overlapping tensors
  has(error_of(make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         8)),
      "overlaps", nullptr);
  // trailing bytes not covered by any tensor
  has(error_of(make_file(ok_entry, 12)), "cover 8", nullptr);
  // broken JSON, wrong types, nesting bomb, duplicate key, trailing garbage
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 8)), "JSON header", nullptr);
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)), "shape[0]",
      "non-negative integer");
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8)), "shape[0]", nullptr);
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8)), "data_offsets", nullptr);
  has(error_of(make_file(R"({"w":{"shape":[2],"data_offsets":[0,8]}})", 8)), "dtype", nullptr);
  has(error_of(make_file(std::string(10000, '[') + std::string(10000, ']'), 0)), "nesting", nullptr);
  has(error_of(make_file(R"({"w":1,"w":2})", 0)), "duplicate key", nullptr);
  has(error_of(make_file(ok_entry + "x", 8)), "end of input", nullptr);  // trailing bytes
  has(error_of(make_file("[1,2]", 0)), "not a JSON object", nullptr);
  has(error_of(make_file(R"({"__metadata__":{"a":1}})", 0)), "__metadata__", nullptr);
  has(error_of(make_file(R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}})", 8)),
      "data_offsets[1]", nullptr);

  // integer tensors are readable raw but not as floats; a missing tensor is named
  auto r = safetensors_reader::from_bytes(make_file(R"({"i":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}})", 8),
                                          "ints.safetensors");
  CHECK(r.read("i").bytes.size() == 8);
  CHECK_THROWS_WITH_AS((void)r.read_floats("i"), doctest::Contains("not a floating-point type"), format_error);
  CHECK_THROWS_WITH_AS((void)(void)r.info("nope"), doctest::Contains("no tensor named \"nope\""), format_error);
  CHECK_THROWS_WITH_AS((void)safetensors_reader::open("/nonexistent/x.safetensors"),
                       doctest::Contains("/nonexistent/x.safetensors"), format_error);
}

TEST_CASE("safetensors: a file truncated at every length is rejected, never read out of bounds") {
  tensor_map m;
  m["a"] = tensor_data::from_floats(std::vector<float>{1, 2, 3, 4}, {2, 2});
  m["b"] = tensor_data::from_floats(std::vector<float>{5, 6}, {2}, tensor_dtype::bf16);
  const auto full = encode_safetensors(m, {{"k", "v"}});
  for (std::size_t n = 0; n < full.size(); ++n) {
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    CHECK_THROWS_AS((void)safetensors_reader::from_bytes(cut, "cut"), format_error);
  }
  CHECK(safetensors_reader::from_bytes(full).read_floats("b") == std::vector<float>{5, 6});
}

TEST_CASE("safetensors: a reader reads the file it opened, even after the path is re-saved by rename") {
  // A checkpoint loaded while another process re-saved it (write_safetensors: temp file +
  // rename) was refused as corrupted, because each tensor read reopened the path and got the new file
  const auto dir = temp_dir("st_resave");
  const auto path = dir / "ckpt.safetensors";
  const std::vector<float> a{1, 2, 3, 4, 5, 6}, b{-1, -2};
  tensor_map old_m, new_m;
  old_m["first"] = tensor_data::from_floats(a, {2, 3});
  old_m["second"] = tensor_data::from_floats(b, {2});
  new_m["first"] = tensor_data::from_floats(std::vector<float>{9}, {1});  // smaller: the old offsets overrun it
  write_safetensors(path, old_m);
  const auto r = safetensors_reader::open(path);
  const auto copy = r;  // copies share the open file
  write_safetensors(path, new_m);
  CHECK(r.read_floats("first") == a);
  CHECK(copy.read_floats("second") == b);
  CHECK(r.read_all().size() == 2);
  CHECK(safetensors_reader::open(path).read_floats("first") == std::vector<float>{9});  // a new open: the new file
}

TEST_CASE("safetensors: a shape no array library can represent is refused, even with a zero dimension") {
  const std::string big = std::to_string(std::uint64_t{1} << 62);
  // holds 0 elements, but (0, 2^62, 2^62) x 4 bytes over its non-zero dimensions is beyond PTRDIFF_MAX
  const auto e =
      error_of(make_file(R"({"t":{"dtype":"F32","shape":[0,)" + big + "," + big + R"(],"data_offsets":[0,0]}})", 0));
  CHECK(e.find("bad.safetensors") != std::string::npos);
  CHECK(e.find("\"t\": shape overflows") != std::string::npos);
  // the same zero dimension with representable others is a valid empty tensor
  const auto ok = make_file(R"({"t":{"dtype":"F32","shape":[0,1024,1024],"data_offsets":[0,0]}})", 0);
  CHECK(safetensors_reader::from_bytes(ok).read_floats("t").empty());
}
