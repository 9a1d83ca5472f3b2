#include "presence/connection.h"

#include <algorithm>

namespace presence {

void Connection::deliver(const FramePtr& frame) {
    if (!wants(*frame)) return;
    const Bytes bytes = bytes_of(frame);
    if (!frame->ack_id.empty()) unacknowledged.track(frame->ack_id, bytes, protocol::Clock::now());
    if (frame->invitation) remember(*frame->invitation);
    send(bytes);
}

// Its own changes always reach a connection: they confirm its requests.
bool Connection::wants(const Frame& frame) const {
    switch (frame.view) {
    case View::any: return true;
    case View::change:
        if (frame.about == session_id_) return true;
        return !(users && frame.of_user) && !diffs && !counts_only.contains(frame.channel);
    case View::diff: return diffs && !counts_only.contains(frame.channel);
    case View::count: return counts_only.contains(frame.channel);
    case View::user: return users && frame.about != session_id_ && !diffs && !counts_only.contains(frame.channel);
    case View::update: return updates;
    }
    return true;
}

void Connection::send(const Bytes& bytes) {
    if (backlog_) backlog_->push(bytes);
    send_aside(bytes);
}

void Connection::send_aside(const Bytes& bytes) {
    if (link_) link_->send(bytes);
}

void Connection::close(unsigned short code, std::string_view reason) {
    if (link_) link_->close(code, reason);
}

void Connection::make_resumable(std::string token, std::size_t max_frames, std::size_t max_bytes) {
    resume_token_ = std::move(token);
    backlog_.emplace(max_frames, max_bytes);
}

// One entry per inviter and channel; past the limit the oldest is forgotten.
void Connection::remember(const Invitation& invitation) {
    const bool known = std::any_of(invitations.begin(), invitations.end(), [&](const Invitation& p) {
        return p.inviter_id == invitation.inviter_id && p.channel == invitation.channel;
    });
    if (known) return;
    invitations.push_back(invitation);
    if (invitations.size() > max_invitations_) invitations.pop_front();
}

}  // namespace presence
