// libFuzzer target: predsense-tcpd's readers (tools/support/tcpd_input.hpp) - a TCPD series and
// an annotations file - on arbitrary text must succeed or throw predsense::error / bad_input.
// The first byte picks the reader, the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/tcpd_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace t = predsense::tools;
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    const auto j = t::parse_json(text, "fuzz.json");
    if (data[0] & 1) {
      const auto s = t::series_from_json(j, "fuzz.json");
      if (s.x.size() != s.n * s.dims) __builtin_trap();
    } else {
      (void)t::annotations_from_json(j, "fuzz.json");
    }
  } catch (const t::bad_input&) {
  } catch (const predsense::error&) {
  }
  return 0;
}
