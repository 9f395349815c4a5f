// The standard CRDT benchmarks B1–B3 (crdt-benchmarks' definitions), replayed
// from the exact operation streams in ../shared/bench/workloads-n6000.json.gz
// with the same client ids yjs used, so the resulting bytes can be compared.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conflux/any.h"
#include "conflux/doc.h"
#include "trace.h"

namespace conflux::bench {

struct Workloads {
  int sqrt_n = 0;
  std::map<int, uint64_t> client_ids;  // simulated client number (1-based) -> Yjs client id
  Any benchmarks;                      // name -> definition (see ../shared/bench/README.md)
  bool ok = false;
};

inline const Workloads& workloads() {
  static Workloads w = [] {
    Workloads out;
    std::string raw;
    if (!read_gzip(shared_path("bench/workloads-n6000.json.gz"), &raw)) return out;
    Any doc;
    if (!Any::from_json(raw, &doc) || !doc.get("benchmarks") || !doc.get("clientIds")) return out;
    out.sqrt_n = int(doc.get("sqrtN")->as_number());
    for (const auto& [k, v] : doc.get("clientIds")->as_object()) out.client_ids[std::stoi(k)] = uint64_t(v.as_number());
    out.benchmarks = *doc.get("benchmarks");
    out.ok = true;
    return out;
  }();
  return w;
}

// What one run produced: the final document and the updates it emitted.
struct WorkloadRun {
  std::unique_ptr<Doc> doc;  // the final document (client 1's)
  Bytes state_v1, state_v2;
  uint64_t updates = 0, update_bytes_v1 = 0, update_bytes_v2 = 0;
  std::string error;  // empty when the final content matched the expectation
};

namespace detail {

inline Doc make_doc(uint64_t id) { return Doc(Doc::Options{.client_id = id}); }

// Counts (and, with `v2`, also encodes as v2) every update a document emits.
struct UpdateCounter {
  Subscription v1_sub, v2_sub;
  std::vector<Bytes>* sink = nullptr;
  void attach(Doc& d, WorkloadRun* run, bool v2, std::vector<Bytes>* forward = nullptr) {
    v1_sub = d.on_update([run, forward](const Bytes& u, const Transaction&) {
      ++run->updates;
      run->update_bytes_v1 += u.size();
      if (forward) forward->push_back(u);
    });
    if (v2) v2_sub = d.on_update_v2([run](const Bytes& u, const Transaction&) { run->update_bytes_v2 += u.size(); });
  }
};

inline void apply_text_op(Transaction& t, Text& text, const Any& op) {
  uint64_t index = uint64_t(op.get("index")->as_number());
  if (const Any* ins = op.get("insert")) text.insert(t, index, ins->as_string());
  else text.remove(t, index, uint64_t(op.get("deleteCount")->as_number()));
}
inline void apply_array_op(Transaction& t, Array& array, const Any& op) {
  uint64_t index = uint64_t(op.get("index")->as_number());
  if (const Any* values = op.get("values")) array.insert(t, index, values->as_array());
  else array.remove(t, index, uint64_t(op.get("deleteCount")->as_number()));
}

inline void finish(Doc& doc, WorkloadRun* run, bool v2) {
  run->state_v1 = doc.encode_state_as_update();
  if (v2) run->state_v2 = doc.encode_state_as_update_v2();
  run->doc = std::make_unique<Doc>(std::move(doc));
}

}  // namespace detail

// Runs benchmark `name`. With `v2`, update and state sizes are measured in v2
// as well (the timing runs leave it off, as crdt-benchmarks does).
inline WorkloadRun run_workload(const std::string& name, bool v2 = false) {
  using namespace detail;
  const Workloads& w = workloads();
  WorkloadRun run;
  const Any* def = w.ok ? w.benchmarks.get(name) : nullptr;
  if (!def) {
    run.error = "no workload " + name;
    return run;
  }
  const std::string& type = def->get("type")->as_string();
  if (type == "B1") {
    bool text = def->get("data")->as_string() == "text";
    Doc doc1 = make_doc(w.client_ids.at(1)), doc2 = make_doc(w.client_ids.at(2));
    std::vector<Bytes> updates;
    UpdateCounter counter;
    counter.attach(doc1, &run, v2, &updates);
    Text t1 = doc1.get_text("text");
    Array a1 = doc1.get_array("array");
    // Every op is its own transaction, as in crdt-benchmarks (a step with two
    // ops, B1.6, emits two updates).
    for (const Any& step : def->get("steps")->as_array()) {
      for (const Any& op : step.as_array()) {
        doc1.transact([&](Transaction& t) { text ? apply_text_op(t, t1, op) : apply_array_op(t, a1, op); });
        for (const Bytes& u : updates) doc2.apply_update(u);
        updates.clear();
      }
    }
    Any expected = *def->get("expected");
    Any got1 = text ? Any(t1.to_string()) : a1.to_json();
    Any got2 = text ? Any(doc2.get_text("text").to_string()) : doc2.get_array("array").to_json();
    if (got1 != expected || got2 != expected) run.error = name + ": final content differs";
    finish(doc1, &run, v2);
  } else if (type == "B2") {
    // Two documents wired to each other: each forwards the updates it makes
    // itself, and a guard keeps an applied update from echoing back.
    Doc doc1 = make_doc(w.client_ids.at(1)), doc2 = make_doc(w.client_ids.at(2));
    bool forwarding = false;
    WorkloadRun sent;
    auto wire = [&](Doc& from, Doc& to, Subscription* v1, Subscription* v2_sub) {
      *v1 = from.on_update([&](const Bytes& u, const Transaction&) {
        if (forwarding) return;
        forwarding = true;
        ++sent.updates;
        sent.update_bytes_v1 += u.size();
        to.apply_update(u);
        forwarding = false;
      });
      if (v2)
        *v2_sub = from.on_update_v2([&](const Bytes& u, const Transaction&) {
          if (!forwarding) sent.update_bytes_v2 += u.size();
        });
    };
    Subscription s1, s2, s1v2, s2v2;
    wire(doc1, doc2, &s1, &s1v2);
    wire(doc2, doc1, &s2, &s2v2);
    Text t1 = doc1.get_text("text"), t2 = doc2.get_text("text");
    t1.insert(0, def->get("initText")->as_string());
    doc1.transact([&](Transaction& t) {
      for (const Any& op : def->get("ops1")->as_array()) apply_text_op(t, t1, op);
    });
    doc2.transact([&](Transaction& t) {
      for (const Any& op : def->get("ops2")->as_array()) apply_text_op(t, t2, op);
    });
    s1 = {};
    s2 = {};
    s1v2 = {};
    s2v2 = {};
    // yjs's table for B2 holds half of the bytes sent, rounded up (its figure
    // is per document of the pair); report the same measure.
    run.updates = sent.updates;
    run.update_bytes_v1 = (sent.update_bytes_v1 + 1) / 2;
    run.update_bytes_v2 = (sent.update_bytes_v2 + 1) / 2;
    if (t1.to_string() != t2.to_string()) run.error = name + ": documents differ";
    const Any* len = def->get("expectedLength");
    if (len && len->is_number() && t1.length() != uint64_t(len->as_number())) run.error = name + ": length differs";
    finish(doc1, &run, v2);
  } else if (type == "B3") {
    int clients = int(def->get("clients")->as_number());
    const std::string& op = def->get("op")->as_string();
    std::vector<Bytes> updates;
    Doc first = make_doc(w.client_ids.at(1));
    for (int i = 0; i < clients; ++i) {
      Doc own = i == 0 ? Doc() : make_doc(w.client_ids.at(i + 1));
      Doc& doc = i == 0 ? first : own;
      UpdateCounter counter;
      counter.attach(doc, &run, v2, &updates);
      if (op == "insertArrayString") {
        doc.get_array("array").insert(0, {Any(std::to_string(i))});
      } else {
        Any value;
        if (op == "setMapNumber") value = Any(i);
        else if (op == "setMapObject") value = Any::object({{"name", std::to_string(i)}, {"address", "here"}});
        else {
          std::string s;
          for (int k = 0; k < w.sqrt_n; ++k) s += std::to_string(i);
          value = Any(std::move(s));
        }
        doc.get_map("map").set("v", std::move(value));
      }
    }
    for (size_t k = 1; k < updates.size(); ++k) first.apply_update(updates[k]);
    finish(first, &run, v2);
  } else {
    run.error = "unknown workload type " + type;
  }
  return run;
}

// B1.1 … B1.11, B2.1 …, in the suite's order (numbers, not text order).
inline std::vector<std::string> workload_names() {
  std::vector<std::string> names;
  if (!workloads().ok) return names;
  for (const auto& [k, v] : workloads().benchmarks.as_object()) names.push_back(k);
  auto key = [](const std::string& n) {
    size_t dot = n.find('.');
    return std::make_pair(n.substr(0, dot), dot == std::string::npos ? 0 : std::stoi(n.substr(dot + 1)));
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) { return key(a) < key(b); });
  return names;
}

}  // namespace conflux::bench
