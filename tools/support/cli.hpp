// tools/support/cli.hpp - what every predsense command-line tool shares: the exit-code contract,
// option ranges, input/output path rules, checked writes and JSON input with file + JSON pointer
// in every message.
//
// Contract (README "Command-line tools"):
//   exit 0  success (including --help);
//   exit 2  bad input or usage: every CLI11 parse error, an option out of range, a malformed or
//           inconsistent input file, an output that cannot be written (missing directory, full
//           disk, stdout closed or full), an output path naming an input or another output;
//   exit 1  an internal error (a bug, or memory exhausted).
// The message on stderr names the tool and the file, field (JSON pointer) or option. A tool
// writes its output files only after all the work is done, each one atomically (temp file +
// rename through io/byte_io.hpp), so a failed run leaves no output and never touches an input.
//
// Limits: input text files are read whole, up to max_input_bytes (1 GiB); JSON nesting deeper
// than max_json_depth (64) is refused before it can exhaust the stack.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <iterator>
#include <limits>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "predsense/core/error.hpp"
#include "predsense/io/byte_io.hpp"
#include "predsense/io/temp_files.hpp"

namespace predsense::tools {

using json = nlohmann::json;

inline constexpr int exit_ok = 0;
inline constexpr int exit_internal = 1;
inline constexpr int exit_bad_input = 2;

inline constexpr std::size_t max_input_bytes = std::size_t{1} << 30;
inline constexpr int max_json_depth = 64;

// Bad input or usage: exit 2. The message is complete ("file: /field: what is wrong").
struct bad_input : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- options ---------------------------------------------------------------------------------
// CLI11 validators run on the text before conversion, so "-1" never reaches an unsigned option
// (where it would wrap to 2^64 - 1) and "nan", "inf" or "1e300" never reach a count.

// An integer in [lo, hi], decimal digits only.
inline CLI::Validator count_in(std::uint64_t lo, std::uint64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& s) -> std::string {
        std::uint64_t v = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
          return "'" + s + "' is not a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
        if (v < lo || v > hi)
          return std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
        return {};
      },
      "INT in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

// A finite real number in [lo, hi] (read without the locale).
inline CLI::Validator real_in(double lo, double hi) {
  auto text = [](double x) {
    char b[32];
    return std::string(b, std::to_chars(b, b + sizeof b, x).ptr);
  };
  return CLI::Validator(
      [lo, hi, text](std::string& s) -> std::string {
        double v = 0;
        const char* b = s.data();
        if (!s.empty() && s[0] == '+') ++b;
        const auto r = std::from_chars(b, s.data() + s.size(), v);
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(v))
          return "'" + s + "' is not a finite number";
        if (!(v >= lo && v <= hi)) return s + " is out of range [" + text(lo) + ", " + text(hi) + "]";
        return {};
      },
      "NUMBER in [" + text(lo) + ", " + text(hi) + "]");
}

// ---- running a tool ----------------------------------------------------------------------------

// Standard output is an output too: a full disk or a closed pipe is reported, not ignored.
inline bool stdout_ok() {
  std::cout.flush();
  const bool ok = std::cout.good() && std::fflush(stdout) == 0 && !std::ferror(stdout);
  return ok;
}

// Parses the command line and runs `body` under the exit-code contract. `body` returns nothing;
// it throws to fail.
template <class Body>
int run_tool(std::string_view name, CLI::App& app, int argc, char** argv, Body&& body) {
  const std::string tool(name);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --help-all, --version: printed to stdout
    app.exit(e);
    if (!stdout_ok()) {
      std::cerr << tool << ": error: writing to standard output failed\n";
      return exit_bad_input;
    }
    return exit_ok;
  } catch (const CLI::ParseError& e) {
    std::cerr << tool << ": error: " << e.what() << " (see " << tool << " --help)\n";
    return exit_bad_input;
  }
  int rc = exit_ok;
  try {
    body();
  } catch (const bad_input& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const format_error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const invalid_argument_error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const shape_error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const empty_error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const non_finite_error& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    rc = exit_bad_input;
  } catch (const std::bad_alloc&) {
    std::cerr << tool << ": internal error: out of memory\n";
    rc = exit_internal;
  } catch (const std::exception& e) {
    std::cerr << tool << ": internal error: " << e.what() << "\n";
    rc = exit_internal;
  }
  if (!stdout_ok() && rc == exit_ok) {  // (a failed run has reported its own error)
    std::cerr << tool << ": error: writing to standard output failed\n";
    rc = exit_bad_input;
  }
  return rc;
}

// ---- paths ---------------------------------------------------------------------------------------

// Collects a tool's input and output paths and refuses, before any work, an output that names an
// input or another output (same file by device and inode, or by resolved path if it does not exist
// yet), an output in a directory that does not exist, and an existing output that is not a regular
// file (a directory, a device such as /dev/null, a pipe: the rename would replace it).
class io_paths {
 public:
  void input(const std::string& path, std::string option) {
    if (!path.empty() && path != "-") ins_.push_back({path, std::move(option)});
  }
  void output(const std::string& path, std::string option) {
    if (!path.empty()) outs_.push_back({path, std::move(option)});
  }

  void check() const {
    namespace fs = std::filesystem;
    for (const auto& o : outs_) {
      std::error_code ec;
      if (fs::is_directory(o.path, ec))
        throw bad_input(o.option + " " + o.path + ": is a directory, not an output file");
      // a device, pipe or socket would be replaced by the rename, not written to
      if (fs::exists(fs::symlink_status(o.path, ec)) && !fs::is_regular_file(o.path, ec))
        throw bad_input(o.option + " " + o.path + ": exists and is not a regular file; refusing to replace it");
      const fs::path parent = fs::path(o.path).parent_path();
      if (!parent.empty() && !fs::is_directory(parent, ec))
        throw bad_input(o.option + " " + o.path + ": directory '" + parent.string() + "' does not exist");
    }
    for (std::size_t i = 0; i < outs_.size(); ++i) {
      for (const auto& in : ins_)
        if (same_file(outs_[i].path, in.path))
          throw bad_input(outs_[i].option + " " + outs_[i].path + ": is the same file as the input " +
                          (in.option.empty() ? "" : "(" + in.option + ") ") + in.path +
                          "; refusing to overwrite an input");
      for (std::size_t k = 0; k < i; ++k)
        if (same_file(outs_[i].path, outs_[k].path))
          throw bad_input(outs_[i].option + " " + outs_[i].path + ": is also the output of " + outs_[k].option +
                          "; two outputs cannot share a file");
    }
  }

  static bool same_file(const std::string& a, const std::string& b) {
    struct ::stat sa {
    }, sb{};
    const bool ea = ::stat(a.c_str(), &sa) == 0, eb = ::stat(b.c_str(), &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    if (ea != eb) return false;
    std::error_code e1, e2;
    const auto ca = std::filesystem::weakly_canonical(a, e1), cb = std::filesystem::weakly_canonical(b, e2);
    return !e1 && !e2 ? ca == cb : a == b;
  }

 private:
  struct entry {
    std::string path, option;
  };
  std::vector<entry> ins_, outs_;
};

// ---- reading -----------------------------------------------------------------------------------

// Whole text file ("-": standard input), refusing directories and files over max_input_bytes.
inline std::string read_text(const std::string& path) {
  const std::string src = path == "-" ? std::string("<stdin>") : path;
  std::string text;
  if (path == "-") {
    char buf[65536];
    while (std::cin.read(buf, sizeof buf) || std::cin.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(std::cin.gcount()));
      if (text.size() > max_input_bytes) throw bad_input(src + ": input larger than 1 GiB");
    }
    if (std::cin.bad()) throw bad_input(src + ": read failed");
    return text;
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw bad_input(src + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw bad_input(src + ": cannot open for reading");
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  if (end > 0 && static_cast<std::uint64_t>(end) > max_input_bytes) throw bad_input(src + ": input larger than 1 GiB");
  in.seekg(0, std::ios::beg);
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) throw bad_input(src + ": read failed");
  return text;
}

// JSON text -> value; syntax errors and nesting deeper than max_json_depth name the file.
inline json parse_json(const std::string& text, const std::string& src) {
  try {
    return json::parse(text, [&](int depth, json::parse_event_t, json&) {
      if (depth > max_json_depth)
        throw bad_input(src + ": JSON nested deeper than " + std::to_string(max_json_depth) + " levels");
      return true;
    });
  } catch (const json::exception& e) {
    throw bad_input(src + ": not valid JSON: " + e.what());
  }
}

inline json read_json(const std::string& path) {
  return parse_json(read_text(path), path == "-" ? std::string("<stdin>") : path);
}

// ---- JSON fields ---------------------------------------------------------------------------------
// Typed access that names the file and the JSON pointer of a wrong field.

[[noreturn]] inline void bad_field(const std::string& src, const std::string& pointer, const std::string& what) {
  throw bad_input(src + ": " + (pointer.empty() ? "/" : pointer) + ": " + what);
}

inline std::string field_ptr(const std::string& parent, std::string_view key) {
  return parent + "/" + std::string(key);
}

// Refuses keys outside `known` (a typo would otherwise be silently ignored).
inline void only_fields(const json& obj, std::initializer_list<std::string_view> known, const std::string& src,
                        const std::string& pointer = "") {
  for (const auto& [k, v] : obj.items()) {
    bool ok = false;
    for (auto n : known) ok = ok || k == n;
    if (!ok) {
      std::string list;
      for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      bad_field(src, field_ptr(pointer, k), "unknown field (known: " + list + ")");
    }
  }
}

inline std::uint64_t as_count(const json& v, std::uint64_t lo, std::uint64_t hi, const std::string& src,
                              const std::string& pointer) {
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
    bad_field(src, pointer,
              "must be a whole number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " + v.dump());
  const auto x = v.get<std::uint64_t>();
  if (x < lo || x > hi)
    bad_field(src, pointer,
              std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return x;
}

inline double as_real(const json& v, double lo, double hi, const std::string& src, const std::string& pointer) {
  if (!v.is_number()) bad_field(src, pointer, "must be a number, got " + v.dump());
  const double x = v.get<double>();
  if (!std::isfinite(x)) bad_field(src, pointer, "must be finite, got " + v.dump());
  if (!(x >= lo && x <= hi))
    bad_field(src, pointer, v.dump() + " is out of range [" + json(lo).dump() + ", " + json(hi).dump() + "]");
  return x;
}

inline std::uint64_t get_count(const json& obj, std::string_view key, std::uint64_t def, std::uint64_t lo,
                               std::uint64_t hi, const std::string& src, const std::string& parent = "") {
  const auto it = obj.find(std::string(key));
  return it == obj.end() ? def : as_count(*it, lo, hi, src, field_ptr(parent, key));
}

inline double get_real(const json& obj, std::string_view key, double def, double lo, double hi, const std::string& src,
                       const std::string& parent = "") {
  const auto it = obj.find(std::string(key));
  return it == obj.end() ? def : as_real(*it, lo, hi, src, field_ptr(parent, key));
}

inline bool get_bool(const json& obj, std::string_view key, bool def, const std::string& src,
                     const std::string& parent = "") {
  const auto it = obj.find(std::string(key));
  if (it == obj.end()) return def;
  if (!it->is_boolean()) bad_field(src, field_ptr(parent, key), "must be true or false, got " + it->dump());
  return it->get<bool>();
}

inline std::string get_string(const json& obj, std::string_view key, std::string def, const std::string& src,
                              const std::string& parent = "") {
  const auto it = obj.find(std::string(key));
  if (it == obj.end()) return def;
  if (!it->is_string()) bad_field(src, field_ptr(parent, key), "must be a string, got " + it->dump());
  return it->get<std::string>();
}

// ---- writing -------------------------------------------------------------------------------------

// `text` to `path` atomically (io/byte_io.hpp: temp file, fsync, rename); on failure nothing is left
// and bad_input (exit 2) names the path. Removes temp files a crashed earlier write left behind.
inline void write_output(const std::string& path, std::string_view text, const std::string& option = "") {
  try {
    const auto* p = reinterpret_cast<const std::byte*>(text.data());
    predsense::detail::atomic_write_file(path, std::span<const std::byte>(p, text.size()));
  } catch (const predsense::error& e) {
    throw bad_input((option.empty() ? "" : option + " ") + path + ": cannot write the output (" + e.what() + ")");
  }
  predsense::detail::remove_stale_temps(path);
}

// Runs `write` - a library writer of `path` (write_safetensors, save_checkpoint, ...) - under the
// output rule: the library reports a failed write (full disk, read-only folder) as predsense::error,
// which is the environment, not a bug, so it becomes bad_input (exit 2) naming the option and path.
template <class Write>
void write_with(const std::string& path, const std::string& option, Write&& write) {
  try {
    write();
  } catch (const predsense::error& e) {
    throw bad_input((option.empty() ? "" : option + " ") + path + ": cannot write the output (" + e.what() + ")");
  }
}

// Several outputs that must appear together or not at all, some possibly produced by a child
// process (ffmpeg, a plotting script): each is staged at a temp path beside its target
// ("<target>.tmp.<pid>.<n><ext>", so the format-by-extension of the producer still works and a
// killed run's leftovers match remove_stale_temps), commit() renames them all once every one
// succeeded; whatever was not committed is removed by the destructor.
class staged_outputs {
 public:
  staged_outputs() = default;
  staged_outputs(const staged_outputs&) = delete;
  staged_outputs& operator=(const staged_outputs&) = delete;
  ~staged_outputs() {
    std::error_code ec;
    for (const auto& s : staged_) std::filesystem::remove(s.temp, ec);
  }

  // A temp path for `target`; the caller (or its child process) writes the file there.
  std::filesystem::path stage(const std::string& target, std::string_view ext = "", std::string option = "") {
    std::filesystem::path tmp = target;
    tmp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(staged_.size()) + std::string(ext);
    staged_.push_back({tmp, target, std::move(option)});
    return tmp;
  }

  // Stages `text` for `target`, written and synced now (a full disk is reported here).
  void write(const std::string& target, std::string_view text, std::string option = "") {
    const auto tmp = stage(target, "", option);
    try {  // the library's atomic write: the staged file is whole or absent
      const auto* p = reinterpret_cast<const std::byte*>(text.data());
      predsense::detail::atomic_write_file(tmp, std::span<const std::byte>(p, text.size()));
    } catch (const predsense::error& e) {
      throw bad_input((option.empty() ? "" : option + " ") + target + ": cannot write the output (" + e.what() + ")");
    }
  }

  // Renames every staged file onto its target (each must exist); throws bad_input on failure.
  void commit() {
    for (const auto& s : staged_) {
      std::error_code ec;
      if (!std::filesystem::is_regular_file(s.temp, ec))
        throw bad_input((s.option.empty() ? "" : s.option + " ") + s.target + ": the output was not produced");
    }
    for (auto& s : staged_) {
      std::error_code ec;
      std::filesystem::rename(s.temp, s.target, ec);
      if (ec)
        throw bad_input((s.option.empty() ? "" : s.option + " ") + s.target + ": cannot move the output into place (" +
                        ec.message() + ")");
      s.temp.clear();
      predsense::detail::remove_stale_temps(s.target);
    }
    staged_.clear();
  }

 private:
  struct item {
    std::filesystem::path temp;
    std::string target, option;
  };
  std::vector<item> staged_;
};

// `text` to `path`, or to standard output when `path` is empty.
inline void emit(const std::string& path, std::string_view text, const std::string& option = "") {
  if (path.empty()) {
    std::cout << text;
    if (!stdout_ok()) throw bad_input("writing to standard output failed");
  } else {
    write_output(path, text, option);
  }
}

}  // namespace predsense::tools
