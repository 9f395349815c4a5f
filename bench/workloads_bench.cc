// B1–B3: the standard CRDT benchmarks, replayed from ../shared/bench with
// yjs's own operation streams and client ids (see workloads.h).
#include <benchmark/benchmark.h>

#include "measure.h"
#include "workloads.h"

namespace conflux::bench {
namespace {

void run_one(benchmark::State& state, const std::string& name) {
  WorkloadRun last;
  for (auto _ : state) {
    WorkloadRun run = run_workload(name);
    if (!run.error.empty()) {
      state.SkipWithError(run.error.c_str());
      return;
    }
    benchmark::DoNotOptimize(run.state_v1.data());
    state.PauseTiming();
    last = std::move(run);  // the previous run's documents are freed untimed
    state.ResumeTiming();
  }
  last = {};
  // Sizes and the costs of the final document, measured once, untimed.
  size_t heap_before = heap_in_use();
  WorkloadRun sized = run_workload(name, /*v2=*/true);
  size_t held = heap_in_use() - heap_before - sized.state_v1.capacity() - sized.state_v2.capacity();
  Bytes encoded;
  double encode_ms = time_ms([&] { encoded = sized.doc->encode_state_as_update(); });
  double parse_ms = time_ms([&] {
    Doc fresh;
    fresh.apply_update(encoded);
  });
  state.counters["updates"] = double(sized.updates);
  state.counters["avgUpdateSize"] = sized.updates ? double(sized.update_bytes_v1) / double(sized.updates) : 0;
  state.counters["updateBytes"] = double(sized.update_bytes_v1);
  state.counters["docSize"] = double(sized.state_v1.size());
  state.counters["docSizeV2"] = double(sized.state_v2.size());
  state.counters["encodeTime"] = encode_ms;
  state.counters["parseTime"] = parse_ms;
  state.counters["docMemory"] = double(held);
}

}  // namespace

void register_workload_benchmarks() {
  for (const std::string& name : workload_names()) {
    benchmark::RegisterBenchmark(name.c_str(), [name](benchmark::State& s) { run_one(s, name); })
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace conflux::bench
