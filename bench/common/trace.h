// Loading editing traces (gzipped JSON) for the benchmarks.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "conflux/any.h"

namespace conflux::bench {

struct Patch {
  uint64_t pos;  // UTF-16 units (the traces used here stay in the BMP)
  uint64_t del;
  std::string ins;
};

struct Trace {
  std::vector<Patch> patches;     // all patches, in order
  std::vector<size_t> txn_ends;   // patches[txn_ends[i-1] .. txn_ends[i]) form transaction i
  std::string end_content;
};

// Finds ../shared/<rel> from the project root or the build directory.
inline std::string shared_path(const std::string& rel) {
  for (std::string base : {std::string(CONFLUX_SHARED_DIR) + "/", std::string("../shared/"),
                           std::string("../../shared/"), std::string("../../../shared/")}) {
    std::string p = base + rel;
    if (FILE* f = std::fopen(p.c_str(), "rb")) {
      std::fclose(f);
      return p;
    }
  }
  return std::string(CONFLUX_SHARED_DIR) + "/" + rel;
}

// Loads ../shared/traces/<file> once per process (an empty trace when missing).
inline const Trace& trace(const std::string& file);

// Reads a whole gzip file into *out; false when it cannot be opened or read.
inline bool read_gzip(const std::string& path, std::string* out) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return false;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out->append(buf, size_t(n));
  bool ok = n == 0;
  gzclose(f);
  return ok;
}

inline bool load_trace(const std::string& path, Trace* out) {
  std::string raw;
  if (!read_gzip(path, &raw)) return false;
  Any doc;
  if (!Any::from_json(raw, &doc)) return false;
  const Any* txns = doc.get("txns");
  const Any* end = doc.get("endContent");
  if (!txns || !end) return false;
  out->end_content = end->as_string();
  for (const Any& t : txns->as_array()) {
    for (const Any& p : t.get("patches")->as_array()) {
      const auto& a = p.as_array();
      out->patches.push_back(Patch{uint64_t(a[0].as_number()), uint64_t(a[1].as_number()), a[2].as_string()});
    }
    out->txn_ends.push_back(out->patches.size());
  }
  return true;
}

inline const Trace& trace(const std::string& file) {
  static std::map<std::string, Trace> loaded;
  auto it = loaded.find(file);
  if (it == loaded.end()) {
    Trace t;
    std::string path = shared_path("traces/" + file);
    if (!load_trace(path, &t)) std::fprintf(stderr, "cannot load %s\n", path.c_str());
    it = loaded.emplace(file, std::move(t)).first;
  }
  return it->second;
}

}  // namespace conflux::bench
