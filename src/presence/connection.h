#pragma once

#include <deque>
#include <optional>
#include <string>

#include "presence/frame.h"
#include "presence/member.h"
#include "protocol/acknowledgment.h"

namespace presence {

// One connection's protocol state: who it is, what it acknowledged, what it was invited
// to. Owned by the PresenceService; the transport holds it only through its Link.
class Connection final : public Peer {
public:
    Connection(Link& link, std::string session_id, std::size_t max_invitations)
        : link_(link), session_id_(std::move(session_id)), max_invitations_(max_invitations) {}

    // Sends, keeps the frame for re-sending until acknowledged when it has an id, and
    // remembers the invitation it carries. Never touches presence state, so the engine
    // may call it in the middle of a fan-out.
    void deliver(const FramePtr& frame) override;
    void close(unsigned short code, std::string_view reason) { link_.close(code, reason); }
    void send(const Bytes& bytes) { link_.send(bytes); }

    Link& link() const { return link_; }
    const std::string& session_id() const { return session_id_; }
    const std::optional<Member>& member() const { return member_; }
    void set_member(std::optional<Member> member) { member_ = std::move(member); }

    bool said_hello = false;
    std::size_t invalid_in_a_row = 0;
    protocol::AckQueue unacknowledged;
    protocol::SeenIds seen_ids;
    std::deque<Invitation> invitations;  // pending, oldest first

private:
    void remember(const Invitation& invitation);

    Link& link_;
    std::string session_id_;
    std::size_t max_invitations_;
    std::optional<Member> member_;
};

}  // namespace presence
