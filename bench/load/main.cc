// conflux-load: drives a y-websocket server (conflux serve, or the reference
// y-websocket server) with simulated WebsocketProvider clients and measures
// connect/sync times, edit latency, delivery rate, losses, convergence, and
// the server's CPU and memory.
//
//   conflux-load --url ws://127.0.0.1:1234 --scenario fanout [--server-pid PID] [--json]
//
// Scenarios: fanout, rooms, idle, throughput, joinstorm (see usage()).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "client.h"
#include "sync_messages.h"
#include "trace.h"

namespace conflux::load {
namespace {

using Clock = std::chrono::steady_clock;

const char* kUsage =
    "usage: conflux-load --url ws://HOST:PORT --scenario NAME [--server-pid PID] [--json]\n"
    "                    [--rooms N] [--clients N] [--writers N] [--rate EDITS_PER_SEC]\n"
    "                    [--duration SECONDS] [--updates N] [--window N]\n"
    "scenarios (defaults):\n"
    "  fanout      1 room, 50 clients, 5 writers at 20 edits/s each, 10 s; with --rate 0 the\n"
    "              writers send --updates 50000 edits as fast as delivered, as throughput does\n"
    "  rooms       1000 rooms x 2 clients, both writing 1 edit/s, 10 s\n"
    "  idle        100 rooms x 100 idle synced clients held 3 s; server RSS growth per connection\n"
    "  throughput  1 room: 1 writer sending up to --updates 500000 edits for at most 10 s,\n"
    "              at most --window 2000 edits (of all writers) ahead of the slowest of\n"
    "              4 readers (--clients 5)\n"
    "  joinstorm   one client loads the final automerge-paper document, then 100 clients\n"
    "              (--clients) join at once; time until all are synced\n"
    "--rooms/--clients are per scenario: rooms, and clients per room.\n";

struct Options {
  std::string host;
  std::string port;
  std::string scenario;
  int server_pid = 0;
  bool json = false;
  int rooms = 0, clients = 0, writers = 0;
  double rate = 0, duration = 0;
  bool rate_given = false;
  uint64_t updates = 0, window = 2000;
};

// --- the server process, from /proc -----------------------------------------

struct ServerSample {
  double cpu_sec = 0;
  uint64_t rss_kb = 0, peak_rss_kb = 0;
};

std::optional<ServerSample> sample_server(int pid) {
  if (pid <= 0) return std::nullopt;
  ServerSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  uint64_t utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  s.cpu_sec = double(utime + stime) / double(sysconf(_SC_CLK_TCK));
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) s.rss_kb = std::stoull(line.substr(6));
    if (line.starts_with("VmHWM:")) s.peak_rss_kb = std::stoull(line.substr(6));
  }
  return s;
}

// --- measurements -------------------------------------------------------------

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

std::optional<Percentiles> percentiles_ms(std::vector<double> us) {
  if (us.empty()) return std::nullopt;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, size_t(q * double(us.size())))] / 1000.0; };
  return Percentiles{at(0.50), at(0.99), us.back() / 1000.0};
}

struct Report {
  std::string scenario;
  size_t clients = 0, rooms = 0;
  double duration_sec = 0;
  std::optional<Percentiles> connect, sync, latency;
  uint64_t sent = 0, delivered = 0, lost = 0;
  std::optional<double> delivered_per_sec;
  bool converged = false;
  std::optional<double> server_cpu_sec;
  std::optional<uint64_t> server_rss_kb;
  std::optional<double> rss_per_conn_kb;
  uint64_t errors = 0;
  std::string first_error;
};

std::string json_number(std::optional<double> v) {
  if (!v) return "null";
  char b[64];
  std::snprintf(b, sizeof b, "%.3f", *v);
  return b;
}

std::string json_percentiles(const std::optional<Percentiles>& p) {
  if (!p) return "null";
  return "{\"p50\":" + json_number(p->p50) + ",\"p99\":" + json_number(p->p99) + ",\"max\":" + json_number(p->max) +
         "}";
}

void print_json(const Report& r) {
  std::printf(
      "{\"scenario\":\"%s\",\"clients\":%zu,\"rooms\":%zu,\"durationSec\":%s,\"connectMs\":%s,\"syncMs\":%s,"
      "\"latencyMs\":%s,\"sent\":%" PRIu64 ",\"delivered\":%" PRIu64 ",\"deliveredPerSec\":%s,\"lost\":%" PRIu64
      ",\"converged\":%s,\"serverCpuSec\":%s,\"serverRssKb\":%s,\"rssPerConnKb\":%s}\n",
      r.scenario.c_str(), r.clients, r.rooms, json_number(r.duration_sec).c_str(), json_percentiles(r.connect).c_str(),
      json_percentiles(r.sync).c_str(), json_percentiles(r.latency).c_str(), r.sent, r.delivered,
      json_number(r.delivered_per_sec).c_str(), r.lost, r.converged ? "true" : "false",
      json_number(r.server_cpu_sec).c_str(),
      r.server_rss_kb ? std::to_string(*r.server_rss_kb).c_str() : "null", json_number(r.rss_per_conn_kb).c_str());
}

void print_summary(const Report& r) {
  auto pct = [](const std::optional<Percentiles>& p) {
    if (!p) return std::string("-");
    char b[96];
    std::snprintf(b, sizeof b, "p50 %.2f  p99 %.2f  max %.2f ms", p->p50, p->p99, p->max);
    return std::string(b);
  };
  std::printf("scenario %s: %zu clients in %zu rooms, %.2f s\n", r.scenario.c_str(), r.clients, r.rooms,
              r.duration_sec);
  std::printf("  connect   %s\n  sync      %s\n  latency   %s\n", pct(r.connect).c_str(), pct(r.sync).c_str(),
              pct(r.latency).c_str());
  std::printf("  edits sent %" PRIu64 ", delivered %" PRIu64 " (%s/s), lost %" PRIu64 ", %s\n", r.sent, r.delivered,
              r.delivered_per_sec ? json_number(r.delivered_per_sec).c_str() : "-", r.lost,
              r.converged ? "converged" : "NOT CONVERGED");
  if (r.server_cpu_sec)
    std::printf("  server: %.2f CPU s, peak RSS %" PRIu64 " KB%s\n", *r.server_cpu_sec, *r.server_rss_kb,
                r.rss_per_conn_kb ? (", " + json_number(r.rss_per_conn_kb) + " KB per connection").c_str() : "");
  if (r.errors) std::printf("  %" PRIu64 " errors, first: %s\n", r.errors, r.first_error.c_str());
}

// --- running clients -----------------------------------------------------------

// Runs the io_context until `done` holds or the timeout passes.
template <class Done>
bool run_until(asio::io_context& io, Done done, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    io.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

class Scenario {
 public:
  explicit Scenario(const Options& o) : opt_(o), hub_(io_), work_(asio::make_work_guard(io_)), rng_(12345) {
    asio::ip::tcp::resolver resolver(io_);
    hub_.endpoint = *resolver.resolve(o.host, o.port).begin();
    hub_.host_port = o.host + ":" + o.port;
    room_prefix_ = "load-" + o.scenario + "-" + std::to_string(getpid()) + "-";
  }
  ~Scenario() {
    for (auto& c : clients_) c->close();
  }

  Report run() {
    report_.scenario = opt_.scenario;
    auto before = sample_server(opt_.server_pid);
    bool fanout_at_max = opt_.scenario == "fanout" && opt_.rate_given && opt_.rate == 0;
    if (fanout_at_max)
      run_pipelined(opt_.writers ? opt_.writers : 5, opt_.clients ? opt_.clients : 50,
                    opt_.updates ? opt_.updates : 50000, opt_.duration > 0 ? opt_.duration : 10);
    else if (opt_.scenario == "fanout" || opt_.scenario == "rooms") run_edits();
    else if (opt_.scenario == "idle") run_idle(before);
    else if (opt_.scenario == "throughput")
      run_pipelined(1, opt_.clients ? opt_.clients : 5, opt_.updates ? opt_.updates : 500000,
                    opt_.duration > 0 ? opt_.duration : 10);
    else run_joinstorm();
    if (auto after = sample_server(opt_.server_pid); after && before) {
      report_.server_cpu_sec = after->cpu_sec - before->cpu_sec;
      report_.server_rss_kb = after->peak_rss_kb;
    }
    report_.clients = clients_.size();
    report_.rooms = rooms_.size();
    report_.sent = hub_.sent;
    report_.delivered = hub_.delivered;
    report_.lost = hub_.expected > hub_.delivered ? hub_.expected - hub_.delivered : 0;
    std::vector<double> connect, sync;
    for (size_t i = measured_from_; i < clients_.size(); ++i) {
      auto& c = clients_[i];
      if (c->connected()) connect.push_back(double(c->connected_us - c->connect_start_us));
      if (c->synced()) sync.push_back(double(c->synced_us - c->connect_start_us));
    }
    report_.connect = percentiles_ms(connect);
    report_.sync = percentiles_ms(sync);
    report_.latency = percentiles_ms(std::vector<double>(hub_.latency_us.begin(), hub_.latency_us.end()));
    if (hub_.unmatched) hub_.error(std::to_string(hub_.unmatched) + " updates arrived that no writer sent");
    report_.errors = hub_.errors;
    report_.first_error = hub_.first_error;
    return report_;
  }

 private:
  Client& add_client(size_t room, bool defer_apply) {
    if (rooms_.size() <= room) rooms_.resize(room + 1);
    clients_.push_back(std::make_unique<Client>(hub_, "/" + room_prefix_ + std::to_string(room),
                                                next_client_id_++, defer_apply));
    rooms_[room].push_back(clients_.back().get());
    return *clients_.back();
  }

  void add_rooms(int rooms, int per_room, bool defer_apply) {
    for (int r = 0; r < rooms; ++r)
      for (int i = 0; i < per_room; ++i) add_client(size_t(r), defer_apply);
  }

  // Opens clients [first, end) with at most `parallel` handshakes at a time,
  // then waits until every one is synced (or failed).
  bool connect_and_sync(size_t first, size_t parallel) {
    size_t next = first, in_progress = 0;
    std::function<void()> start_more = [&] {
      while (in_progress < parallel && next < clients_.size()) {
        ++in_progress;
        clients_[next++]->open([&](Client&) {
          --in_progress;
          start_more();
        });
      }
    };
    start_more();
    return run_until(
        io_,
        [&] {
          if (next < clients_.size() || in_progress > 0) return false;
          for (size_t i = first; i < clients_.size(); ++i)
            if (!clients_[i]->synced() && !clients_[i]->failed) return false;
          return true;
        },
        std::chrono::seconds(120));
  }

  bool all_healthy() const {
    for (auto& c : clients_)
      if (c->failed || !c->synced()) return false;
    return true;
  }

  // Every client of a room holds the same text (and, when given, the expected one).
  bool check_converged(const std::string* expected = nullptr) {
    if (!all_healthy()) return false;
    for (auto& c : clients_) c->apply_deferred();
    for (auto& room : rooms_) {
      std::string reference = expected ? *expected : room.front()->text();
      for (Client* c : room)
        if (c->doc().has_pending() || c->text() != reference) return false;
    }
    return hub_.errors == 0;
  }

  // Waits for deliveries still under way after the writers stopped, as long
  // as they keep coming (a slow server may be seconds behind).
  void drain() {
    uint64_t seen = hub_.delivered;
    while (hub_.delivered < hub_.expected) {
      run_until(io_, [&] { return hub_.delivered >= hub_.expected; }, std::chrono::seconds(3));
      if (hub_.delivered == seen) break;  // nothing in 3 s: what is missing is lost
      seen = hub_.delivered;
    }
  }

  std::string random_word() {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
    std::string w(1 + rng_() % 3, 'a');
    for (char& ch : w) ch = letters[rng_() % 26];
    return w;
  }

  // fanout and rooms: writers edit at a steady rate, everyone applies everything.
  void run_edits() {
    bool fanout = opt_.scenario == "fanout";
    int rooms = opt_.rooms ? opt_.rooms : (fanout ? 1 : 1000);
    int per_room = opt_.clients ? opt_.clients : (fanout ? 50 : 2);
    int writers = std::min(per_room, opt_.writers ? opt_.writers : (fanout ? 5 : 2));
    double rate = opt_.rate > 0 ? opt_.rate : (fanout ? 20 : 1);
    double duration = opt_.duration > 0 ? opt_.duration : 10;
    add_rooms(rooms, per_room, false);
    if (!connect_and_sync(0, 256)) hub_.error("not every client synced in time");

    auto period = std::chrono::microseconds(int64_t(1e6 / rate));
    auto start = Clock::now();
    auto end = start + std::chrono::microseconds(int64_t(duration * 1e6));
    struct Writer {
      Client* client;
      uint32_t receivers;
      std::unique_ptr<asio::steady_timer> timer;
      Clock::time_point next;
    };
    std::vector<Writer> ws;
    for (auto& room : rooms_)
      for (int i = 0; i < writers; ++i)
        ws.push_back({room[size_t(i)], uint32_t(room.size() - 1), std::make_unique<asio::steady_timer>(io_),
                      start + std::chrono::microseconds(int64_t(rng_() % uint64_t(period.count())))});
    std::function<void(Writer&)> schedule = [&](Writer& w) {
      if (w.next >= end) return;
      w.timer->expires_at(w.next);
      w.timer->async_wait([&](asio::error_code ec) {
        if (ec) return;
        w.client->insert(rng_() % (w.client->length() + 1), random_word(), w.receivers);
        w.next += period;
        schedule(w);
      });
    };
    if (all_healthy())
      for (auto& w : ws) schedule(w);
    run_until(io_, [&] { return Clock::now() >= end; }, std::chrono::seconds(3600));
    drain();
    report_.duration_sec = std::chrono::duration<double>(Clock::now() - start).count();
    double active = std::chrono::duration<double>(end - start).count();
    report_.delivered_per_sec = double(hub_.delivered) / active;
    report_.converged = check_converged();
  }

  void run_idle(const std::optional<ServerSample>& before) {
    int rooms = opt_.rooms ? opt_.rooms : 100;
    int per_room = opt_.clients ? opt_.clients : 100;
    double hold = opt_.duration > 0 ? opt_.duration : 3;
    add_rooms(rooms, per_room, false);
    auto start = Clock::now();
    if (!connect_and_sync(0, 256)) hub_.error("not every client synced in time");
    // Idle: only pings (if any) flow while we wait for the server to settle.
    run_until(io_, [] { return false; }, std::chrono::milliseconds(int64_t(hold * 1000)));
    report_.duration_sec = std::chrono::duration<double>(Clock::now() - start).count();
    if (auto after = sample_server(opt_.server_pid); after && before)
      report_.rss_per_conn_kb = (double(after->rss_kb) - double(before->rss_kb)) / double(clients_.size());
    report_.converged = check_converged();
  }

  // Writers as fast as the server delivers (throughput; fanout with --rate 0):
  // their edits are made and framed before the clock starts, so sending is a
  // copy of bytes, and together they stay at most --window edits ahead of the
  // slowest reader. Everyone applies what it received after the run.
  void run_pipelined(int writers, int per_room, uint64_t updates, double duration) {
    for (int i = 0; i < per_room; ++i) add_client(0, true);
    std::vector<Client*> readers(rooms_[0].begin() + writers, rooms_[0].end());
    uint32_t receivers = uint32_t(per_room - 1);

    struct Pipe {
      Client* writer;
      std::string frames;
      std::vector<size_t> frame_end;
      std::vector<uint64_t> clock;
      std::vector<Bytes> updates;
      size_t next = 0;
    };
    std::vector<Pipe> pipes(static_cast<size_t>(writers));
    for (int w = 0; w < writers; ++w) {
      Pipe& pipe = pipes[size_t(w)];
      pipe.writer = rooms_[0][size_t(w)];
      // Typing at the end of the text, one character per transaction.
      conflux::Doc scratch(conflux::Doc::Options{.client_id = pipe.writer->id()});
      auto text = scratch.get_text("text");
      uint32_t mask = uint32_t(rng_());
      auto sub = scratch.on_update([&](const Bytes& u, const Transaction&) {
        uint64_t client = 0, clock = 0, sections = 0;
        first_struct_id(u.data(), u.size(), &client, &clock, &sections);
        Bytes msg = protocol::encode_sync_update(u);
        append_masked_frame(&pipe.frames, WsOpcode::Binary, msg.data(), msg.size(), mask);
        pipe.frame_end.push_back(pipe.frames.size());
        pipe.clock.push_back(clock);
        pipe.updates.push_back(u);
      });
      for (uint64_t i = 0; i < updates / uint64_t(writers); ++i) text.insert(i, std::string(1, char('a' + i % 26)));
    }

    if (!connect_and_sync(0, 64)) hub_.error("not every client synced in time");
    auto start = Clock::now();
    auto end = start + std::chrono::microseconds(int64_t(duration * 1e6));
    bool stopped = false;
    auto all_sent = [&] {
      for (auto& p : pipes)
        if (p.next < p.clock.size()) return false;
      return true;
    };
    hub_.after_read = [&] {
      if (stopped) return;
      if (Clock::now() >= end) {
        stopped = true;
        return;
      }
      // Readers see every writer's edits: a writer's share of the slowest one's count.
      uint64_t slowest = UINT64_MAX;
      for (Client* r : readers) slowest = std::min(slowest, r->received);
      int64_t t = now_us();
      for (auto& pipe : pipes) {
        size_t limit = std::min<size_t>(pipe.clock.size(), size_t((slowest + opt_.window) / uint64_t(writers)));
        if (pipe.next >= limit) continue;
        size_t from = pipe.next == 0 ? 0 : pipe.frame_end[pipe.next - 1];
        for (size_t i = pipe.next; i < limit; ++i) hub_.record_sent(pipe.writer->id(), pipe.clock[i], receivers, t);
        pipe.writer->send_frames(pipe.frames.data() + from, pipe.frame_end[limit - 1] - from);
        pipe.next = limit;
      }
    };
    int64_t start_us = now_us();
    if (all_healthy()) hub_.after_read();
    run_until(io_, [&] { return stopped || all_sent(); }, std::chrono::seconds(3600));
    stopped = true;
    drain();
    report_.duration_sec = std::chrono::duration<double>(Clock::now() - start).count();
    if (hub_.delivered)
      report_.delivered_per_sec = double(hub_.delivered) / (double(hub_.last_delivery_us - start_us) / 1e6);
    // Each writer's document: exactly what it sent (plus, deferred, what it received).
    for (auto& pipe : pipes)
      for (size_t i = 0; i < pipe.next; ++i) pipe.writer->doc().apply_update(pipe.updates[i]);
    hub_.after_read = nullptr;
    report_.converged = check_converged();
  }

  // A big document, then many clients asking for all of it at once.
  void run_joinstorm() {
    int joiners = opt_.clients ? opt_.clients : 100;
    bench::Trace trace;
    std::string path = bench::shared_path("traces/automerge-paper.json.gz");
    if (!bench::load_trace(path, &trace)) {
      hub_.error("cannot load " + path);
      return;
    }
    // The loader holds the whole document before it connects (as a provider
    // over a preloaded Doc): its answer to the server's step 1 carries it all,
    // and the server's broadcast of it comes back as the loader's own echo.
    Client& loader = add_client(0, false);
    {
      conflux::Doc replay(conflux::Doc::Options{.client_id = loader.id()});
      auto text = replay.get_text("text");
      for (const auto& p : trace.patches) {
        if (p.del) text.remove(p.pos, p.del);
        if (!p.ins.empty()) text.insert(p.pos, p.ins);
      }
      loader.doc().apply_update(replay.encode_state_as_update());
    }
    if (!connect_and_sync(0, 1) || !run_until(io_, [&] { return loader.echoes > 0; }, std::chrono::seconds(60)))
      hub_.error("the server did not take the document");

    size_t first = clients_.size();
    measured_from_ = first;  // connect and sync times are the joiners'
    for (int i = 0; i < joiners; ++i) add_client(0, true);
    if (!connect_and_sync(first, size_t(joiners))) hub_.error("not every joiner synced in time");
    // All joiners start together: the storm lasts until the last one is synced.
    int64_t start = clients_[first]->connect_start_us, last = start;
    for (size_t i = first; i < clients_.size(); ++i) last = std::max(last, clients_[i]->synced_us);
    report_.duration_sec = double(last - start) / 1e6;
    report_.converged = check_converged(&trace.end_content);
  }

  const Options& opt_;
  asio::io_context io_;
  Hub hub_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::mt19937_64 rng_;
  std::string room_prefix_;
  uint64_t next_client_id_ = 1000001;
  size_t measured_from_ = 0;
  std::vector<std::unique_ptr<Client>> clients_;
  std::vector<std::vector<Client*>> rooms_;
  Report report_;
};

}  // namespace
}  // namespace conflux::load

int main(int argc, char** argv) {
  using namespace conflux::load;
  Options opt;
  std::string url;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n%s", a.c_str(), kUsage);
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&]() -> double {
      std::string v = value();
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end || d < 0) {
        std::fprintf(stderr, "%s: not a number: %s\n", a.c_str(), v.c_str());
        std::exit(2);
      }
      return d;
    };
    if (a == "--url") url = value();
    else if (a == "--scenario") opt.scenario = value();
    else if (a == "--server-pid") opt.server_pid = int(number());
    else if (a == "--json") opt.json = true;
    else if (a == "--rooms") opt.rooms = int(number());
    else if (a == "--clients") opt.clients = int(number());
    else if (a == "--writers") opt.writers = int(number());
    else if (a == "--rate") {
      opt.rate = number();
      opt.rate_given = true;
    }
    else if (a == "--duration") opt.duration = number();
    else if (a == "--updates") opt.updates = uint64_t(number());
    else if (a == "--window") opt.window = uint64_t(number());
    else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument %s\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  static const char* kScenarios[] = {"fanout", "rooms", "idle", "throughput", "joinstorm"};
  if (std::find_if(std::begin(kScenarios), std::end(kScenarios), [&](const char* s) { return opt.scenario == s; }) ==
      std::end(kScenarios)) {
    std::fprintf(stderr, "--scenario must be one of fanout, rooms, idle, throughput, joinstorm\n%s", kUsage);
    return 2;
  }
  // ws://HOST:PORT[/...]: the path is ours to choose (one room per scenario room).
  if (!url.starts_with("ws://")) {
    std::fprintf(stderr, "--url must be ws://HOST:PORT\n");
    return 2;
  }
  std::string authority = url.substr(5, url.find('/', 5) == std::string::npos ? std::string::npos : url.find('/', 5) - 5);
  size_t colon = authority.rfind(':');
  opt.host = colon == std::string::npos ? authority : authority.substr(0, colon);
  opt.port = colon == std::string::npos ? "80" : authority.substr(colon + 1);

  // Thousands of sockets: take every descriptor we are allowed.
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }

  Report report;
  try {
    Scenario scenario(opt);
    report = scenario.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "conflux-load: %s\n", e.what());
    return 1;
  }
  if (opt.json) print_json(report);
  else print_summary(report);
  if (report.errors && opt.json) std::fprintf(stderr, "conflux-load: %s\n", report.first_error.c_str());
  return report.converged && report.lost == 0 ? 0 : 1;
}
