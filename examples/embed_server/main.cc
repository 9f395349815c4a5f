// A host that embeds the sync server with its own authenticator and watches
// its documents change. Stock y-websocket clients connect to it unchanged:
//
//   new WebsocketProvider('ws://127.0.0.1:1234', 'notes', doc, { params: { token: 'alice-token' } })
//
//   embed_server [PORT]     (0 picks a free port; Ctrl-C stops)
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <thread>

#include "conflux/server.h"

namespace {

// The host's own user store: fixed tokens instead of JWTs.
class TokenTableAuthenticator : public conflux::Authenticator {
 public:
  conflux::AuthResult authenticate(const conflux::AuthRequest& request) override {
    static const std::map<std::string, std::string, std::less<>> users = {{"alice-token", "alice"},
                                                                          {"bob-token", "bob"}};
    auto it = users.find(request.token);
    if (it == users.end()) return conflux::AuthResult::refuse("unknown token");
    conflux::Identity id;
    id.user = it->second;
    id.session_id = it->second + "-session";
    return conflux::AuthResult::accept(std::move(id));
  }
};

}  // namespace

int main(int argc, char** argv) {
  conflux::ServerOptions options;
  options.port = argc > 1 ? uint16_t(std::atoi(argv[1])) : 1234;
  options.threads = 2;
  options.on_document_update = [](const std::string& room, const conflux::Doc& doc, const conflux::Bytes& update) {
    // Runs on the room's thread: reading the document here is safe.
    std::printf("room %s changed (%zu bytes): %s\n", room.c_str(), update.size(), doc.to_json().to_json().c_str());
    std::fflush(stdout);
  };

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  conflux::Server server(options, std::make_shared<TokenTableAuthenticator>());
  if (auto st = server.start(); !st) {
    std::fprintf(stderr, "embed_server: %s\n", st.message().c_str());
    return 1;
  }
  std::printf("listening on http://127.0.0.1:%u\n", unsigned(server.port()));
  std::fflush(stdout);
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  });
  server.run();
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  return 0;
}
