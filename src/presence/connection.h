#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "presence/backlog.h"
#include "presence/frame.h"
#include "presence/grant.h"
#include "presence/string_keys.h"
#include "presence/member.h"
#include "presence/server_options.h"
#include "presence/token_bucket.h"
#include "protocol/acknowledgment.h"

namespace presence {

class Connection;
// Connections whose grant ends, by when it ends.
using Expiries = std::multimap<std::chrono::system_clock::time_point, Connection*>;

// One connection's protocol state: who it is, what it may do, what it acknowledged, what
// it was invited to. Owned by the PresenceService; the transport holds it only through
// its Link. A resumable connection outlives its link: between a lost link and the next
// one it is detached, and what it is sent meanwhile goes to its backlog only.
class Connection final : public Peer {
public:
    Connection(Link& link, std::string session_id, const PresenceOptions& options, Grant grant)
        : grant(std::move(grant)),
          requests(options.max_requests_per_second, static_cast<double>(options.request_burst)),
          invitations_sent(options.max_invitations_per_minute / 60.0,
                           static_cast<double>(options.max_invitations_per_minute)),
          info_updates(options.max_info_updates_per_second, static_cast<double>(options.info_update_burst)),
          link_(&link),
          session_id_(std::move(session_id)),
          max_invitations_(options.max_pending_invitations) {}

    // Sends, keeps the frame for re-sending until acknowledged when it has an id, and
    // remembers the invitation it carries. Never touches presence state, so the engine
    // may call it in the middle of a fan-out.
    void deliver(const FramePtr& frame) override;
    // Sends a frame that no acknowledgment or invitation bookkeeping applies to.
    void send(const Bytes& bytes);
    // Sends outside the numbered stream of frames a resume replays: heartbeat and resume
    // answers, and the replayed frames themselves.
    void send_aside(const Bytes& bytes);
    void close(unsigned short code, std::string_view reason);

    // From now on every frame sent is numbered and kept in a backlog of these bounds.
    void make_resumable(std::string token, std::size_t max_frames, std::size_t max_bytes);
    bool resumable() const { return backlog_.has_value(); }
    const std::string& resume_token() const { return resume_token_; }
    Backlog& backlog() { return *backlog_; }

    void detach() { link_ = nullptr; }
    void attach(Link& link) { link_ = &link; }
    bool attached() const { return link_ != nullptr; }
    Link* link() const { return link_; }

    const std::string& session_id() const { return session_id_; }
    const std::optional<Member>& member() const { return member_; }
    void set_member(std::optional<Member> member) { member_ = std::move(member); }

    // Whether a frame fanned out to this connection is for it (see View).
    bool wants(const Frame& frame) const;
    bool has_views() const { return diffs || !counts_only.empty(); }
    void drop_views() {
        diffs = false;
        users = false;
        counts_only.clear();
    }

    const Grant grant;
    bool said_hello = false;
    bool diffs = false;   // takes diffs instead of other members' changes
    bool users = false;   // takes a user's first join and last leave instead of each of its connections'
    StringSet counts_only;  // channels of which it takes only the member count
    bool updates = false;   // takes members' updates of their name and info
    std::size_t invalid_in_a_row = 0;
    protocol::AckQueue unacknowledged;
    protocol::SeenIds seen_ids;
    std::deque<Invitation> invitations;  // pending, oldest first
    TokenBucket requests;
    TokenBucket invitations_sent;
    TokenBucket info_updates;
    std::optional<Expiries::iterator> expiry;  // its entry while its grant has not ended
    std::shared_ptr<const void> hold;  // while detached: what the transport gave lose()

private:
    void remember(const Invitation& invitation);

    Link* link_;
    std::string session_id_;
    std::size_t max_invitations_;
    std::optional<Member> member_;
    std::string resume_token_;
    std::optional<Backlog> backlog_;
};

}  // namespace presence
