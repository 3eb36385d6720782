// predsense/io/mini_json.hpp - a small, strict JSON reader/writer for the safetensors header.
//
// Why hand-written: the core headers may depend only on the standard library (DESIGN.md), and a
// safetensors header is a flat object of {dtype, shape, data_offsets} records. This parser takes
// any RFC 8259 JSON text but is built for hostile input: it never reads past the text it is given,
// caps nesting depth (no stack exhaustion), rejects trailing garbage and duplicate keys, and every
// error names the source and the byte offset. Tools and tests use nlohmann-json instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"

namespace predsense::detail {

struct json_member;

struct json_value {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool b = false;
  std::string text;  // string contents, or a number's literal text
  bool is_uint = false;  // number is a non-negative integer that fits uint64
  std::uint64_t u = 0;
  std::vector<json_value> items;                            // array
  std::vector<json_member> members;  // object, in file order (a named struct, not std::pair:
                                     // pair<string, json_value> would need json_value complete)

  [[nodiscard]] const json_value* find(std::string_view key) const;
};

struct json_member {
  std::string key;
  json_value value;
};

inline const json_value* json_value::find(std::string_view key) const {
  for (const auto& [k, v] : members)
    if (k == key) return &v;
  return nullptr;
}

class json_parser {
 public:
  static constexpr int max_depth = 64;

  json_parser(std::string_view text, std::string source) : s_(text), source_(std::move(source)) {}

  json_value parse() {
    skip_ws();
    json_value v = value(0);
    skip_ws();
    if (i_ != s_.size()) fail("unexpected trailing characters after the JSON value");
    return v;
  }

 private:
  std::string_view s_;
  std::string source_;
  std::size_t i_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    throw format_error("predsense: " + source_ + ": JSON header: " + what + " (at header byte " +
                       std::to_string(i_) + ")");
  }
  void skip_ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void expect(char c) {
    if (i_ >= s_.size() || s_[i_] != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  void literal(std::string_view lit) {
    if (s_.substr(i_, lit.size()) != lit) fail("invalid literal");
    i_ += lit.size();
  }

  json_value value(int depth) {
    if (depth > max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    if (i_ >= s_.size()) fail("unexpected end of text");
    json_value v;
    switch (s_[i_]) {
      case '{': object(v, depth); break;
      case '[': array(v, depth); break;
      case '"': v.type = json_value::kind::string; v.text = string(); break;
      case 't': literal("true"); v.type = json_value::kind::boolean; v.b = true; break;
      case 'f': literal("false"); v.type = json_value::kind::boolean; break;
      case 'n': literal("null"); break;
      default: number(v); break;
    }
    return v;
  }

  void object(json_value& v, int depth) {
    v.type = json_value::kind::object;
    expect('{');
    skip_ws();
    if (peek() == '}') { ++i_; return; }
    for (;;) {
      skip_ws();
      if (peek() != '"') fail("expected a string key");
      std::string key = string();
      if (v.find(key)) fail("duplicate key \"" + key + "\"");
      skip_ws();
      expect(':');
      skip_ws();
      v.members.push_back(json_member{std::move(key), value(depth + 1)});
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      expect('}');
      return;
    }
  }

  void array(json_value& v, int depth) {
    v.type = json_value::kind::array;
    expect('[');
    skip_ws();
    if (peek() == ']') { ++i_; return; }
    for (;;) {
      skip_ws();
      v.items.push_back(value(depth + 1));
      skip_ws();
      if (peek() == ',') { ++i_; continue; }
      expect(']');
      return;
    }
  }

  void number(json_value& v) {
    v.type = json_value::kind::number;
    const std::size_t start = i_;
    if (peek() == '-') ++i_;
    auto digits = [&] {
      const std::size_t d0 = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == d0) fail("malformed number");
    };
    const std::size_t int_start = i_;
    digits();
    if (s_[int_start] == '0' && i_ - int_start > 1) fail("number with a leading zero");
    bool integral = true;
    if (peek() == '.') { ++i_; digits(); integral = false; }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      digits();
      integral = false;
    }
    v.text = std::string(s_.substr(start, i_ - start));
    if (integral && s_[start] != '-') {
      std::uint64_t u = 0;
      bool fits = true;
      for (std::size_t k = start; k < i_; ++k) {
        const std::uint64_t d = static_cast<std::uint64_t>(s_[k] - '0');
        if (u > (UINT64_MAX - d) / 10) { fits = false; break; }
        u = u * 10 + d;
      }
      v.is_uint = fits;
      v.u = fits ? u : 0;
    }
  }

  unsigned hex4() {
    if (s_.size() - i_ < 4) fail("truncated \\u escape");
    unsigned cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      cp <<= 4;
      if (c >= '0' && c <= '9') cp |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') cp |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') cp |= static_cast<unsigned>(c - 'A' + 10);
      else fail("bad hex digit in \\u escape");
    }
    return cp;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') { out += c; continue; }
      if (i_ >= s_.size()) fail("unterminated escape");
      const char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00) {  // surrogate pair
            if (s_.size() - i_ < 2 || s_[i_] != '\\' || s_[i_ + 1] != 'u') fail("lone high surrogate");
            i_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo >= 0xE000) fail("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            fail("lone low surrogate");
          }
          utf8(out, cp);
          break;
        }
        default: fail(std::string("invalid escape \\") + e);
      }
    }
  }
};

// JSON string literal (quotes included) for the writer.
inline std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xF];
          out += hex[c & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace predsense::detail
