// predsense/memory/policies/policy_params.hpp - how a memory policy declares its parameters.
//
// A compression or consolidation policy lists the parameters that change its behaviour as
// name/value pairs from `params()`; memory checkpoints store them and refuse to load into a
// memory whose policy reports different ones, so a user policy is checked exactly like a built-in
// one, whatever its fields are called. Values are unsigned integers (counts, seeds, enum values)
// or doubles (thresholds); both are compared exactly and written without the process locale
// (std::to_chars), so a checkpoint saved under a decimal-comma locale loads under "C".
//
//   struct my_policy {
//     static constexpr std::string_view name = "my_policy";
//     double keep = 0.5;
//     [[nodiscard]] policy_params params() const { return {{"keep", keep}}; }
//     ...
//   };
// Checkpointing a policy without params() does not compile (memory_checkpoint.hpp).
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>
#include <vector>

namespace predsense {

using policy_param_value = std::variant<std::uint64_t, double>;

struct policy_param {
  std::string name;
  policy_param_value value;
  friend bool operator==(const policy_param&, const policy_param&) = default;
};

using policy_params = std::vector<policy_param>;

template <class P>
concept declares_params = requires(const P& p) {
  { p.params() } -> std::convertible_to<policy_params>;
};

namespace detail {

// Shortest text that reads back to the same value, independent of the C/C++ locale.
inline std::string locale_free(double x) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}
inline std::string locale_free(std::uint64_t x) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, r.ptr);
}

// "name;key=value;..." for messages: what a mismatched checkpoint reports.
inline std::string policy_signature(std::string_view name, const policy_params& ps) {
  std::string s(name);
  for (const auto& p : ps) s += ";" + p.name + "=" + std::visit([](auto v) { return locale_free(v); }, p.value);
  return s;
}

}  // namespace detail
}  // namespace predsense
