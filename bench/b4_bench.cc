// B4 and the editing traces: replay real typing histories from ../shared/traces.
//   B4            automerge-paper, every delete and insert its own transaction,
//                 an update listener that receives every v1 update
//   B4-local      the same without a listener
//   B4-gapbuffer  the same trace into a plain gap buffer: the floor
//   B4-load       decode the final B4 document into a fresh one, read its text
//   B4x100        B4 a hundred times over into one document
//   trace/<name>  every trace, one transaction per recorded transaction
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "conflux/doc.h"
#include "measure.h"
#include "trace.h"

namespace conflux::bench {
namespace {

constexpr uint64_t kB4Client = 2654435761u;  // clientIds["1"] of ../shared/bench

const Trace& automerge_paper() { return trace("automerge-paper.json.gz"); }

struct Listener {
  uint64_t updates = 0, bytes = 0;
  Subscription sub;
  void attach(Doc& doc) {
    sub = doc.on_update([this](const Bytes& u, const Transaction&) {
      ++updates;
      bytes += u.size();
    });
  }
};

// One pass of the trace, each delete and insert its own transaction.
void replay_per_edit(const Trace& tr, Text& text) {
  for (const Patch& p : tr.patches) {
    if (p.del) text.remove(p.pos, p.del);
    if (!p.ins.empty()) text.insert(p.pos, p.ins);
  }
}

// Sizes, encode and parse times of a finished document.
void report_document(benchmark::State& state, const Doc& doc, const Listener* listener, size_t memory) {
  Bytes v1;
  double encode_ms = time_ms([&] { v1 = doc.encode_state_as_update(); });
  double parse_ms = time_ms([&] {
    Doc fresh;
    fresh.apply_update(v1);
  });
  if (listener) {
    state.counters["updates"] = double(listener->updates);
    state.counters["avgUpdateSize"] = listener->updates ? double(listener->bytes) / double(listener->updates) : 0;
    state.counters["updateBytes"] = double(listener->bytes);
  }
  state.counters["docSize"] = double(v1.size());
  state.counters["docSizeV2"] = double(doc.encode_state_as_update_v2().size());
  state.counters["encodeTime"] = encode_ms;
  state.counters["parseTime"] = parse_ms;
  state.counters["docMemory"] = double(memory);
}

void BM_B4(benchmark::State& state, bool listen) {
  const Trace& tr = automerge_paper();
  for (auto _ : state) {
    Doc doc(Doc::Options{.client_id = kB4Client});
    Listener listener;
    if (listen) listener.attach(doc);
    Text text = doc.get_text("text");
    replay_per_edit(tr, text);
    benchmark::DoNotOptimize(text.length());
    state.PauseTiming();  // freeing the document is not part of the replay
    { Doc gone = std::move(doc); }
    state.ResumeTiming();
  }
  // One more, untimed, for the figures.
  size_t heap_before = heap_in_use();
  Doc doc(Doc::Options{.client_id = kB4Client});
  Listener listener;
  if (listen) listener.attach(doc);
  Text text = doc.get_text("text");
  replay_per_edit(tr, text);
  size_t memory = heap_in_use() - heap_before;
  if (text.to_string() != tr.end_content) state.SkipWithError("final text differs from endContent");
  report_document(state, doc, listen ? &listener : nullptr, memory);
}
BENCHMARK_CAPTURE(BM_B4, listener, true)->Name("B4")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_B4, local, false)->Name("B4-local")->Unit(benchmark::kMillisecond);

// The floor: the same edits into a UTF-16 gap buffer (positions in the trace
// are code points, all in the BMP, so UTF-16 units; inserts arrive as UTF-8).
// It runs right after B4-local, whose target is a ratio to it: this
// machine's speed drifts within minutes, and B4x100 takes seconds.
class GapBuffer {
 public:
  void move_gap(size_t pos) {
    if (pos < gap_start_) {
      size_t n = gap_start_ - pos;
      std::memmove(&buf_[gap_end_ - n], &buf_[pos], n * sizeof(char16_t));
      gap_start_ -= n;
      gap_end_ -= n;
    } else if (pos > gap_start_) {
      size_t n = pos - gap_start_;
      std::memmove(&buf_[gap_start_], &buf_[gap_end_], n * sizeof(char16_t));
      gap_start_ += n;
      gap_end_ += n;
    }
  }
  void insert(size_t pos, const std::string& utf8) {
    move_gap(pos);
    for (size_t i = 0; i < utf8.size();) {
      unsigned char c = static_cast<unsigned char>(utf8[i]);
      char32_t cp;
      int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      cp = len == 1 ? c : c & (0x7F >> len);
      for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
      i += size_t(len);
      if (cp >= 0x10000) {
        put(char16_t(0xD800 + ((cp - 0x10000) >> 10)));
        put(char16_t(0xDC00 + ((cp - 0x10000) & 0x3FF)));
      } else {
        put(char16_t(cp));
      }
    }
  }
  void remove(size_t pos, size_t n) {
    move_gap(pos);
    gap_end_ += n;
  }
  size_t size() const { return buf_.size() - (gap_end_ - gap_start_); }

 private:
  void put(char16_t c) {
    if (gap_start_ == gap_end_) grow();
    buf_[gap_start_++] = c;
  }
  void grow() {
    size_t extra = buf_.size() + 64;
    size_t tail = buf_.size() - gap_end_;
    buf_.resize(buf_.size() + extra);
    std::memmove(&buf_[buf_.size() - tail], &buf_[gap_end_], tail * sizeof(char16_t));
    gap_end_ = buf_.size() - tail;
  }
  std::u16string buf_;
  size_t gap_start_ = 0, gap_end_ = 0;
};

void BM_B4_gapbuffer(benchmark::State& state) {
  const Trace& tr = automerge_paper();
  size_t length = 0;
  for (auto _ : state) {
    GapBuffer buffer;
    for (const Patch& p : tr.patches) {
      if (p.del) buffer.remove(p.pos, p.del);
      if (!p.ins.empty()) buffer.insert(p.pos, p.ins);
    }
    length = buffer.size();
    benchmark::DoNotOptimize(length);
  }
  if (length != 104852) state.SkipWithError("gap buffer length differs from endContent");
}
BENCHMARK(BM_B4_gapbuffer)->Name("B4-gapbuffer")->Unit(benchmark::kMillisecond);

void BM_B4_load(benchmark::State& state) {
  static const Bytes final_state = [] {
    Doc doc(Doc::Options{.client_id = kB4Client});
    Text text = doc.get_text("text");
    replay_per_edit(automerge_paper(), text);
    return doc.encode_state_as_update();
  }();
  std::string content;
  for (auto _ : state) {
    Doc doc;
    if (!doc.apply_update(final_state).ok()) {
      state.SkipWithError("the B4 document does not decode");
      return;
    }
    content = doc.get_text("text").to_string();
    state.PauseTiming();
    { Doc gone = std::move(doc); }
    state.ResumeTiming();
  }
  if (content != automerge_paper().end_content) state.SkipWithError("loaded text differs from endContent");
  state.counters["docSize"] = double(final_state.size());
}
BENCHMARK(BM_B4_load)->Name("B4-load")->Unit(benchmark::kMillisecond);

void BM_B4x100(benchmark::State& state) {
  const Trace& tr = automerge_paper();
  for (auto _ : state) {
    state.PauseTiming();
    size_t heap_before = heap_in_use();
    auto doc = std::make_unique<Doc>(Doc::Options{.client_id = kB4Client});
    Listener listener;
    listener.attach(*doc);
    Text text = doc->get_text("text");
    state.ResumeTiming();
    // Each pass types the paper again at the trace's own positions, in front
    // of the copies made before.
    for (int pass = 0; pass < 100; ++pass) replay_per_edit(tr, text);
    state.PauseTiming();
    size_t memory = heap_in_use() - heap_before;
    std::string expected;
    expected.reserve(tr.end_content.size() * 100);
    for (int i = 0; i < 100; ++i) expected += tr.end_content;
    if (text.to_string() != expected) state.SkipWithError("final text differs from endContent x 100");
    report_document(state, *doc, &listener, memory);
    doc.reset();
    state.ResumeTiming();
  }
}
// One iteration is far above the minimum time, so it runs once.
BENCHMARK(BM_B4x100)->Name("B4x100")->Unit(benchmark::kMillisecond);

// Every trace, one transaction per recorded transaction, v1 updates encoded.
void BM_trace(benchmark::State& state, const char* file) {
  const Trace& tr = trace(file);
  auto replay = [&](Doc& doc) {
    Text text = doc.get_text("text");
    size_t begin = 0;
    for (size_t end : tr.txn_ends) {
      doc.transact([&](Transaction& t) {
        for (size_t i = begin; i < end; ++i) {
          const Patch& p = tr.patches[i];
          if (p.del) text.remove(t, p.pos, p.del);
          if (!p.ins.empty()) text.insert(t, p.pos, p.ins);
        }
      });
      begin = end;
    }
    return text;
  };
  for (auto _ : state) {
    Doc doc(Doc::Options{.client_id = kB4Client});
    Listener listener;
    listener.attach(doc);
    benchmark::DoNotOptimize(replay(doc).length());
    state.PauseTiming();
    { Doc gone = std::move(doc); }
    state.ResumeTiming();
  }
  size_t heap_before = heap_in_use();
  Doc doc(Doc::Options{.client_id = kB4Client});
  Listener listener;
  listener.attach(doc);
  Text text = replay(doc);
  size_t memory = heap_in_use() - heap_before;
  if (tr.patches.empty() || text.to_string() != tr.end_content) state.SkipWithError("final text differs from endContent");
  report_document(state, doc, &listener, memory);
}
BENCHMARK_CAPTURE(BM_trace, automerge_paper, "automerge-paper.json.gz")->Name("trace/automerge-paper")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_trace, rustcode, "rustcode.json.gz")->Name("trace/rustcode")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_trace, sveltecomponent, "sveltecomponent.json.gz")->Name("trace/sveltecomponent")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace conflux::bench
