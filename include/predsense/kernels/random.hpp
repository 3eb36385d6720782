// predsense/kernels/random.hpp - the one seeded random-number toolkit: splitmix64 and its uses.
//
// splitmix64(x) (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"):
// a full-avalanche 64-bit finaliser of x + 0x9E3779B97F4A7C15, used as a hash from (seed, index)
// to independent draws, and as a generator by advancing a state by the golden increment
// (splitmix64_stream). unit_interval gives 53-bit doubles in [0, 1) (or (0, 1] with
// open_at_zero); gaussian_box_muller turns two of them into one N(0, 1) draw (Box & Muller 1958).
// Everything here is integer arithmetic plus std::log/cos/sqrt, so a seed gives the same numbers
// with every standard library (std::normal_distribution would not).
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace predsense::kernels {

inline constexpr std::uint64_t splitmix64_increment = 0x9E3779B97F4A7C15ull;

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += splitmix64_increment;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The generator form: each call returns splitmix64(state) and advances state by the increment.
struct splitmix64_stream {
  std::uint64_t state = 0;
  constexpr std::uint64_t operator()() noexcept {
    const std::uint64_t r = splitmix64(state);
    state += splitmix64_increment;
    return r;
  }
};

// 53 random bits as a double in [0, 1) (or (0, 1] when open_at_zero, for logarithms).
[[nodiscard]] constexpr double unit_interval(std::uint64_t bits, bool open_at_zero = false) noexcept {
  return (static_cast<double>(bits >> 11) + (open_at_zero ? 1.0 : 0.0)) * 0x1.0p-53;
}

// One standard normal draw from u1 in (0, 1] and u2 in [0, 1).
[[nodiscard]] inline double gaussian_box_muller(double u1, double u2) noexcept {
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace predsense::kernels
