// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/backlog.h"
#include "domain/frame.h"
#include "domain/grant.h"
#include "domain/limits_hit.h"
#include "domain/string_keys.h"
#include "presence/member.h"
#include "presence/server_hooks.h"
#include "presence/server_options.h"
#include "domain/token_bucket.h"
#include "protocol/acknowledgment.h"

namespace presence {

class Connection;
// Connections whose grant ends, by when it ends.
using Expiries = std::multimap<std::chrono::system_clock::time_point, Connection*>;

// One connection's protocol state: who it is, what it may do, what it acknowledged, what
// it was invited to. Owned by the PresenceService; the transport holds it only through
// its Link. A resumable connection outlives its link: between a lost link and the next
// one it is detached, and what it is sent meanwhile goes to its backlog only.
//
// What it holds for its peer (frames waiting for acknowledgment, the ids of its requests,
// its resume backlog, its pending invitations, its counts-only channels) counts against
// one budget of bytes.
class Connection final {
public:
    Connection(Link& link, std::string session_id, const PresenceOptions& options, Grant grant,
               LimitsHit& limits_hit, const ServerHooks& hooks)
        : requests(options.max_requests_per_second, static_cast<double>(options.request_burst)),
          invitations_sent(options.max_invitations_per_minute / 60.0,
                           static_cast<double>(options.max_invitations_per_minute)),
          info_updates(options.max_info_updates_per_second, static_cast<double>(options.info_update_burst)),
          link_(&link),
          session_id_(std::move(session_id)),
          limits_hit_(limits_hit),
          hooks_(hooks),
          max_invitations_(options.max_pending_invitations),
          max_state_bytes_(options.max_connection_state_bytes),
          invitations_received_(options.max_invitations_received_per_minute / 60.0,
                                static_cast<double>(options.max_invitations_received_per_minute)) {
        set_grant(std::move(grant));
    }

    // Sends, keeps the frame for re-sending until acknowledged when it has an id, and
    // remembers the invitation it carries: what an engine's fan-out calls for each
    // recipient on this node. Never touches presence state, so the engine may call it in
    // the middle of a fan-out.
    void deliver(const FramePtr& frame);
    // Sends a frame that no acknowledgment or invitation bookkeeping applies to.
    // `made_at` goes with the bytes to the link (see Frame::made_at).
    void send(const Bytes& bytes, MadeAt made_at = {});
    // Sends outside the numbered stream of frames a resume replays: heartbeat and resume
    // answers, and the replayed frames themselves.
    void send_aside(const Bytes& bytes, MadeAt made_at = {});
    // From then on nothing more is sent or kept, and the connection cannot be resumed:
    // the server ended it.
    void close(unsigned short code, std::string_view reason);
    // Tells the on_error hook, with the member and the peer the link describes.
    void report_error(std::string_view what) const;

    // From now on every frame sent is numbered and kept in a backlog of these bounds.
    void make_resumable(std::string token, std::size_t max_frames, std::size_t max_bytes);
    bool resumable() const { return backlog_.has_value() && !closing_; }
    // Empty until the connection is made resumable.
    const std::string& resume_token() const { return resume_token_; }
    Backlog& backlog() { return *backlog_; }

    void detach() { link_ = nullptr; }
    void attach(Link& link) { link_ = &link; }
    bool attached() const { return link_ != nullptr; }
    Link* link() const { return link_; }

    const std::string& session_id() const { return session_id_; }
    const std::optional<Member>& member() const { return member_; }
    void set_member(std::optional<Member> member) { member_ = std::move(member); }

    const Grant& grant() const { return grant_; }
    // A resumed member takes the grant of the connection it resumes on.
    void set_grant(Grant grant);

    // Whether a frame fanned out to this connection is for it (see View).
    bool wants(const Frame& frame) const;
    // The views it takes (see View); only Views changes them, as it counts who takes each.
    bool takes_diffs() const { return diffs_; }
    bool takes_users() const { return users_; }
    bool takes_updates() const { return updates_; }
    bool has_views() const { return diffs_ || takes_counts(); }
    // Whether it takes only the member count of some channel.
    bool takes_counts() const { return !counts_only_.empty(); }

    // Whether `bytes` more still fit in the budget.
    bool has_room_for(std::size_t bytes) const {
        return max_state_bytes_ == 0 || state_bytes() + bytes <= max_state_bytes_;
    }

    // Pending invitations, oldest first: one taken by its inviter and channel, all those
    // to a channel, or every one.
    std::optional<Invitation> take_invitation(std::string_view inviter_id, std::string_view channel);
    std::vector<Invitation> take_invitations(std::string_view channel);
    void forget_invitations();

    bool said_hello = false;
    std::size_t invalid_in_a_row = 0;
    protocol::AckQueue unacknowledged;
    protocol::SeenIds seen_ids;
    TokenBucket requests;
    TokenBucket invitations_sent;
    TokenBucket info_updates;
    std::optional<Expiries::iterator> expiry;  // its entry while its grant has not ended
    std::shared_ptr<const void> hold;  // while detached: what the transport gave lose()

private:
    friend class Views;
    void set_views(bool diffs, bool users, bool updates) {
        diffs_ = diffs;
        users_ = users;
        updates_ = updates;
    }
    void drop_views() {
        diffs_ = false;
        users_ = false;
        counts_only_.clear();
        counts_only_bytes_ = 0;
    }
    // Takes only the count of `channel` from now on; false, and nothing changed, when the
    // channel does not fit in the budget.
    bool take_counts_only(const std::string& channel);
    void drop_counts_only(const std::string& channel);
    // Drops the channels its grant no longer allows.
    void keep_counts_to_grant();

    std::size_t state_bytes() const;
    void fit();
    bool receive_invitation(const Invitation& invitation);
    void remember(const Invitation& invitation);
    void forget_oldest_invitation();

    Link* link_;
    std::string session_id_;
    LimitsHit& limits_hit_;
    const ServerHooks& hooks_;
    std::size_t max_invitations_;
    std::size_t max_state_bytes_;
    Grant grant_;
    // Its grant lets it see presence as a whole (the empty channel): every member's
    // arrival, departure and update.
    bool sees_everyone_ = true;
    bool closing_ = false;
    bool diffs_ = false;    // takes diffs instead of other members' changes
    bool users_ = false;    // takes a user's first join and last leave instead of each of its connections'
    bool updates_ = false;  // takes members' updates of their name and info
    std::optional<Member> member_;
    std::string resume_token_;
    std::optional<Backlog> backlog_;
    std::deque<Invitation> invitations_;
    std::size_t invitations_bytes_ = 0;
    StringSet counts_only_;
    std::size_t counts_only_bytes_ = 0;
    TokenBucket invitations_received_;
};

}  // namespace presence
