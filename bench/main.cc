// conflux-bench: the standard CRDT benchmarks (Google Benchmark). The B1–B3
// workloads are registered at start-up from ../shared/bench; the trace
// benchmarks are static registrations in b4_bench.cc.
#include <benchmark/benchmark.h>

namespace conflux::bench {
void register_workload_benchmarks();
}

int main(int argc, char** argv) {
  conflux::bench::register_workload_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
