// The DocumentStore contract, for the SQLite store and the in-memory one.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include "conflux/store.h"

using namespace conflux;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system's temp dir, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("conflux-store-" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

Bytes bytes(std::initializer_list<uint8_t> b) { return Bytes(b); }

std::shared_ptr<DocumentStore> open_store(const std::string& kind, const TempDir& dir) {
  if (kind == "memory") return make_memory_store();
  std::shared_ptr<DocumentStore> s;
  REQUIRE(open_sqlite_store(dir.path.string(), &s).ok());
  return s;
}

}  // namespace

TEST_CASE("a store keeps each room's log in order and compacts it into a snapshot", "[store]") {
  std::string kind = GENERATE(std::string("memory"), std::string("sqlite"));
  TempDir dir;
  auto store = open_store(kind, dir);
  INFO(kind);

  StoredDocument doc;
  REQUIRE(store->load("nobody", &doc).ok());
  CHECK(doc.snapshot.empty());
  CHECK(doc.updates.empty());
  CHECK(doc.last_seq == 0);

  REQUIRE(store->append({{"a", 1, bytes({1})}, {"b", 1, bytes({9})}, {"a", 2, bytes({2, 2})}}).ok());
  REQUIRE(store->append({{"a", 3, bytes({3})}}).ok());
  REQUIRE(store->load("a", &doc).ok());
  CHECK(doc.updates == std::vector<Bytes>{bytes({1}), bytes({2, 2}), bytes({3})});
  CHECK(doc.last_seq == 3);

  StoreFigures fig;
  REQUIRE(store->figures("a", &fig).ok());
  CHECK(fig.log_entries == 3);
  CHECK(fig.log_bytes >= 4);      // the updates' bytes ...
  CHECK(fig.log_bytes <= 4 + 3);  // ... and at most a length byte each
  CHECK(fig.last_compaction_unix_ms == 0);

  REQUIRE(store->compact("a", bytes({7, 7, 7}), 2).ok());
  REQUIRE(store->load("a", &doc).ok());
  CHECK(doc.snapshot == bytes({7, 7, 7}));
  CHECK(doc.updates == std::vector<Bytes>{bytes({3})});
  CHECK(doc.last_seq == 3);
  REQUIRE(store->figures("a", &fig).ok());
  CHECK(fig.log_entries == 1);
  CHECK(fig.snapshot_bytes == 3);
  CHECK(fig.last_compaction_unix_ms > 0);

  // A number already used, in the log or under the snapshot, is refused, and
  // nothing of its batch is written.
  CHECK_FALSE(store->append({{"a", 4, bytes({4})}, {"a", 3, bytes({0})}}).ok());
  CHECK_FALSE(store->append({{"a", 2, bytes({0})}}).ok());
  CHECK_FALSE(store->append({{"c", 1, bytes({1})}, {"c", 1, bytes({2})}}).ok());  // twice in one batch
  StoredDocument none;
  REQUIRE(store->load("c", &none).ok());
  CHECK(none.updates.empty());
  REQUIRE(store->load("a", &doc).ok());
  CHECK(doc.updates == std::vector<Bytes>{bytes({3})});

  std::vector<std::string> rooms;
  REQUIRE(store->list(&rooms).ok());
  CHECK(rooms == std::vector<std::string>{"a", "b"});
  REQUIRE(store->remove("a").ok());
  REQUIRE(store->list(&rooms).ok());
  CHECK(rooms == std::vector<std::string>{"b"});
  REQUIRE(store->load("a", &doc).ok());
  CHECK(doc.last_seq == 0);
  CHECK(doc.snapshot.empty());
}

TEST_CASE("the SQLite store keeps its rooms across a reopen", "[store]") {
  TempDir dir;
  {
    std::shared_ptr<DocumentStore> s;
    REQUIRE(open_sqlite_store(dir.path.string(), &s).ok());
    REQUIRE(s->append({{"room/with spaces", 1, Bytes(1000, 5)}}).ok());
    REQUIRE(s->append({{"room/with spaces", 2, Bytes()}}).ok());  // an empty blob stays a blob
  }
  std::shared_ptr<DocumentStore> s;
  REQUIRE(open_sqlite_store(dir.path.string(), &s).ok());
  StoredDocument doc;
  REQUIRE(s->load("room/with spaces", &doc).ok());
  REQUIRE(doc.updates.size() == 2);
  CHECK(doc.updates[0] == Bytes(1000, 5));
  CHECK(doc.updates[1].empty());
  CHECK(fs::exists(dir.path / "conflux.db"));
}

TEST_CASE("the SQLite store refuses a file that is not its database", "[store]") {
  TempDir dir;
  {
    std::ofstream junk(dir.path / "conflux.db", std::ios::binary);
    junk << std::string(8192, 'x');
  }
  std::shared_ptr<DocumentStore> s;
  Status st = open_sqlite_store(dir.path.string(), &s);
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("sqlite"));
}

TEST_CASE("the SQLite store names a data directory it cannot create", "[store]") {
  TempDir dir;
  { std::ofstream file(dir.path / "plain-file"); }
  std::shared_ptr<DocumentStore> s;
  Status st = open_sqlite_store((dir.path / "plain-file" / "sub").string(), &s);
  CHECK_FALSE(st.ok());
  CHECK_THAT(st.message(), Catch::Contains("data directory"));
}

TEST_CASE("a store hands back each update of a batch, and refuses a batch overlapping what it holds", "[store]") {
  std::string kind = GENERATE(std::string("memory"), std::string("sqlite"));
  TempDir dir;
  auto store = open_store(kind, dir);
  INFO(kind);
  std::vector<StoredUpdate> batch;
  std::vector<Bytes> expected;
  for (uint64_t seq = 1; seq <= 300; ++seq) {
    Bytes u(seq, uint8_t(seq));  // up to 300 bytes: lengths of one and two varint bytes
    batch.push_back({"r", seq, u});
    expected.push_back(u);
  }
  REQUIRE(store->append(batch).ok());
  StoredDocument doc;
  REQUIRE(store->load("r", &doc).ok());
  CHECK(doc.updates == expected);
  CHECK(doc.last_seq == 300);
  CHECK_FALSE(store->append({{"r", 150, Bytes{1}}, {"r", 151, Bytes{2}}}).ok());
  CHECK_FALSE(store->append({{"r", 300, Bytes{1}}, {"r", 301, Bytes{2}}}).ok());
  REQUIRE(store->append({{"r", 301, Bytes{9}}, {"r", 302, Bytes{8}}}).ok());
  REQUIRE(store->compact("r", Bytes{1, 2, 3}, 301).ok());
  REQUIRE(store->load("r", &doc).ok());
  CHECK(doc.updates == std::vector<Bytes>{Bytes{8}});
  CHECK(doc.last_seq == 302);
}
