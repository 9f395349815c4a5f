// Loading a stored room: a log of 100,000 small updates against the same room
// compacted into a snapshot (what the room layer keeps past its threshold).
// Each iteration reads the room from SQLite and applies it to a fresh Doc.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <random>

#include "conflux/doc.h"
#include "conflux/store.h"

namespace {

constexpr int kUpdates = 100000;
constexpr uint64_t kCompactEntries = 1000;  // the room layer's default threshold

struct StoredRoom {
  std::filesystem::path dir;
  std::shared_ptr<conflux::DocumentStore> store;
  ~StoredRoom() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

// 100,000 one-character edits, as a room's log; compacted as the room layer
// would (a snapshot every kCompactEntries updates) when asked.
std::unique_ptr<StoredRoom> make_room(bool compacted) {
  auto room = std::make_unique<StoredRoom>();
  room->dir = std::filesystem::temp_directory_path() / ("conflux-store-bench-" + std::to_string(std::random_device{}()));
  if (!conflux::open_sqlite_store(room->dir.string(), &room->store)) return nullptr;
  conflux::Doc doc(conflux::Doc::Options{.client_id = 7});
  std::vector<conflux::StoredUpdate> batch;
  uint64_t seq = 0;
  auto sub = doc.on_update([&](const conflux::Bytes& u, const conflux::Transaction&) {
    batch.push_back({"bench", ++seq, u});
  });
  auto text = doc.get_text("t");
  for (int i = 0; i < kUpdates; ++i) {
    // Mostly typing at the end, now and then a fix a little earlier.
    if (i % 10 == 9) text.remove(text.length() - 3, 1);
    else text.insert(text.length(), std::string(1, char('a' + i % 26)));
    if (batch.size() == kCompactEntries) {
      if (!room->store->append(batch)) return nullptr;
      batch.clear();
      if (compacted && !room->store->compact("bench", doc.encode_state_as_update(), seq)) return nullptr;
    }
  }
  if (!room->store->append(batch)) return nullptr;
  return room;
}

void BM_store_load(benchmark::State& state, bool compacted) {
  auto room = make_room(compacted);
  if (!room) {
    state.SkipWithError("cannot prepare the SQLite store");
    return;
  }
  size_t entries = 0, snapshot = 0;
  for (auto _ : state) {
    conflux::StoredDocument stored;
    if (!room->store->load("bench", &stored)) {
      state.SkipWithError("load failed");
      return;
    }
    conflux::Doc doc;
    if (!stored.snapshot.empty()) doc.apply_update(stored.snapshot);
    for (const auto& u : stored.updates) doc.apply_update(u);
    benchmark::DoNotOptimize(doc.get_text("t").length());
    entries = stored.updates.size();
    snapshot = stored.snapshot.size();
  }
  state.counters["logEntries"] = double(entries);
  state.counters["snapshotBytes"] = double(snapshot);
}

}  // namespace

BENCHMARK_CAPTURE(BM_store_load, log, false)->Name("store/load-100k-log")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_store_load, compacted, true)->Name("store/load-100k-compacted")->Unit(benchmark::kMillisecond);
