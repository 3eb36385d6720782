// .npy / .npz: numpy-written fixtures (tests/data/io, made by tests/python/make_io_fixtures.py),
// round trips, and hand-made malformed files.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "predsense/io/npy.hpp"
#include "predsense/io/npz.hpp"

using namespace predsense;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = fs::path(PREDSENSE_SOURCE_DIR) / "tests" / "data" / "io";

std::vector<float> ramp(std::size_t n) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0.5f * static_cast<float>(i) - 3.0f;
  return v;
}

std::vector<std::byte> bytes_of(const std::string& s) {
  std::vector<std::byte> b;
  for (char c : s) b.push_back(static_cast<std::byte>(c));
  return b;
}

// A v1.0 .npy with a literal header dict and `data` bytes.
std::vector<std::byte> npy_with(const std::string& dict, std::size_t data_bytes) {
  std::string h = dict + "\n";
  std::string f = std::string("\x93NUMPY\x01\x00", 8);
  f += static_cast<char>(h.size() & 0xFF);
  f += static_cast<char>(h.size() >> 8);
  f += h;
  f.append(data_bytes, '\0');
  return bytes_of(f);
}

std::string npy_error(const std::vector<std::byte>& b) {
  try {
    (void)parse_npy(b, "bad.npy");
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}

std::string npz_error(const std::vector<std::byte>& b) {
  try {
    (void)parse_npz(b, "bad.npz");
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("npy: reads numpy-written float32/float16/float64, Fortran order, big-endian") {
  auto a = read_npy(fixtures / "f32_c_2x3x4.npy");
  CHECK(a.shape == std::vector<std::size_t>{2, 3, 4});
  CHECK(a.stored == npy_dtype::f32);
  CHECK(a.data == ramp(24));

  auto f = read_npy(fixtures / "f32_fortran_3x5.npy");  // logical values are the C-order ramp
  CHECK(f.shape == std::vector<std::size_t>{3, 5});
  CHECK(f.data == ramp(15));

  auto h = read_npy(fixtures / "f16_4x2.npy");
  CHECK(h.stored == npy_dtype::f16);
  CHECK(h.data == ramp(8));

  CHECK(read_npy(fixtures / "f32_be_6.npy").data == ramp(6));
  auto s = read_npy(fixtures / "f64_scalar.npy");
  CHECK(s.shape.empty());
  CHECK(s.data == std::vector<float>{2.5f});

  CHECK_THROWS_WITH_AS((void)read_npy(fixtures / "i32_3.npy"), doctest::Contains("'<i4' is not supported"),
                       format_error);
}

TEST_CASE("npy: write/read round trip matches numpy's own header layout") {
  const fs::path dir = fs::path(PREDSENSE_BINARY_DIR) / "test_tmp" / "npy";
  fs::create_directories(dir);
  const auto v = ramp(24);
  write_npy(dir / "a.npy", v, {2, 3, 4});
  // byte-identical to numpy's np.save of the same array
  CHECK(detail::read_file_bytes(dir / "a.npy") == detail::read_file_bytes(fixtures / "f32_c_2x3x4.npy"));
  write_npy(dir / "h.npy", ramp(8), {4, 2}, npy_dtype::f16);
  CHECK(detail::read_file_bytes(dir / "h.npy") == detail::read_file_bytes(fixtures / "f16_4x2.npy"));
  write_npy(dir / "one.npy", ramp(6), {6});
  CHECK(read_npy(dir / "one.npy").shape == std::vector<std::size_t>{6});
  CHECK_THROWS_AS((void)write_npy(dir / "x.npy", ramp(5), {2, 3}), shape_error);
}

TEST_CASE("npy: malformed files raise format_error naming file and field") {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  CHECK(npy_error(npy_with(ok, 8)).empty());
  auto has = [](const std::string& msg, const char* what) {
    INFO(msg);
    CHECK(msg.find("bad.npy") != std::string::npos);
    CHECK(msg.find(what) != std::string::npos);
  };
  has(npy_error(bytes_of("\x93NUMP")), "truncated");
  has(npy_error(bytes_of("PK\x03\x04xxxxxxxxxx")), "bad magic");
  has(npy_error(npy_with(ok, 7)), "needs 8");  // truncated data
  has(npy_error(npy_with(ok, 9)), "needs 8");  // trailing data
  has(npy_error(npy_with("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16)), "'<i8'");
  has(npy_error(npy_with("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8)), "structured");
  has(npy_error(npy_with("{'descr': '<f4', 'shape': (2,), }", 8)), "'fortran_order'");
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8)), "True or False");
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8)), "'shape'");
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", 8)),
      "too large");
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", 8)),
      "overflows");
  // no element, but no array library can represent it (NumPy: "array is too big"): a bad file
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4611686018427387904, "
                         "4611686018427387904), }",
                         0)),
      "'shape' overflows");
  CHECK(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1048576, 1048576), }", 0)).empty());
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8)),
      "unexpected header key");
  has(npy_error(npy_with("{'descr': '<f4', 'fortran_order': False, 'shape': (2,", 8)), "'shape'");
  // header length pointing past the end
  auto b = npy_with(ok, 8);
  b[8] = std::byte{0xFF};
  b[9] = std::byte{0xFF};
  has(npy_error(b), "truncated");
  b[6] = std::byte{7};  // unknown major version
  has(npy_error(b), "version 7");
  // a valid file cut at every length fails cleanly
  const auto full = encode_npy(ramp(6), {2, 3});
  for (std::size_t n = 0; n < full.size(); ++n)
    CHECK_THROWS_AS((void)parse_npy(std::span(full.data(), n), "cut"), format_error);
}

TEST_CASE("npz: reads np.savez and np.savez_compressed archives") {
  auto m = read_npz(fixtures / "weights.npz");
  REQUIRE(m.size() == 2);
  CHECK(m.at("w").shape == std::vector<std::size_t>{3, 4});
  CHECK(m.at("w").data == ramp(12));
  CHECK(m.at("b").stored == npy_dtype::f16);
  CHECK(m.at("b").data == ramp(4));

  auto c = read_npz(fixtures / "compressed.npz");
  REQUIRE(c.size() == 3);
  CHECK(c.at("big").data == ramp(64 * 33));
  CHECK(c.at("noise").data == read_npy(fixtures / "noise_50x7.npy").data);
  CHECK(c.at("zeros").data == std::vector<float>(1000, 0.0f));
}

TEST_CASE("npz: write/read round trip") {
  const fs::path dir = fs::path(PREDSENSE_BINARY_DIR) / "test_tmp" / "npz";
  fs::create_directories(dir);
  npz_map m;
  m["model.nfp_head.0.weight"] = npy_array{{2, 3}, ramp(6), npy_dtype::f32};
  m["half"] = npy_array{{4}, ramp(4), npy_dtype::f16};
  write_npz(dir / "x.npz", m);
  auto r = read_npz(dir / "x.npz");
  CHECK(r.size() == 2);
  CHECK(r.at("model.nfp_head.0.weight").data == ramp(6));
  CHECK(r.at("half").stored == npy_dtype::f16);
  CHECK(r.at("half").shape == std::vector<std::size_t>{4});
}

TEST_CASE("npz: malformed archives raise format_error naming file and member") {
  const auto good = detail::read_file_bytes(fixtures / "weights.npz");
  CHECK(npz_error(good).empty());
  auto has = [](const std::string& msg, const char* what) {
    INFO(msg);
    CHECK(msg.find("bad.npz") != std::string::npos);
    CHECK(msg.find(what) != std::string::npos);
  };
  has(npz_error(bytes_of("hello")), "too short");
  has(npz_error(bytes_of(std::string(100, 'x'))), "no end-of-central-directory");
  // flip a data byte: CRC mismatch names the member
  {
    auto b = good;
    b[200] ^= std::byte{0x01};
    const auto e = npz_error(b);
    CHECK(!e.empty());
    CHECK(e.find("bad.npz") != std::string::npos);
  }
  // every truncation and every single-byte corruption is either rejected or parsed, never UB
  // (run under ASan/libFuzzer for the memory-safety side; here it must not crash or hang)
  for (std::size_t n = 0; n < good.size(); ++n) {
    CHECK_THROWS_AS((void)parse_npz(std::span(good.data(), n), "cut"), format_error);
  }
  const auto comp = detail::read_file_bytes(fixtures / "compressed.npz");
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < comp.size(); i += 7) {
    auto b = comp;
    b[i] ^= std::byte{0x5A};
    try {
      (void)parse_npz(b, "flip");
    } catch (const format_error&) {
      ++rejected;
    }
  }
  CHECK(rejected > 0);
}

TEST_CASE("crc32 is the zip CRC-32 (check value of \"123456789\")") {
  const std::string s = "123456789";
  CHECK(detail::crc32(std::as_bytes(std::span(s.data(), s.size()))) == 0xCBF43926u);
}

TEST_CASE("inflate: rejects corrupt deflate streams and zip bombs") {
  // stored block: header bits 001 (final, type 0), LEN=3, NLEN=~3, "abc"
  const std::vector<std::byte> ok = {std::byte{0x01}, std::byte{0x03}, std::byte{0x00}, std::byte{0xFC},
                                     std::byte{0xFF}, std::byte{'a'},  std::byte{'b'},  std::byte{'c'}};
  CHECK(detail::inflate(ok, 3, "s").size() == 3);
  CHECK_THROWS_WITH_AS((void)detail::inflate(ok, 2, "s"), doctest::Contains("exceeds the declared size"), format_error);
  CHECK_THROWS_WITH_AS((void)detail::inflate(ok, 4, "s"), doctest::Contains("declared 4"), format_error);
  auto bad = ok;
  bad[3] = std::byte{0};
  CHECK_THROWS_WITH_AS((void)detail::inflate(bad, 3, "s"), doctest::Contains("invalid stored block lengths"),
                       format_error);
  CHECK_THROWS_WITH_AS((void)detail::inflate(std::span(ok.data(), 6), 3, "s"), doctest::Contains("truncated"),
                       format_error);
  const std::vector<std::byte> type3 = {std::byte{0x07}};
  CHECK_THROWS_WITH_AS((void)detail::inflate(type3, 1, "s"), doctest::Contains("invalid block type"), format_error);
  CHECK_THROWS_WITH_AS((void)detail::inflate(ok, std::size_t{1} << 40, "s"), doctest::Contains("impossible"),
                       format_error);
}
