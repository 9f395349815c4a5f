// A host that uses only the document engine: two replicas edit concurrently,
// exchange updates (bytes you would send over any channel) and converge.
#include <cstdio>

#include "conflux/doc.h"

int main() {
  conflux::Doc alice(conflux::Doc::Options{.client_id = 1});
  conflux::Doc bob(conflux::Doc::Options{.client_id = 2});

  // Watch Bob's text the way an editor would.
  auto subscription = bob.get_text("notes").observe([](const conflux::TextEvent& ev) {
    for (const auto& d : ev.delta)
      if (d.kind == conflux::Delta::Kind::Insert) std::printf("bob sees insert \"%s\"\n", d.text.c_str());
  });

  alice.get_text("notes").insert(0, "Hello");
  bob.get_text("notes").insert(0, "World");

  // Each side sends what the other lacks, as y-websocket's sync step 2 does.
  conflux::Bytes to_bob = alice.encode_state_as_update(bob.encode_state_vector());
  conflux::Bytes to_alice = bob.encode_state_as_update(alice.encode_state_vector());
  if (!bob.apply_update(to_bob) || !alice.apply_update(to_alice)) return 1;

  std::printf("alice: %s\nbob:   %s\n", alice.to_json().to_json().c_str(), bob.to_json().to_json().c_str());
  return alice.encode_state_as_update() == bob.encode_state_as_update() ? 0 : 1;
}
