// The embedded default store: one SQLite file in WAL mode.
//
// A room's consecutive updates in one commit share one row (a run), so a busy
// room costs a row per group commit rather than a row per keystroke.
//
// Two connections, one for writes and one for loads, so a room loading a
// long log does not hold up the group commits of every other room (WAL lets
// a reader run beside the writer).
#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <system_error>

#include "conflux/store.h"

namespace conflux {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS snapshots ("
    "  room TEXT PRIMARY KEY, state BLOB NOT NULL, through_seq INTEGER NOT NULL, compacted_at INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    // A run holds updates first_seq..seq, each as a varint length and its bytes.
    "CREATE TABLE IF NOT EXISTS runs ("
    "  room TEXT NOT NULL, seq INTEGER NOT NULL, first_seq INTEGER NOT NULL, data BLOB NOT NULL,"
    "  PRIMARY KEY (room, seq)"
    ") WITHOUT ROWID;"
    // A number already in the log or under the snapshot was taken by another
    // writer: refuse it rather than overwrite or lose either.
    "CREATE TRIGGER IF NOT EXISTS runs_unique BEFORE INSERT ON runs "
    "WHEN NEW.first_seq <= (SELECT through_seq FROM snapshots WHERE room = NEW.room) "
    "  OR EXISTS (SELECT 1 FROM runs WHERE room = NEW.room AND seq >= NEW.first_seq AND first_seq <= NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'sequence number already stored'); END;";

void put_varint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(uint8_t(v) | 0x80);
    v >>= 7;
  }
  out.push_back(uint8_t(v));
}

// Splits a run back into its updates; false when the blob is damaged.
bool split_run(const uint8_t* p, size_t n, uint64_t first_seq, uint64_t skip_through, std::vector<Bytes>* out) {
  size_t i = 0;
  for (uint64_t seq = first_seq; i < n; ++seq) {
    uint64_t len = 0;
    for (int shift = 0;; shift += 7) {
      if (i >= n || shift > 63) return false;
      uint8_t b = p[i++];
      len |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (len > n - i) return false;
    if (seq > skip_through) out->emplace_back(p + i, p + i + len);
    i += len;
  }
  return true;
}

// One prepared statement, reset after each use.
class Statement {
 public:
  Statement() = default;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Status prepare(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK)
      return Status::error(std::string("sqlite: ") + sqlite3_errmsg(db));
    return {};
  }
  sqlite3_stmt* get() { return stmt_; }
  void bind_text(int i, const std::string& s) { sqlite3_bind_text(stmt_, i, s.data(), int(s.size()), SQLITE_STATIC); }
  void bind_blob(int i, const Bytes& b) {
    // A zero-length blob must still be a blob, not NULL.
    sqlite3_bind_blob(stmt_, i, b.empty() ? "" : static_cast<const void*>(b.data()), int(b.size()), SQLITE_STATIC);
  }
  void bind_int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t column_int(int i) { return sqlite3_column_int64(stmt_, i); }
  Bytes column_blob(int i) {
    auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, i));
    return Bytes(p, p + sqlite3_column_bytes(stmt_, i));
  }
  std::string column_text(int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return std::string(p ? p : "", size_t(sqlite3_column_bytes(stmt_, i)));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Connection {
 public:
  ~Connection() {
    if (db_) sqlite3_close_v2(db_);
  }
  Status open(const std::string& path) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) return error("cannot open " + path);
    sqlite3_busy_timeout(db_, 10000);
    // FULL: a commit is on disk when it returns, so it survives a power cut
    // as well as a killed process.
    if (Status st = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !st) return st;
    return {};
  }
  Status exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::error("sqlite: " + m);
    }
    return {};
  }
  Status error(const std::string& what) { return Status::error("sqlite: " + what + ": " + sqlite3_errmsg(db_)); }
  sqlite3* db() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStore : public DocumentStore {
 public:
  Status open(const std::string& dir) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Status::error("cannot create data directory " + dir + ": " + ec.message());
    std::string path = (std::filesystem::path(dir) / "conflux.db").string();
    if (Status st = writer_.open(path); !st) return st;
    if (Status st = writer_.exec(kSchema); !st) return st;
    if (Status st = reader_.open(path); !st) return st;
    Status st;
    auto prep = [&](Statement& s, Connection& c, const char* sql) {
      if (st) st = s.prepare(c.db(), sql);
    };
    prep(begin_, writer_, "BEGIN IMMEDIATE");
    prep(commit_, writer_, "COMMIT");
    prep(rollback_, writer_, "ROLLBACK");
    prep(insert_run_, writer_, "INSERT INTO runs (room, seq, first_seq, data) VALUES (?, ?, ?, ?)");
    prep(put_snapshot_, writer_,
         "INSERT OR REPLACE INTO snapshots (room, state, through_seq, compacted_at) VALUES (?, ?, ?, ?)");
    prep(drop_runs_, writer_, "DELETE FROM runs WHERE room = ? AND seq <= ?");
    prep(drop_all_runs_, writer_, "DELETE FROM runs WHERE room = ?");
    prep(drop_snapshot_, writer_, "DELETE FROM snapshots WHERE room = ?");
    prep(read_begin_, reader_, "BEGIN");
    prep(read_end_, reader_, "COMMIT");
    prep(get_snapshot_, reader_, "SELECT state, through_seq, compacted_at FROM snapshots WHERE room = ?");
    prep(get_runs_, reader_, "SELECT seq, first_seq, data FROM runs WHERE room = ? ORDER BY seq");
    prep(get_rooms_, reader_, "SELECT room FROM snapshots UNION SELECT room FROM runs ORDER BY 1");
    prep(get_log_figures_, reader_,
         "SELECT coalesce(sum(seq - first_seq + 1), 0), coalesce(sum(length(data)), 0) FROM runs WHERE room = ?");
    return st;
  }

  std::string name() const override { return "sqlite"; }

  Status load(const std::string& room, StoredDocument* out) override {
    std::lock_guard lock(read_mu_);
    *out = {};
    // One read transaction: the snapshot and the log it continues.
    if (read_begin_.step() != SQLITE_DONE) return finish_read(reader_.error("begin"));
    read_begin_.reset();
    get_snapshot_.bind_text(1, room);
    int rc = get_snapshot_.step();
    uint64_t through = 0;
    if (rc == SQLITE_ROW) {
      out->snapshot = get_snapshot_.column_blob(0);
      through = uint64_t(get_snapshot_.column_int(1));
    } else if (rc != SQLITE_DONE) {
      get_snapshot_.reset();
      return finish_read(reader_.error("reading the snapshot of " + room));
    }
    get_snapshot_.reset();
    out->last_seq = through;
    get_runs_.bind_text(1, room);
    bool damaged = false;
    while ((rc = get_runs_.step()) == SQLITE_ROW) {
      uint64_t seq = uint64_t(get_runs_.column_int(0));
      if (seq <= through) continue;  // covered by the snapshot
      auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(get_runs_.get(), 2));
      size_t size = size_t(sqlite3_column_bytes(get_runs_.get(), 2));
      if (!split_run(data, size, uint64_t(get_runs_.column_int(1)), through, &out->updates)) {
        damaged = true;
        break;
      }
      out->last_seq = seq;
    }
    get_runs_.reset();
    if (damaged) return finish_read(Status::error("sqlite: the log of " + room + " is damaged"));
    if (rc != SQLITE_DONE) return finish_read(reader_.error("reading the log of " + room));
    return finish_read({});
  }

  Status append(const std::vector<StoredUpdate>& batch) override {
    if (batch.empty()) return {};
    std::lock_guard lock(write_mu_);
    if (Status st = begin(); !st) return st;
    Bytes run;
    for (size_t i = 0; i < batch.size();) {
      // The longest stretch of one room's consecutive updates from here.
      size_t end = i + 1;
      while (end < batch.size() && batch[end].room == batch[i].room && batch[end].seq == batch[end - 1].seq + 1) ++end;
      run.clear();
      for (size_t k = i; k < end; ++k) {
        put_varint(run, batch[k].update.size());
        run.insert(run.end(), batch[k].update.begin(), batch[k].update.end());
      }
      insert_run_.bind_text(1, batch[i].room);
      insert_run_.bind_int(2, int64_t(batch[end - 1].seq));
      insert_run_.bind_int(3, int64_t(batch[i].seq));
      insert_run_.bind_blob(4, run);
      int rc = insert_run_.step();
      insert_run_.reset();
      if (rc != SQLITE_DONE) return abort(writer_.error("appending to " + batch[i].room));
      i = end;
    }
    return commit();
  }

  Status compact(const std::string& room, const Bytes& snapshot, uint64_t through_seq) override {
    std::lock_guard lock(write_mu_);
    if (Status st = begin(); !st) return st;
    put_snapshot_.bind_text(1, room);
    put_snapshot_.bind_blob(2, snapshot);
    put_snapshot_.bind_int(3, int64_t(through_seq));
    put_snapshot_.bind_int(4, unix_ms());
    int rc = put_snapshot_.step();
    put_snapshot_.reset();
    if (rc != SQLITE_DONE) return abort(writer_.error("writing the snapshot of " + room));
    drop_runs_.bind_text(1, room);
    drop_runs_.bind_int(2, int64_t(through_seq));
    rc = drop_runs_.step();
    drop_runs_.reset();
    if (rc != SQLITE_DONE) return abort(writer_.error("trimming the log of " + room));
    return commit();
  }

  Status remove(const std::string& room) override {
    std::lock_guard lock(write_mu_);
    if (Status st = begin(); !st) return st;
    for (Statement* s : {&drop_all_runs_, &drop_snapshot_}) {
      s->bind_text(1, room);
      int rc = s->step();
      s->reset();
      if (rc != SQLITE_DONE) return abort(writer_.error("removing " + room));
    }
    return commit();
  }

  Status list(std::vector<std::string>* rooms) override {
    std::lock_guard lock(read_mu_);
    rooms->clear();
    int rc;
    while ((rc = get_rooms_.step()) == SQLITE_ROW) rooms->push_back(get_rooms_.column_text(0));
    get_rooms_.reset();
    return rc == SQLITE_DONE ? Status() : reader_.error("listing rooms");
  }

  Status figures(const std::string& room, StoreFigures* out) override {
    std::lock_guard lock(read_mu_);
    *out = {};
    get_log_figures_.bind_text(1, room);
    int rc = get_log_figures_.step();
    if (rc == SQLITE_ROW) {
      out->log_entries = uint64_t(get_log_figures_.column_int(0));
      out->log_bytes = uint64_t(get_log_figures_.column_int(1));
    }
    get_log_figures_.reset();
    if (rc != SQLITE_ROW) return reader_.error("reading figures of " + room);
    get_snapshot_.bind_text(1, room);
    rc = get_snapshot_.step();
    if (rc == SQLITE_ROW) {
      out->snapshot_bytes = uint64_t(sqlite3_column_bytes(get_snapshot_.get(), 0));
      out->last_compaction_unix_ms = get_snapshot_.column_int(2);
    }
    get_snapshot_.reset();
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? Status() : reader_.error("reading figures of " + room);
  }

 private:
  Status begin() {
    int rc = begin_.step();
    begin_.reset();
    return rc == SQLITE_DONE ? Status() : writer_.error("begin");
  }
  Status commit() {
    int rc = commit_.step();
    commit_.reset();
    if (rc == SQLITE_DONE) return {};
    return abort(writer_.error("commit"));
  }
  Status abort(Status why) {
    if (!sqlite3_get_autocommit(writer_.db())) {
      rollback_.step();
      rollback_.reset();
    }
    return why;
  }
  Status finish_read(Status st) {
    if (!sqlite3_get_autocommit(reader_.db())) {
      read_end_.step();
      read_end_.reset();
    }
    return st;
  }

  std::mutex write_mu_, read_mu_;
  Connection writer_, reader_;
  // Declared after the connections: finalized before they close.
  Statement begin_, commit_, rollback_, insert_run_, put_snapshot_, drop_runs_, drop_all_runs_, drop_snapshot_;
  Statement read_begin_, read_end_, get_snapshot_, get_runs_, get_rooms_, get_log_figures_;
};

}  // namespace

Status open_sqlite_store(const std::string& dir, std::shared_ptr<DocumentStore>* out) {
  auto store = std::make_shared<SqliteStore>();
  if (Status st = store->open(dir); !st) return st;
  *out = std::move(store);
  return {};
}

}  // namespace conflux
