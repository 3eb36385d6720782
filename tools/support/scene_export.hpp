// tools/support/scene_export.hpp - predsense-video's scene lists for other tools: timecodes, the
// PySceneDetect scene-list CSV, a CMX 3600 EDL, and the ffmpeg commands that split a video into
// one file per scene.
//
// A scene is [start, end) in the frames the pipeline saw (0-based; end exclusive), with its start
// and end in seconds from the first frame and the kind of the transition that opens it ("" for the
// first scene). Formats:
//   timecode_ms(s)   "HH:MM:SS.mmm" (PySceneDetect's FrameTimecode.get_timecode(), milliseconds
//                    rounded to nearest; hours grow past 99 rather than wrap).
//   scenes_csv       PySceneDetect's write_scene_list columns and numbering (Scene Number from 1;
//                    Start Frame 1-based = start + 1; End Frame = end, i.e. the 1-based index of the
//                    scene's last frame; lengths = end - start), times "%.3f". Without PySceneDetect's
//                    optional first "Timecode List:" row (its include_cut_list=False /
//                    `list-scenes --skip-cuts`), so the file is plain RFC 4180 CSV.
//   scenes_edl       CMX 3600: "TITLE:", "FCM: NON-DROP FRAME", one event per scene, reel AX, video
//                    track, cut ("C"); source in/out = record in/out = the scene's times as
//                    HH:MM:SS:FF at the nominal (rounded) frame rate; out points exclusive, as the
//                    format has them; "* FROM CLIP NAME:" names the source file.
//   split plan       PySceneDetect's split-video names ($VIDEO_NAME-Scene-$SCENE_NUMBER.mp4, 3
//                    digits). A scene that starts and ends on keyframes (within half a frame; the
//                    file's start and end count) is stream-copied (nothing re-encoded: ffmpeg's
//                    segment muxer, one pass); any other, or all of them when the copy fails (a codec
//                    mp4 cannot hold), is re-encoded (libx264 -preset veryfast -crf 22, audio aac:
//                    PySceneDetect's default), since a copy can only begin and end at keyframes.
#pragma once

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "cli.hpp"

namespace predsense::tools {

struct scene {
  std::size_t start = 0, end = 0;  // frames [start, end)
  double start_s = 0.0, end_s = 0.0;
  std::string kind;  // the transition that opens it: cut, dissolve, fade, dip; "" for the first scene
};

// "HH:MM:SS.mmm" of a non-negative time in seconds.
inline std::string timecode_ms(double seconds) {
  const long long ms = std::llround(std::max(0.0, seconds) * 1000.0);
  char b[48];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld.%03lld", ms / 3600000, (ms / 60000) % 60, (ms / 1000) % 60,
                ms % 1000);
  return b;
}

// "HH:MM:SS:FF" (SMPTE non-drop) of a time at a nominal integer rate.
inline std::string timecode_frames(double seconds, double fps) {
  const long long rate = std::max(1LL, std::llround(fps));
  const long long n = std::llround(std::max(0.0, seconds) * static_cast<double>(rate));
  char b[48];
  std::snprintf(b, sizeof b, "%02lld:%02lld:%02lld:%02lld", n / (3600 * rate), (n / (60 * rate)) % 60, (n / rate) % 60,
                n % rate);
  return b;
}

inline std::string scenes_csv(const std::vector<scene>& scenes) {
  std::string out =
      "Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,End Time (seconds),"
      "Length (frames),Length (timecode),Length (seconds)\n";
  char b[320];
  for (std::size_t k = 0; k < scenes.size(); ++k) {
    const scene& s = scenes[k];
    const double len = s.end_s - s.start_s;
    std::snprintf(b, sizeof b, "%zu,%zu,%s,%.3f,%zu,%s,%.3f,%zu,%s,%.3f\n", k + 1, s.start + 1,
                  timecode_ms(s.start_s).c_str(), s.start_s, s.end, timecode_ms(s.end_s).c_str(), s.end_s,
                  s.end - s.start, timecode_ms(len).c_str(), len);
    out += b;
  }
  return out;
}

// A title or clip name on one line (a newline would end the EDL's field).
inline std::string edl_field(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

inline std::string scenes_edl(const std::vector<scene>& scenes, double fps, const std::string& title,
                              const std::string& clip_name) {
  std::string out = "TITLE: " + edl_field(title) + "\nFCM: NON-DROP FRAME\n";
  char b[256];
  for (std::size_t k = 0; k < scenes.size(); ++k) {
    const scene& s = scenes[k];
    const std::string in = timecode_frames(s.start_s, fps), o = timecode_frames(s.end_s, fps);
    std::snprintf(b, sizeof b, "\n%03zu  AX       V     C        %s %s %s %s\n", k + 1, in.c_str(), o.c_str(),
                  in.c_str(), o.c_str());
    out += b;
    out += "* FROM CLIP NAME: " + edl_field(clip_name) + "\n";
    if (!s.kind.empty()) out += "* COMMENT: opened by a " + s.kind + "\n";
  }
  return out;
}

// --split-video: one ffmpeg pass that stream-copies the video into pieces at the scene starts that
// fall on keyframes (the segment muxer, which splits in decode order at those keyframes, so no
// packet of the next scene comes along), and one re-encoding run per remaining scene.
struct split_plan_t {
  std::vector<std::string> segment_args;  // empty: nothing to copy
  std::string segment_pattern;            // file names of the pieces (printf %04d), in out_dir
  std::size_t pieces = 0;                 // how many pieces that pass must produce
  struct step {
    std::string file;           // file name inside the output directory
    std::ptrdiff_t piece = -1;  // the copied piece that is this scene, or -1: re-encode
    std::vector<std::string> encode_args;
  };
  std::vector<step> steps;
};

// {program, args...}
inline std::vector<std::string> with_program(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> v{program};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

// The file of scene k (0-based): "<stem>-Scene-NNN.mp4" (PySceneDetect's default name and container).
inline std::string split_name(const std::string& stem, std::size_t k) {
  char b[32];
  std::snprintf(b, sizeof b, "%03zu", k + 1);
  return stem + "-Scene-" + b + ".mp4";
}

// keyframes: times (s) of the source's keyframes from the start of the file, ascending (ffprobe's
// packet times minus the format's start_time); first_pts: the first analysed frame's time on the
// same clock (ffmpeg's showinfo), so scene k begins at first_pts + start_s there. `map` selects the
// video stream ("0:K"); fps is the analysis rate (half a frame of tolerance); out_dir the staging
// directory. A scene is copied when it starts at the first frame or on a keyframe and the next
// scene does too (or it is the last); re-encoded scenes are cut by time (-ss before -i: exact).
inline split_plan_t split_plan(const std::vector<scene>& scenes, const std::vector<double>& keyframes, double fps,
                               double first_pts, const std::string& input, const std::string& map,
                               const std::string& stem, const std::string& out_dir) {
  split_plan_t plan;
  const double half = 0.5 / std::max(fps, 1e-9);
  const auto num = [](double v) {
    char b[48];
    std::snprintf(b, sizeof b, "%.6f", v);
    return std::string(b);
  };
  const std::size_t n = scenes.size();
  std::vector<char> aligned(n + 1, 1);  // aligned[k]: scene k starts on a keyframe (k = n: the end)
  std::vector<double> key_at(n, 0.0);
  for (std::size_t k = 1; k < n; ++k) {
    const double at = first_pts + scenes[k].start_s;
    const auto it = std::lower_bound(keyframes.begin(), keyframes.end(), at - half);
    aligned[k] = it != keyframes.end() && *it <= at + half;
    if (aligned[k]) key_at[k] = *it;
  }
  std::string times;
  std::size_t piece = 0;
  std::vector<std::ptrdiff_t> piece_of(n, -1);
  for (std::size_t k = 0; k < n; ++k) {
    if (k > 0 && aligned[k]) {
      times += (times.empty() ? "" : ",") + num(key_at[k] - 0.25 * half);  // at or just before the keyframe
      ++piece;
    }
    if (aligned[k] && aligned[k + 1]) piece_of[k] = static_cast<std::ptrdiff_t>(piece);
  }
  const bool any_copy = std::any_of(piece_of.begin(), piece_of.end(), [](std::ptrdiff_t p) { return p >= 0; });
  if (any_copy) {
    plan.pieces = piece + 1;
    plan.segment_pattern = ".piece-%04d.mp4";
    plan.segment_args = {"-nostdin",
                         "-v",
                         "error",
                         "-y",
                         "-i",
                         input,
                         "-map",
                         map,
                         "-map",
                         "0:a:0?",
                         "-c",
                         "copy",
                         "-f",
                         "segment",
                         "-segment_format",
                         "mp4",
                         "-reset_timestamps",
                         "1"};
    if (!times.empty()) plan.segment_args.insert(plan.segment_args.end(), {"-segment_times", times});
    plan.segment_args.push_back(out_dir + "/" + plan.segment_pattern);
  }
  for (std::size_t k = 0; k < n; ++k) {
    const scene& s = scenes[k];
    split_plan_t::step st;
    st.file = split_name(stem, k);
    st.piece = piece_of[k];
    st.encode_args = {"-nostdin", "-v", "error", "-y", "-ss", num(first_pts + s.start_s), "-i", input};
    if (k + 1 < n) st.encode_args.insert(st.encode_args.end(), {"-t", num(s.end_s - s.start_s)});
    st.encode_args.insert(st.encode_args.end(),
                          {"-map", map, "-map", "0:a:0?", "-c:v", "libx264", "-preset", "veryfast", "-crf", "22",
                           "-pix_fmt", "yuv420p", "-c:a", "aac", "-f", "mp4", out_dir + "/" + st.file});
    plan.steps.push_back(std::move(st));
  }
  return plan;
}

// The name of copied piece i (the segment muxer's pattern).
inline std::string piece_name(std::size_t i) {
  char b[32];
  std::snprintf(b, sizeof b, ".piece-%04zu.mp4", i);
  return b;
}

// ffprobe -show_entries packet=pts_time,flags:format=start_time -of json -> the keyframes' times
// from the start of the file, ascending. Unreadable output: bad_input naming the input.
inline std::vector<double> keyframe_times(const std::string& ffprobe_json, const std::string& input) {
  std::vector<double> keys;
  try {
    const auto j = nlohmann::json::parse(ffprobe_json);
    double start = 0.0;
    if (j.contains("format") && j["format"].contains("start_time") && j["format"]["start_time"].is_string())
      start = std::stod(j["format"]["start_time"].get<std::string>());
    if (j.contains("packets") && j["packets"].is_array())
      for (const auto& p : j["packets"]) {
        if (!p.contains("flags") || !p.contains("pts_time") || !p["pts_time"].is_string()) continue;
        if (p["flags"].get<std::string>().find('K') == std::string::npos) continue;
        keys.push_back(std::stod(p["pts_time"].get<std::string>()) - start);
      }
  } catch (const std::exception&) {
    throw bad_input(input + ": ffprobe's packet list is unreadable");
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

// --split-video DIR: an existing directory, or a new one whose parent exists; never a file.
inline void check_split_dir(const std::string& dir, const std::string& input) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir, ec)) && !fs::is_directory(dir, ec))
    throw bad_input("--split-video " + dir + ": exists and is not a directory" +
                    (io_paths::same_file(dir, input) ? " (it is the input)" : ""));
  const fs::path parent = fs::path(dir).lexically_normal().parent_path();
  if (!fs::is_directory(dir, ec) && !parent.empty() && !fs::is_directory(parent, ec))
    throw bad_input("--split-video " + dir + ": directory '" + parent.string() + "' does not exist");
}

// Where the scene files are written before they are moved into DIR: inside DIR when it exists (one
// rename per file, same file system), else beside it (the whole directory renamed into place).
inline std::filesystem::path split_staging(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path d = fs::path(dir).lexically_normal();
  const std::string pid = std::to_string(::getpid());
  if (fs::is_directory(d, ec)) return d / (".predsense-split.tmp." + pid);
  const fs::path name = d.filename().empty() ? d.parent_path().filename() : d.filename();
  return d.parent_path() / (name.string() + ".tmp." + pid);
}

// Moves the staged scene files into DIR; a target that is the input (or --features) is refused
// before anything moves.
inline std::vector<std::string> commit_split(const std::filesystem::path& stage, const std::string& dir,
                                             const std::vector<std::string>& files,
                                             const std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> written;
  for (const auto& f : files) {
    const std::string target = (fs::path(dir) / f).string();
    for (const auto& in : inputs)
      if (!in.empty() && io_paths::same_file(target, in))
        throw bad_input("--split-video " + target + ": is the input " + in + "; refusing to overwrite an input");
    if (fs::exists(fs::symlink_status(target, ec)) && !fs::is_regular_file(target, ec))
      throw bad_input("--split-video " + target + ": exists and is not a regular file; refusing to replace it");
    written.push_back(target);
  }
  if (!fs::is_directory(dir, ec)) {
    fs::rename(stage, dir, ec);
    if (ec) throw bad_input("--split-video " + dir + ": cannot move the staged directory into place: " + ec.message());
    return written;
  }
  for (std::size_t i = 0; i < files.size(); ++i) {
    fs::rename(stage / files[i], written[i], ec);
    if (ec) throw bad_input(written[i] + ": cannot move the staged file into place: " + ec.message());
  }
  fs::remove(stage, ec);
  return written;
}

}  // namespace predsense::tools
