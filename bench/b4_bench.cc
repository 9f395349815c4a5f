// B4: replay the automerge-paper trace, one transaction per edit.
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>

#include "conflux/doc.h"
#include "trace.h"

namespace {

using conflux::bench::Trace;

const Trace& automerge_paper() {
  static Trace t = [] {
    Trace tr;
    std::string path = conflux::bench::shared_path("traces/automerge-paper.json.gz");
    if (!conflux::bench::load_trace(path, &tr)) std::fprintf(stderr, "cannot load %s\n", path.c_str());
    return tr;
  }();
  return t;
}

constexpr uint64_t kB4Client = 2654435761u;

// Replays the trace; with `listen`, every transaction's v1 update is encoded.
// Heap bytes in use (glibc), to report what the finished document holds.
size_t heap_in_use() { return mallinfo2().uordblks; }

void replay(const Trace& tr, bool listen, uint64_t* update_bytes, uint64_t* updates, std::string* final_text,
            size_t* state_size, size_t* doc_memory = nullptr) {
  size_t heap_before = heap_in_use();
  conflux::Doc doc(conflux::Doc::Options{.client_id = kB4Client});
  conflux::Subscription sub;
  if (listen) {
    sub = doc.on_update([&](const conflux::Bytes& u, const conflux::Transaction&) {
      *update_bytes += u.size();
      ++*updates;
    });
  }
  conflux::Text text = doc.get_text("text");
  for (const auto& p : tr.patches) {
    if (p.del) text.remove(p.pos, p.del);
    if (!p.ins.empty()) text.insert(p.pos, p.ins);
  }
  if (doc_memory) *doc_memory = heap_in_use() - heap_before;
  if (final_text) *final_text = text.to_string();
  if (state_size) *state_size = doc.encode_state_as_update().size();
}

void BM_B4(benchmark::State& state) {
  const Trace& tr = automerge_paper();
  uint64_t bytes = 0, updates = 0;
  size_t state_size = 0, doc_memory = 0;
  std::string final_text;
  for (auto _ : state) {
    bytes = updates = 0;
    replay(tr, true, &bytes, &updates, &final_text, &state_size, &doc_memory);
  }
  if (final_text != tr.end_content) state.SkipWithError("final text differs from endContent");
  state.counters["updates"] = double(updates);
  state.counters["avgUpdateSize"] = updates ? double(bytes) / double(updates) : 0;
  state.counters["docSize"] = double(state_size);
  state.counters["docMemory"] = double(doc_memory);  // heap held by the finished document
}
BENCHMARK(BM_B4)->Name("B4")->Unit(benchmark::kMillisecond);

void BM_B4_local(benchmark::State& state) {
  const Trace& tr = automerge_paper();
  for (auto _ : state) replay(tr, false, nullptr, nullptr, nullptr, nullptr);
}
BENCHMARK(BM_B4_local)->Name("B4-local")->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
