// predsense/io/inflate.hpp - a bounds-checked DEFLATE (RFC 1951) decoder for np.savez_compressed.
//
// Why hand-written: core headers depend only on the standard library (zlib would be a link
// dependency for every user). This is the canonical bit-at-a-time Huffman decoder (the approach of
// zlib's reference "puff"): small and easy to check rather than fast, which is fine for loading
// weights once. Every input read and every back-reference is checked; the output may not exceed
// the size the archive declares, so a zip bomb stops at that size. Fuzzed (fuzz/fuzz_npz.cpp).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense::detail {

class inflater {
 public:
  inflater(std::span<const std::byte> in, std::size_t expected, std::string source)
      : in_(in), expected_(expected), source_(std::move(source)) {}

  std::vector<std::byte> run() {
    // Deflate expands at most ~1032:1; a larger declared size is a lie, refuse before allocating.
    if (expected_ / 1032 > in_.size() + 1) fail("declared size is impossible for the compressed size");
    out_.reserve(expected_);
    int last = 0;
    do {
      last = bits(1);
      const int type = bits(2);
      if (type == 0) stored();
      else if (type == 1) fixed();
      else if (type == 2) dynamic();
      else fail("invalid block type 3");
    } while (!last);
    if (out_.size() != expected_)
      fail("inflated to " + std::to_string(out_.size()) + " bytes, declared " + std::to_string(expected_));
    return std::move(out_);
  }

 private:
  struct huffman {
    std::array<std::uint16_t, 16> count{};
    std::array<std::uint16_t, 288> symbol{};
  };

  std::span<const std::byte> in_;
  std::size_t expected_;
  std::string source_;
  std::size_t pos_ = 0;
  std::uint32_t bitbuf_ = 0;
  int bitcnt_ = 0;
  std::vector<std::byte> out_;

  [[noreturn]] void fail(const std::string& what) const {
    throw format_error("predsense: " + source_ + ": deflate stream: " + what + " (at compressed byte " +
                       std::to_string(pos_) + ")");
  }

  int bits(int need) {
    std::uint32_t val = bitbuf_;
    while (bitcnt_ < need) {
      if (pos_ >= in_.size()) fail("truncated");
      val |= static_cast<std::uint32_t>(std::to_integer<unsigned>(in_[pos_++])) << bitcnt_;
      bitcnt_ += 8;
    }
    bitbuf_ = val >> need;
    bitcnt_ -= need;
    return static_cast<int>(val & ((1u << need) - 1u));
  }

  void put(std::byte b) {
    if (out_.size() >= expected_) fail("output exceeds the declared size " + std::to_string(expected_));
    out_.push_back(b);
  }

  void stored() {
    bitbuf_ = 0;
    bitcnt_ = 0;
    if (in_.size() - pos_ < 4) fail("truncated stored block header");
    const unsigned len = std::to_integer<unsigned>(in_[pos_]) | (std::to_integer<unsigned>(in_[pos_ + 1]) << 8);
    const unsigned nlen = std::to_integer<unsigned>(in_[pos_ + 2]) | (std::to_integer<unsigned>(in_[pos_ + 3]) << 8);
    pos_ += 4;
    if (len != (~nlen & 0xFFFFu)) fail("stored block length check failed");
    if (in_.size() - pos_ < len) fail("truncated stored block");
    for (unsigned i = 0; i < len; ++i) put(in_[pos_ + i]);
    pos_ += len;
  }

  // Builds canonical code tables; returns false for an over-subscribed set of lengths.
  static bool build(huffman& h, const std::uint16_t* length, int n) {
    h.count.fill(0);
    for (int s = 0; s < n; ++s) h.count[length[s]]++;
    if (h.count[0] == n) return true;  // no codes: decode() will fail if it is used
    int left = 1;
    for (int len = 1; len < 16; ++len) {
      left <<= 1;
      left -= h.count[static_cast<std::size_t>(len)];
      if (left < 0) return false;
    }
    std::array<std::uint16_t, 16> offs{};
    for (int len = 1; len < 15; ++len) offs[static_cast<std::size_t>(len + 1)] = static_cast<std::uint16_t>(offs[static_cast<std::size_t>(len)] + h.count[static_cast<std::size_t>(len)]);
    for (int s = 0; s < n; ++s)
      if (length[s] != 0) h.symbol[offs[length[s]]++] = static_cast<std::uint16_t>(s);
    return true;
  }

  int decode(const huffman& h) {
    int code = 0, first = 0, index = 0;
    for (int len = 1; len < 16; ++len) {
      code |= bits(1);
      const int count = h.count[static_cast<std::size_t>(len)];
      if (code - count < first) return h.symbol[static_cast<std::size_t>(index + (code - first))];
      index += count;
      first += count;
      first <<= 1;
      code <<= 1;
    }
    fail("invalid Huffman code");
  }

  void codes(const huffman& lencode, const huffman& distcode) {
    static constexpr std::uint16_t lbase[29] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27,
                                                31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static constexpr std::uint8_t lext[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    static constexpr std::uint16_t dbase[30] = {1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129,
                                                193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                                                4097, 6145, 8193, 12289, 16385, 24577};
    static constexpr std::uint8_t dext[30] = {0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
                                              6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
    for (;;) {
      int sym = decode(lencode);
      if (sym < 256) {
        put(static_cast<std::byte>(sym));
      } else if (sym == 256) {
        return;
      } else {
        sym -= 257;
        if (sym >= 29) fail("invalid length symbol");
        const std::size_t len = lbase[sym] + static_cast<std::size_t>(bits(lext[sym]));
        const int dsym = decode(distcode);
        if (dsym >= 30) fail("invalid distance symbol");
        const std::size_t dist = dbase[dsym] + static_cast<std::size_t>(bits(dext[dsym]));
        if (dist > out_.size()) fail("distance " + std::to_string(dist) + " reaches before the start of the output");
        for (std::size_t i = 0; i < len; ++i) put(out_[out_.size() - dist]);
      }
    }
  }

  void fixed() {
    static const auto tables = [] {
      std::pair<huffman, huffman> t;
      std::uint16_t lengths[288];
      int s = 0;
      for (; s < 144; ++s) lengths[s] = 8;
      for (; s < 256; ++s) lengths[s] = 9;
      for (; s < 280; ++s) lengths[s] = 7;
      for (; s < 288; ++s) lengths[s] = 8;
      build(t.first, lengths, 288);
      for (s = 0; s < 30; ++s) lengths[s] = 5;
      build(t.second, lengths, 30);
      return t;
    }();
    codes(tables.first, tables.second);
  }

  void dynamic() {
    static constexpr std::uint8_t order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};
    const int nlen = bits(5) + 257;
    const int ndist = bits(5) + 1;
    const int ncode = bits(4) + 4;
    if (nlen > 286 || ndist > 30) fail("too many length or distance codes");
    std::uint16_t lengths[320] = {};
    for (int i = 0; i < ncode; ++i) lengths[order[i]] = static_cast<std::uint16_t>(bits(3));
    huffman lencode, distcode;
    if (!build(lencode, lengths, 19)) fail("over-subscribed code-length code");
    int index = 0;
    while (index < nlen + ndist) {
      int sym = decode(lencode);
      if (sym < 16) {
        lengths[index++] = static_cast<std::uint16_t>(sym);
      } else {
        std::uint16_t len = 0;
        int rep = 0;
        if (sym == 16) {
          if (index == 0) fail("repeat with no previous length");
          len = lengths[index - 1];
          rep = 3 + bits(2);
        } else if (sym == 17) {
          rep = 3 + bits(3);
        } else {
          rep = 11 + bits(7);
        }
        if (index + rep > nlen + ndist) fail("too many lengths");
        while (rep--) lengths[index++] = len;
      }
    }
    if (lengths[256] == 0) fail("no end-of-block code");
    if (!build(lencode, lengths, nlen)) fail("over-subscribed literal/length code");
    if (!build(distcode, lengths + nlen, ndist)) fail("over-subscribed distance code");
    codes(lencode, distcode);
  }
};

// Inflates a raw DEFLATE stream that must produce exactly `expected` bytes.
inline std::vector<std::byte> inflate(std::span<const std::byte> in, std::size_t expected,
                                      const std::string& source) {
  return inflater(in, expected, source).run();
}

}  // namespace predsense::detail
