// SPDX-License-Identifier: Apache-2.0
#include "domain/connection.h"

#include <algorithm>

#include "presence/close_codes.h"

namespace presence {
namespace {

std::size_t cost(const Invitation& invitation) {
    return sizeof(Invitation) + invitation.inviter_id.size() + invitation.channel.size();
}

// A channel name in a set: the string, and its share of the hash table.
std::size_t cost(const std::string& channel) { return sizeof(std::string) + 4 * sizeof(void*) + channel.size(); }

}  // namespace

void Connection::deliver(const FramePtr& frame) {
    if (closing_ || !wants(*frame)) return;
    if (frame->invitation && !receive_invitation(*frame->invitation)) return;
    const Bytes bytes = bytes_of(frame);
    if (!frame->ack_id.empty()) unacknowledged.track(frame->ack_id, bytes, protocol::Clock::now());
    send(bytes, frame->made_at);
}

// Its own changes always reach a connection: they confirm its requests. Presence as a
// whole reaches only a connection whose grant lets it list every member; the test comes
// first and costs one flag for every other connection.
bool Connection::wants(const Frame& frame) const {
    if (!sees_everyone_ && frame.view != View::any && frame.channel.empty() && frame.about != session_id_)
        return false;
    switch (frame.view) {
    case View::any: return true;
    case View::change:
        if (frame.about == session_id_) return true;
        return !(users_ && frame.of_user) && !diffs_ && !counts_only_.contains(frame.channel);
    case View::diff: return diffs_ && !counts_only_.contains(frame.channel);
    case View::count: return counts_only_.contains(frame.channel);
    case View::user: return users_ && frame.about != session_id_ && !diffs_ && !counts_only_.contains(frame.channel);
    case View::update: return updates_;
    }
    return true;
}

void Connection::send(const Bytes& bytes, MadeAt made_at) {
    if (closing_) return;
    if (backlog_) backlog_->push(bytes);
    fit();
    send_aside(bytes, made_at);
}

void Connection::send_aside(const Bytes& bytes, MadeAt made_at) {
    if (link_ && !closing_) link_->send(bytes, made_at);
}

void Connection::close(unsigned short code, std::string_view reason) {
    if (closing_) return;
    closing_ = true;
    if (link_) link_->close(code, reason);
}

void Connection::report_error(std::string_view what) const {
    if (!hooks_.on_error) return;
    hooks_.on_error(ConnectionError{session_id_, member_ ? member_->id : std::string(),
                                    std::string(link_ ? link_->peer() : std::string_view()), std::string(what)});
}

void Connection::make_resumable(std::string token, std::size_t max_frames, std::size_t max_bytes) {
    resume_token_ = std::move(token);
    backlog_.emplace(max_frames, max_bytes);
}

void Connection::set_grant(Grant grant) {
    grant_ = std::move(grant);
    sees_everyone_ = grant_.may_join("");
}

std::size_t Connection::state_bytes() const {
    return unacknowledged.bytes() + seen_ids.bytes() + (backlog_ ? backlog_->bytes() : 0) + invitations_bytes_ +
           counts_only_bytes_;
}

bool Connection::take_counts_only(const std::string& channel) {
    if (counts_only_.contains(channel)) return true;
    if (!has_room_for(cost(channel))) return false;
    counts_only_.insert(channel);
    counts_only_bytes_ += cost(channel);
    return true;
}

void Connection::drop_counts_only(const std::string& channel) {
    if (counts_only_.erase(channel) > 0) counts_only_bytes_ -= cost(channel);
}

void Connection::keep_counts_to_grant() {
    std::erase_if(counts_only_, [this](const std::string& channel) {
        if (grant_.may_join(channel)) return false;
        counts_only_bytes_ -= cost(channel);
        return true;
    });
}

// Over the budget, what may be forgotten goes first, oldest first: the resume backlog (a
// resume then starts again from the member lists), then the pending invitations. What is
// still over is frames waiting for acknowledgment: the peer does not acknowledge them.
void Connection::fit() {
    if (has_room_for(0)) return;
    while (!has_room_for(0) && backlog_ && backlog_->drop_oldest()) {
    }
    while (!has_room_for(0) && !invitations_.empty()) forget_oldest_invitation();
    if (has_room_for(0)) return;
    ++limits_hit_.state_budget;
    const std::string reason =
        "not acknowledging: over " + std::to_string(max_state_bytes_) + " bytes held for this connection";
    report_error(reason);
    close(close_code::policy_violation, reason);
}

// A member is sent so many invitations at most, from whoever they come.
bool Connection::receive_invitation(const Invitation& invitation) {
    if (!invitations_received_.take(protocol::Clock::now())) {
        ++limits_hit_.invitations_received;
        return false;
    }
    remember(invitation);
    return true;
}

// One entry per inviter and channel; past the limit the oldest is forgotten.
void Connection::remember(const Invitation& invitation) {
    const bool known = std::any_of(invitations_.begin(), invitations_.end(), [&](const Invitation& p) {
        return p.inviter_id == invitation.inviter_id && p.channel == invitation.channel;
    });
    if (known) return;
    invitations_.push_back(invitation);
    invitations_bytes_ += cost(invitation);
    if (invitations_.size() > max_invitations_) forget_oldest_invitation();
}

void Connection::forget_oldest_invitation() {
    invitations_bytes_ -= cost(invitations_.front());
    invitations_.pop_front();
}

std::optional<Invitation> Connection::take_invitation(std::string_view inviter_id, std::string_view channel) {
    const auto it = std::find_if(invitations_.begin(), invitations_.end(), [&](const Invitation& p) {
        return p.inviter_id == inviter_id && p.channel == channel;
    });
    if (it == invitations_.end()) return std::nullopt;
    Invitation taken = std::move(*it);
    invitations_bytes_ -= cost(taken);
    invitations_.erase(it);
    return taken;
}

std::vector<Invitation> Connection::take_invitations(std::string_view channel) {
    std::vector<Invitation> taken;
    for (auto it = invitations_.begin(); it != invitations_.end();) {
        if (it->channel != channel) {
            ++it;
            continue;
        }
        invitations_bytes_ -= cost(*it);
        taken.push_back(std::move(*it));
        it = invitations_.erase(it);
    }
    return taken;
}

void Connection::forget_invitations() {
    invitations_.clear();
    invitations_bytes_ = 0;
}

}  // namespace presence
