#include "sync_messages.h"

#include "id_set.h"
#include "lib0.h"

namespace conflux::protocol {

Status decode_message(const uint8_t* data, size_t size, Message* out) {
  lib0::Reader r(data, size);
  uint64_t type = r.read_var_uint();
  if (!r.ok()) return Status::error("empty or truncated message");
  switch (type) {
    case 0: {
      uint64_t step = r.read_var_uint();
      if (r.ok() && step > 2) return Status::error("unknown sync message type " + std::to_string(step));
      out->type = MessageType::Sync;
      out->sync = SyncStep(step);
      out->payload = r.read_var_bytes();
      break;
    }
    case 1:
      out->type = MessageType::Awareness;
      out->payload = r.read_var_bytes();
      break;
    case 2: {
      out->type = MessageType::Auth;
      uint64_t auth_type = r.read_var_uint();
      if (r.ok() && auth_type != 0) return Status::error("unknown auth message type " + std::to_string(auth_type));
      out->reason = r.read_var_string();
      break;
    }
    case 3:
      out->type = MessageType::QueryAwareness;
      break;
    default:
      return Status::error("unknown message type " + std::to_string(type));
  }
  if (!r.ok()) return Status::error(std::string("malformed message: ") + r.error());
  if (out->type == MessageType::Sync && out->sync == SyncStep::Step1) {
    StateVector sv;
    if (!decode_state_vector(out->payload.data(), out->payload.size(), &sv))
      return Status::error("sync step 1: malformed state vector");
  }
  return Status();
}

namespace {
Bytes sync_message(SyncStep step, const Bytes& payload) {
  lib0::Writer w;
  w.write_var_uint(uint64_t(MessageType::Sync));
  w.write_var_uint(uint64_t(step));
  w.write_var_bytes(payload);
  return w.take();
}
}  // namespace

Bytes encode_sync_step1(const Bytes& state_vector) { return sync_message(SyncStep::Step1, state_vector); }
Bytes encode_sync_step2(const Bytes& update) { return sync_message(SyncStep::Step2, update); }
Bytes encode_sync_update(const Bytes& update) { return sync_message(SyncStep::Update, update); }

Bytes encode_awareness(const Bytes& awareness_update) {
  lib0::Writer w;
  w.write_var_uint(uint64_t(MessageType::Awareness));
  w.write_var_bytes(awareness_update);
  return w.take();
}

Bytes encode_permission_denied(std::string_view reason) {
  lib0::Writer w;
  w.write_var_uint(uint64_t(MessageType::Auth));
  w.write_var_uint(0);
  w.write_var_string(reason);
  return w.take();
}

Bytes encode_query_awareness() { return Bytes{uint8_t(MessageType::QueryAwareness)}; }

}  // namespace conflux::protocol
