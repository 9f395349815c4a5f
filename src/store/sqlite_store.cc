// The embedded default store: one SQLite file in WAL mode.
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
    "CREATE TABLE IF NOT EXISTS updates ("
    "  room TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (room, seq)"
    ") WITHOUT ROWID;"
    // A number the snapshot already covers was taken by another writer: refuse
    // it, as the primary key refuses a number still in the log.
    "CREATE TRIGGER IF NOT EXISTS updates_after_snapshot BEFORE INSERT ON updates "
    "WHEN NEW.seq <= (SELECT through_seq FROM snapshots WHERE room = NEW.room) "
    "BEGIN SELECT RAISE(ABORT, 'sequence number already covered by the snapshot'); END;";

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
    prep(insert_update_, writer_, "INSERT INTO updates (room, seq, data) VALUES (?, ?, ?)");
    prep(put_snapshot_, writer_,
         "INSERT OR REPLACE INTO snapshots (room, state, through_seq, compacted_at) VALUES (?, ?, ?, ?)");
    prep(drop_updates_, writer_, "DELETE FROM updates WHERE room = ? AND seq <= ?");
    prep(drop_all_updates_, writer_, "DELETE FROM updates WHERE room = ?");
    prep(drop_snapshot_, writer_, "DELETE FROM snapshots WHERE room = ?");
    prep(read_begin_, reader_, "BEGIN");
    prep(read_end_, reader_, "COMMIT");
    prep(get_snapshot_, reader_, "SELECT state, through_seq, compacted_at FROM snapshots WHERE room = ?");
    prep(get_updates_, reader_, "SELECT seq, data FROM updates WHERE room = ? ORDER BY seq");
    prep(get_rooms_, reader_, "SELECT room FROM snapshots UNION SELECT room FROM updates ORDER BY 1");
    prep(get_log_figures_, reader_, "SELECT count(*), coalesce(sum(length(data)), 0) FROM updates WHERE room = ?");
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
    get_updates_.bind_text(1, room);
    while ((rc = get_updates_.step()) == SQLITE_ROW) {
      uint64_t seq = uint64_t(get_updates_.column_int(0));
      if (seq <= through) continue;  // covered by the snapshot (left by an interrupted compaction)
      out->updates.push_back(get_updates_.column_blob(1));
      out->last_seq = seq;
    }
    get_updates_.reset();
    if (rc != SQLITE_DONE) return finish_read(reader_.error("reading the log of " + room));
    return finish_read({});
  }

  Status append(const std::vector<StoredUpdate>& batch) override {
    if (batch.empty()) return {};
    std::lock_guard lock(write_mu_);
    if (Status st = begin(); !st) return st;
    for (const StoredUpdate& u : batch) {
      insert_update_.bind_text(1, u.room);
      insert_update_.bind_int(2, int64_t(u.seq));
      insert_update_.bind_blob(3, u.update);
      int rc = insert_update_.step();
      insert_update_.reset();
      if (rc != SQLITE_DONE) return abort(writer_.error("appending to " + u.room));
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
    drop_updates_.bind_text(1, room);
    drop_updates_.bind_int(2, int64_t(through_seq));
    rc = drop_updates_.step();
    drop_updates_.reset();
    if (rc != SQLITE_DONE) return abort(writer_.error("trimming the log of " + room));
    return commit();
  }

  Status remove(const std::string& room) override {
    std::lock_guard lock(write_mu_);
    if (Status st = begin(); !st) return st;
    for (Statement* s : {&drop_all_updates_, &drop_snapshot_}) {
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
  Statement begin_, commit_, rollback_, insert_update_, put_snapshot_, drop_updates_, drop_all_updates_,
      drop_snapshot_;
  Statement read_begin_, read_end_, get_snapshot_, get_updates_, get_rooms_, get_log_figures_;
};

}  // namespace

Status open_sqlite_store(const std::string& dir, std::shared_ptr<DocumentStore>* out) {
  auto store = std::make_shared<SqliteStore>();
  if (Status st = store->open(dir); !st) return st;
  *out = std::move(store);
  return {};
}

}  // namespace conflux
