// Small measuring helpers shared by the benchmarks.
#pragma once

#include <malloc.h>

#include <chrono>
#include <cstddef>

namespace conflux::bench {

// Heap bytes in use (glibc's allocator), to tell what a finished document holds.
inline size_t heap_in_use() { return mallinfo2().uordblks; }

// Milliseconds taken by f().
template <class F>
double time_ms(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace conflux::bench
