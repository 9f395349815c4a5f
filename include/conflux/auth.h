// Authentication: who may join which room, and with which rights.
//
// The server asks its Authenticator once per connection, before the WebSocket
// upgrade. JwtAuthenticator (conflux/jwt.h) is the default; a host can supply
// its own:
//
//   struct MyAuth : conflux::Authenticator {
//     conflux::AuthResult authenticate(const conflux::AuthRequest& r) override {
//       if (r.token != "let-me-in") return conflux::AuthResult::refuse("unknown token");
//       return conflux::AuthResult::accept({.user = "alice", .session_id = "s1"});
//     }
//   };
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace conflux {

// Who a connection belongs to.
struct Identity {
  std::string user;        // the JWT "sub"
  std::string session_id;  // the JWT "sid": a new one for every login
  // Rooms this identity may enter: empty = every room, "doc-1" = that room
  // only, "team-*" = every room whose id starts with "team-".
  std::string room_scope;
  bool read_only = false;  // receives the document and presence, changes nothing

  bool may_enter(std::string_view room) const;
};

struct AuthRequest {
  std::string_view room;   // the room id the client asks for
  std::string_view token;  // from ?token= or "Authorization: Bearer"; empty when absent
  std::string_view remote_address;
};

struct AuthResult {
  std::optional<Identity> identity;  // set when accepted
  std::string reason;                // why not, when refused

  static AuthResult accept(Identity id) { return {std::move(id), {}}; }
  static AuthResult refuse(std::string why) { return {std::nullopt, std::move(why)}; }
  bool ok() const { return identity.has_value(); }
};

// Called concurrently from the transport's threads: implementations must be
// thread-safe.
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual AuthResult authenticate(const AuthRequest& request) = 0;
};

}  // namespace conflux
