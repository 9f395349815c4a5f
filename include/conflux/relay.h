// Scale-out: several server processes ("nodes") serving the same rooms.
//
// A Relay carries a room's updates, presence and chat between the nodes that
// have the room loaded, and keeps the room's shared log: every update any node
// published, compacted now and then into a snapshot. Redis is the bundled one:
//
//   std::shared_ptr<conflux::Relay> relay;
//   if (auto st = conflux::open_redis_relay("127.0.0.1:6379", &relay); !st) { /* st.message() */ }
//   conflux::ServerOptions options;
//   options.relay = relay;
//
// Thread-safe. join() blocks (call it off the rooms' threads); publish() and
// compact() never block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "conflux/doc.h"
#include "conflux/store.h"

namespace conflux {

struct RelayMessage {
  enum class Kind : uint8_t {
    Update,     // a v1 document update; kept in the shared log
    Awareness,  // a y-protocols awareness update; not kept
    Chat,       // a chat line as the JSON text frame clients receive; not kept
    // From the relay to a room only:
    Compact,  // the shared log is long: answer with compact(room, full state)
    Resync,   // the shared log lost data: publish the room's full state as an Update
  };
  Kind kind = Kind::Update;
  std::string payload;
};

// The relay's health, for /dashboard and /metrics.
struct RelayFigures {
  std::string endpoint;    // "redis 127.0.0.1:6379"
  bool connected = false;  // the link is up now
  uint64_t published = 0;  // messages this node sent
  uint64_t received = 0;   // messages from other nodes delivered to rooms
  uint64_t queued = 0;     // messages waiting for the link
  uint64_t reconnects = 0; // times the link came back after a failure
  uint64_t compactions = 0;
  std::string last_error;
};

class Relay {
 public:
  virtual ~Relay() = default;

  // Starts sharing `room`: fills `shared` with the room's shared log (its
  // snapshot, then the updates after it) and from then on hands `deliver`,
  // in order and on the relay's own thread, every message other nodes publish
  // for the room, plus Compact and Resync requests, until leave(room). Nothing
  // published after the state in `shared` is missed.
  //
  // When the link is down it returns an error but keeps the room: once the
  // link is back, `deliver` first gets the whole shared log as Update
  // messages, then everything after it.
  virtual Status join(const std::string& room, std::function<void(RelayMessage)> deliver,
                      StoredDocument* shared) = 0;
  virtual void leave(const std::string& room) = 0;

  // Queues a message for the other nodes. While the link is down messages
  // wait, in order, and go out when it is back.
  virtual void publish(const std::string& room, RelayMessage message) = 0;

  // The answer to a Compact request: `state` is the room's whole document,
  // which covers everything delivered before the request. Replaces that part
  // of the shared log; one node at a time compacts a room.
  virtual void compact(const std::string& room, Bytes state) = 0;

  virtual RelayFigures figures() const = 0;
};

// Connects to Redis at HOST:PORT (a Debian redis-server will do). Fails when
// the address is malformed or Redis does not answer at startup.
Status open_redis_relay(const std::string& host_port, std::shared_ptr<Relay>* out);

}  // namespace conflux
