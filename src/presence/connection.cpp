#include "presence/connection.h"

namespace presence {

void Connection::deliver(const FramePtr& frame) {
    const Bytes bytes = bytes_of(frame);
    if (!frame->ack_id.empty()) unacknowledged.track(frame->ack_id, bytes, protocol::Clock::now());
    link_.send(bytes);
}

}  // namespace presence
