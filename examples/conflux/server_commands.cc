// `conflux serve` and `conflux token`.
#include "server_commands.h"

#include <pthread.h>
#include <algorithm>
#include <map>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "conflux/jwt.h"
#include "conflux/relay.h"
#include "conflux/server.h"
#include "conflux/store.h"

namespace {

int usage_error(const std::string& msg) {
  std::cerr << "conflux: " << msg << "\n";
  return 2;
}

// Flags as --name VALUE / --name=VALUE, each also from CONFLUX_<NAME> in the environment.
class Flags {
 public:
  Flags(int argc, char** argv, std::vector<std::string> valued, std::vector<std::string> boolean,
        size_t max_positional = 0)
      : valued_(std::move(valued)), boolean_(std::move(boolean)) {
    for (int i = 0; i < argc; ++i) {
      std::string a = argv[i];
      if (!a.starts_with("--")) {
        if (positional_.size() < max_positional) {
          positional_.push_back(a);
          continue;
        }
        error_ = "unexpected argument '" + a + "'";
        return;
      }
      std::string name = a.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (std::find(boolean_.begin(), boolean_.end(), name) != boolean_.end()) {
        values_[name] = has_value ? value : "true";
      } else if (std::find(valued_.begin(), valued_.end(), name) != valued_.end()) {
        if (!has_value) {
          if (i + 1 >= argc) {
            error_ = "--" + name + " needs a value";
            return;
          }
          value = argv[++i];
        }
        values_[name] = value;
      } else {
        error_ = "unknown flag --" + name;
        return;
      }
    }
  }
  const std::string& error() const { return error_; }
  const std::vector<std::string>& positional() const { return positional_; }

  std::optional<std::string> get(const std::string& name) const {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    std::string env = "CONFLUX_";
    for (char c : name) env += c == '-' ? '_' : char(std::toupper(uint8_t(c)));
    if (const char* v = std::getenv(env.c_str()); v && *v) return std::string(v);
    return std::nullopt;
  }
  bool flag(const std::string& name) const {
    auto v = get(name);
    return v && (*v == "true" || *v == "1" || *v == "yes");
  }
  // A whole number in [lo, hi]; *ok false (with a message printed) when malformed.
  std::optional<uint64_t> number(const std::string& name, uint64_t lo, uint64_t hi, bool* ok) const {
    auto v = get(name);
    if (!v) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    unsigned long long n = std::strtoull(v->c_str(), &end, 10);
    if (v->empty() || *end || errno || n < lo || n > hi || (*v)[0] == '-') {
      std::cerr << "conflux: --" << name << " must be a whole number from " << lo << " to " << hi << "\n";
      *ok = false;
      return std::nullopt;
    }
    return n;
  }

 private:
  std::vector<std::string> valued_, boolean_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  std::string error_;
};

std::mutex g_log_mu;
void log_line(std::string_view line) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::lock_guard lock(g_log_mu);
  std::cout << stamp << ' ' << line << std::endl;
}

}  // namespace

const char* kServeUsage =
    "  conflux serve [--host H] [--port N] [--jwt-secret S | --jwt-public-key PEMFILE]\n"
    "                [--allow-anonymous] [--idle-timeout SECONDS] [--threads N]\n"
    "                [--max-message-size BYTES] [--send-queue-limit BYTES]\n"
    "                [--ping-interval SECONDS] [--dev-login]\n"
    "                [--data DIR | --in-memory] [--redis HOST:PORT]\n"
    "      run the sync server (y-websocket protocol); every flag can also come from\n"
    "      CONFLUX_<FLAG> in the environment, e.g. CONFLUX_JWT_SECRET. Documents are\n"
    "      kept in DIR/conflux.db (default ./conflux-data); --redis shares rooms with\n"
    "      other servers on the same Redis\n"
    "  conflux export ROOM [--data DIR] [--out FILE]\n"
    "      write a stored room as one Yjs (v1) update, to FILE or stdout\n"
    "  conflux import ROOM FILE [--data DIR]\n"
    "      add a Yjs (v1) update file to a stored room (merged with what it holds)\n"
    "  conflux token --secret S --user NAME [--room ROOM] [--read-only] [--ttl SECONDS]\n"
    "      print an HS256 token for development\n";

int serve_command(int argc, char** argv) {
  Flags flags(argc, argv,
              {"host", "port", "jwt-secret", "jwt-public-key", "idle-timeout", "threads", "max-message-size",
               "send-queue-limit", "ping-interval", "data", "redis"},
              {"allow-anonymous", "dev-login", "in-memory"});
  if (!flags.error().empty()) return usage_error(flags.error());

  conflux::ServerOptions options;
  bool ok = true;
  options.host = flags.get("host").value_or("127.0.0.1");
  if (auto p = flags.number("port", 0, 65535, &ok)) options.port = uint16_t(*p);
  if (auto t = flags.number("idle-timeout", 0, 86400 * 365, &ok)) options.idle_timeout = std::chrono::seconds(*t);
  if (auto n = flags.number("threads", 1, 1024, &ok)) options.threads = unsigned(*n);
  if (auto m = flags.number("max-message-size", 1024, uint64_t(1) << 31, &ok)) options.max_message_size = *m;
  if (auto p = flags.number("ping-interval", 1, 3600, &ok)) options.ping_interval = std::chrono::seconds(*p);
  if (auto q = flags.number("send-queue-limit", 4096, uint64_t(1) << 34, &ok)) options.send_queue_limit = *q;
  if (!ok) return 2;

  auto secret = flags.get("jwt-secret");
  auto key_file = flags.get("jwt-public-key");
  bool anonymous = flags.flag("allow-anonymous");
  if (secret && key_file) return usage_error("use --jwt-secret or --jwt-public-key, not both");

  std::unique_ptr<conflux::JwtVerifier> verifier;
  if (secret) {
    verifier = conflux::JwtVerifier::hs256(*secret);
    if (!verifier) return usage_error("--jwt-secret must not be empty");
  } else if (key_file) {
    std::ifstream in(*key_file);
    if (!in) return usage_error("cannot read " + *key_file);
    std::stringstream pem;
    pem << in.rdbuf();
    std::string error;
    verifier = conflux::JwtVerifier::from_public_key_pem(pem.str(), &error);
    if (!verifier) return usage_error(*key_file + ": " + error);
  }
  std::shared_ptr<conflux::Authenticator> auth;
  if (verifier) auth = std::make_shared<conflux::JwtAuthenticator>(std::move(verifier), anonymous);
  else if (anonymous) auth = conflux::JwtAuthenticator::anonymous_only();
  else return usage_error("no authentication configured: pass --jwt-secret, --jwt-public-key or --allow-anonymous");

  if (flags.flag("dev-login")) {
    if (!secret) return usage_error("--dev-login needs --jwt-secret (it signs the tokens it hands out)");
    options.dev_login_secret = *secret;
  }
  options.log = log_line;

  std::string storage_line;
  if (flags.flag("in-memory")) {
    if (flags.get("data")) return usage_error("use --data or --in-memory, not both");
    storage_line = "documents in memory only (--in-memory): they are lost when a room unloads";
  } else {
    std::string dir = flags.get("data").value_or("conflux-data");
    if (auto st = conflux::open_sqlite_store(dir, &options.store); !st) {
      std::cerr << "conflux: " << st.message() << "\n";
      return 1;
    }
    storage_line = "documents stored in " + dir + "/conflux.db (SQLite)";
  }
  if (auto redis = flags.get("redis")) {
    if (auto st = conflux::open_redis_relay(*redis, &options.relay); !st) {
      std::cerr << "conflux: " << st.message() << "\n";
      return 1;
    }
    storage_line += "; rooms shared through Redis at " + *redis;
  }

  // SIGINT/SIGTERM are taken by a thread of their own, which stops the server
  // gracefully; every other thread has them blocked.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // One descriptor per client: take every one we are allowed (the soft limit
  // is often 1024).
  if (rlimit files{}; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  conflux::Server server(options, auth);
  if (auto st = server.start(); !st) {
    std::cerr << "conflux: " << st.message() << "\n";
    return 1;
  }
  log_line("listening on http://" + options.host + ":" + std::to_string(server.port()) +
           (anonymous ? " (anonymous clients allowed)" : ""));
  log_line(storage_line);

  std::thread signal_thread([&server, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == 0) return;
    log_line(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
    server.stop();
  });
  server.run();
  // run() returns only after stop(); wake the signal thread if it is still waiting.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  log_line("stopped");
  return 0;
}

int token_command(int argc, char** argv) {
  Flags flags(argc, argv, {"secret", "user", "room", "ttl"}, {"read-only"});
  if (!flags.error().empty()) return usage_error(flags.error());
  auto secret = flags.get("secret");
  if (!secret || secret->empty()) secret = flags.get("jwt-secret");
  auto user = flags.get("user");
  if (!secret || secret->empty()) return usage_error("token: --secret is required");
  if (!user || user->empty()) return usage_error("token: --user is required");
  bool ok = true;
  uint64_t ttl = flags.number("ttl", 1, 86400 * 365, &ok).value_or(3600);
  if (!ok) return 2;
  conflux::JwtClaims claims;
  claims.sub = *user;
  claims.sid = conflux::new_session_id();
  claims.iat = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  claims.exp = claims.iat + int64_t(ttl);
  claims.room = flags.get("room").value_or("");
  claims.ro = flags.flag("read-only");
  std::cout << conflux::jwt_sign_hs256(*secret, claims) << "\n";
  return 0;
}

namespace {

bool read_whole_file(const std::string& path, conflux::Bytes* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// A stored room as one document; *found false when nothing is stored.
conflux::Status load_stored_room(conflux::DocumentStore& store, const std::string& room, conflux::Doc* doc,
                                 conflux::StoredDocument* stored) {
  if (auto st = store.load(room, stored); !st) return st;
  if (!stored->snapshot.empty())
    if (auto st = doc->apply_update(stored->snapshot); !st) return conflux::Status::error("snapshot: " + st.message());
  for (const conflux::Bytes& u : stored->updates)
    if (auto st = doc->apply_update(u); !st) return conflux::Status::error("log: " + st.message());
  return {};
}

// A room as stored in --data DIR, opened for the export and import commands.
struct StoredRoom {
  std::string dir;
  std::shared_ptr<conflux::DocumentStore> store;
  conflux::Doc doc{conflux::Doc::Options{.client_id = 1}};
  conflux::StoredDocument stored;
};

// 0 when `out` holds the room; else the exit code, with the reason printed.
int open_stored_room(const Flags& flags, const std::string& room, StoredRoom* out) {
  out->dir = flags.get("data").value_or("conflux-data");
  if (auto st = conflux::open_sqlite_store(out->dir, &out->store); !st) return usage_error(st.message());
  if (auto st = load_stored_room(*out->store, room, &out->doc, &out->stored); !st)
    return usage_error(room + ": " + st.message());
  return 0;
}

}  // namespace

int export_command(int argc, char** argv) {
  Flags flags(argc, argv, {"data", "out"}, {}, 1);
  if (!flags.error().empty()) return usage_error(flags.error());
  if (flags.positional().size() != 1) return usage_error("export: which room? (conflux export ROOM)");
  const std::string& room = flags.positional()[0];
  StoredRoom r;
  if (int code = open_stored_room(flags, room, &r)) return code;
  if (r.stored.snapshot.empty() && r.stored.updates.empty()) return usage_error("no room '" + room + "' in " + r.dir);
  conflux::Bytes update = r.doc.encode_state_as_update();
  std::string out = flags.get("out").value_or("-");
  if (out == "-") {
    std::fwrite(update.data(), 1, update.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  std::ofstream f(out, std::ios::binary);
  f.write(reinterpret_cast<const char*>(update.data()), std::streamsize(update.size()));
  if (!f) return usage_error("cannot write " + out);
  std::cerr << "exported " << room << ": " << update.size() << " bytes to " << out << "\n";
  return 0;
}

int import_command(int argc, char** argv) {
  Flags flags(argc, argv, {"data"}, {}, 2);
  if (!flags.error().empty()) return usage_error(flags.error());
  if (flags.positional().size() != 2) return usage_error("import: conflux import ROOM FILE");
  const std::string& room = flags.positional()[0];
  const std::string& file = flags.positional()[1];
  conflux::Bytes update;
  if (!read_whole_file(file, &update)) return usage_error("cannot read " + file);
  // Check that the file is a Yjs update and merges with what is stored
  // before anything is written.
  StoredRoom r;
  if (int code = open_stored_room(flags, room, &r)) return code;
  if (auto st = r.doc.apply_update(update); !st) return usage_error(file + " is not a Yjs v1 update: " + st.message());
  // The next sequence number: a server that has the room loaded fails its
  // next write on it, and reloads the room with this update in it.
  if (auto st = r.store->append({{room, r.stored.last_seq + 1, update}}); !st) return usage_error(st.message());
  std::cerr << "imported " << file << " into " << room << " (" << update.size() << " bytes)\n";
  return 0;
}
