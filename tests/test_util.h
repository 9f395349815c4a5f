// Helpers shared by the tests: files, golden data, JSON comparison.
#pragma once

#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "conflux/any.h"
#include "conflux/doc.h"

namespace conflux::test {

inline std::string shared_dir() { return CONFLUX_SHARED_DIR; }

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

// Runs a shell command; its exit code and its stdout and stderr together.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// Runs one scenario of a node end-to-end script in tests/interop against the
// built `conflux`; it passes when the script prints "PASS <name>" and exits 0.
inline void run_e2e_scenario(const std::string& script, const std::string& name) {
  auto r = run_command("node " CONFLUX_INTEROP_DIR "/" + script + " --conflux " CONFLUX_BIN_DIR "/conflux --scenario " + name);
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("PASS " + name) != std::string::npos);
}


inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Sorts object keys recursively, so JSON can be compared ignoring key order.
inline Any canonical(const Any& v) {
  if (v.is_array()) {
    Any::Array out;
    for (const Any& e : v.as_array()) out.push_back(canonical(e));
    return Any(std::move(out));
  }
  if (v.is_object()) {
    Any::Object entries;
    for (const auto& [k, e] : v.as_object()) entries.emplace_back(k, canonical(e));
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return Any::object(std::move(entries));
  }
  return v;
}

inline std::string canonical_json(const Any& v) { return canonical(v).to_json(); }

inline std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t c : b) {
    s.push_back(d[c >> 4]);
    s.push_back(d[c & 15]);
  }
  return s;
}

// A delta as Yjs's toDelta() prints it in JSON.
inline Any delta_json(const std::vector<Delta>& delta) {
  Any::Array ops;
  for (const Delta& d : delta) {
    Any::Object op;
    if (d.embed) op.emplace_back("insert", *d.embed);
    else if (d.type_json) op.emplace_back("insert", *d.type_json);
    else op.emplace_back("insert", d.text);
    if (!d.attributes.empty()) op.emplace_back("attributes", Any::object(d.attributes));
    ops.push_back(Any::object(std::move(op)));
  }
  return Any(std::move(ops));
}

}  // namespace conflux::test
