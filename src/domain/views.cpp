// SPDX-License-Identifier: Apache-2.0
#include "domain/views.h"

#include <algorithm>
#include <tuple>

#include "protocol/text.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;
namespace extension = protocol::extension;

bool joins(Change change) { return change == Change::member_new || change == Change::channel_member_new; }

}  // namespace

template <typename Edit>
void Views::change(Connection& c, Edit edit) {
    const bool viewed = c.has_views();
    const bool counted = c.takes_counts();
    const bool users = c.takes_users();
    edit();
    const auto recount = [](bool before, bool after, std::size_t& count) {
        if (before != after) after ? ++count : --count;
    };
    recount(viewed, c.has_views(), viewers_);
    recount(counted, c.takes_counts(), counters_);
    recount(users, c.takes_users(), user_viewers_);
    if (viewers_ == 0) pending_diffs_.clear();
    if (user_viewers_ > 0) return;
    pending_leaves_.clear();
    leave_index_.clear();
}

void Views::choose(Connection& c, bool diffs, bool users, bool updates) {
    change(c, [&] { c.set_views(diffs, users, updates); });
}

void Views::drop(Connection& c) {
    change(c, [&c] { c.drop_views(); });
}

void Views::keep_to_grant(Connection& c) {
    change(c, [&c] { c.keep_counts_to_grant(); });
}

bool Views::may_list(Connection& c, const Message& request, const Member& self, const std::string& channel) {
    if (!c.grant().may_join(channel)) {
        answers_.error(c, request, ErrorCode::send_members_denied);
        return false;
    }
    if (!channel.empty() && !engine_.channel_exists(channel)) {
        answers_.error(c, request, ErrorCode::channel_not_exists);
        return false;
    }
    if (!allowed(hooks_.before_send_members, channel, self)) {
        answers_.error(c, request, ErrorCode::send_members_denied);
        return false;
    }
    if (c.has_views()) flush_diff(channel);
    return true;
}

void Views::get_count(Connection& c, const Message& request) {
    if (!answers_.self_of(c, request) || !answers_.valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (!c.grant().may_join(channel)) return answers_.error(c, request, ErrorCode::send_members_denied);
    if (c.has_views()) flush_diff(channel);
    c.deliver(count_frame(channel, View::any));
}

void Views::set_counts_only(Connection& c, const Message& request) {
    if (!answers_.self_of(c, request) || !answers_.valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    const std::string mode = request.text.value_or("");
    if (mode != extension::on && mode != extension::off)
        return answers_.reject(c, request, ErrorCode::invalid_params, "message.text must be \"on\" or \"off\"");
    if (!c.grant().may_join(channel)) return answers_.error(c, request, ErrorCode::send_members_denied);
    bool taken = true;
    change(c, [&] {
        if (mode == extension::on) taken = c.take_counts_only(channel);
        else c.drop_counts_only(channel);
    });
    if (!taken)
        return answers_.reject(c, request, ErrorCode::invalid_params,
                               "counts only not taken: this connection holds the most it may (" +
                                   std::to_string(options_.max_connection_state_bytes) + " bytes)");
    c.deliver(count_frame(channel, View::any));
}

std::size_t Views::count_of(std::string_view channel) const {
    return channel.empty() ? engine_.count_members() : engine_.member_count(channel);
}

FramePtr Views::count_frame(const std::string& channel, View view) const {
    Message count = message_of(Method::count);
    count.channel = channel;
    count.text = std::to_string(count_of(channel));
    auto frame = frames_.make(std::move(count));
    frame->view = view;
    frame->channel = channel;
    return frame;
}

void Views::changed(Change change, const Member& member, std::string_view channel) {
    if (!member.user.empty()) count_user(change, member, channel);
    if (viewers_ == 0) return;
    // Changes gather for the diff interval from the first one on.
    const bool first_change = pending_diffs_.empty();
    if (first_change) next_flush_ = protocol::Clock::now() + options_.diff_interval;
    auto [it, fresh] = pending_diffs_.try_emplace(std::string(channel));
    PendingDiff& diff = it->second;
    auto [entry, first] = diff.entries.try_emplace(member.id);
    if (first) diff.order.push_back(member.id);
    if (joins(change)) entry->second.joined = member;
    else if (entry->second.joined) entry->second.joined.reset();
    else entry->second.left = member;
    if (first_change && wake_) wake_();
}

// A diff still to be sent must not give the member as it was before its update, which
// its recipients may have had already.
void Views::updated(const Member& member) {
    for (auto& [channel, diff] : pending_diffs_) {
        const auto it = diff.entries.find(member.id);
        if (it != diff.entries.end() && it->second.joined) it->second.joined = member;
    }
}

void Views::flush(protocol::Clock::time_point now) {
    flush_leaves(now);
    if (now < next_flush_ || options_.diff_interval.count() <= 0) return;
    while (!pending_diffs_.empty()) flush_diff(std::string(pending_diffs_.begin()->first));
}

std::optional<protocol::Clock::time_point> Views::next_flush() const {
    std::optional<protocol::Clock::time_point> next;
    if (!pending_leaves_.empty()) next = pending_leaves_.front().deadline;
    if (!pending_diffs_.empty() && options_.diff_interval.count() > 0)
        next = std::min(next.value_or(next_flush_), next_flush_);
    return next;
}

// Encoded once for the channel and fanned out to this node's members, each of whom takes
// the diff or the count if it asked for it.
void Views::flush_diff(const std::string& channel) {
    const auto it = pending_diffs_.find(channel);
    if (it == pending_diffs_.end()) return;
    const PendingDiff pending = std::move(it->second);
    pending_diffs_.erase(it);
    std::vector<Member> joined;
    std::vector<Member> left;
    for (const std::string& id : pending.order) {
        const PendingDiff::Entry& entry = pending.entries.find(id)->second;
        if (entry.left) left.push_back(*entry.left);
        if (entry.joined) joined.push_back(*entry.joined);
    }
    if (joined.empty() && left.empty()) return;
    Message diff = message_of(Method::diff);
    diff.channel = channel;
    diff.text = std::to_string(joined.size()) + " " + std::to_string(count_of(channel));
    diff.members = std::move(joined);
    diff.members->insert(diff.members->end(), left.begin(), left.end());
    auto frame = frames_.make(std::move(diff));
    frame->view = View::diff;
    frame->channel = channel;
    engine_.publish_local(channel, frame);
    if (counters_ > 0) engine_.publish_local(channel, count_frame(channel, View::count));
}

// Each user once, its connections under it; members without a user each on their own.
void Views::get_users(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (!may_list(c, request, *self, channel)) return;
    Message answer = message_of(Method::users);
    answer.member = *self;
    answer.channel = channel;
    answer.members = channel.empty() ? engine_.all_members() : engine_.members(channel);
    std::sort(answer.members->begin(), answer.members->end(), [](const Member& a, const Member& b) {
        return std::tie(a.user, a.id) < std::tie(b.user, b.id);
    });
    c.deliver(frames_.make(std::move(answer)));
}

void Views::count_user(Change change, const Member& member, std::string_view channel) {
    auto per_channel = user_counts_.find(channel);
    if (joins(change)) {
        if (per_channel == user_counts_.end())
            per_channel = user_counts_.emplace(std::string(channel), StringMap<std::size_t>{}).first;
        if (++per_channel->second[member.user] == 1) announce_user(change, member, channel);
        return;
    }
    if (per_channel == user_counts_.end()) return;
    const auto user = per_channel->second.find(member.user);
    if (user == per_channel->second.end() || --user->second > 0) return;
    per_channel->second.erase(user);
    if (per_channel->second.empty()) user_counts_.erase(per_channel);
    announce_user(change, member, channel);
}

// A first join right after the user's last leave (within the grace) cancels that leave,
// and neither is told.
void Views::announce_user(Change change, const Member& member, std::string_view channel) {
    if (user_viewers_ == 0) return;
    std::string key = std::string(channel) + '\0' + member.user;
    const auto pending = leave_index_.find(key);
    if (joins(change) && pending != leave_index_.end()) {
        pending_leaves_.erase(pending->second);
        leave_index_.erase(pending);
        return;
    }
    FramePtr frame = frames_.change(change, member, channel, View::user);
    if (joins(change) || options_.user_leave_grace.count() <= 0) return engine_.publish_local(channel, frame);
    const auto deadline = protocol::Clock::now() + options_.user_leave_grace;
    pending_leaves_.push_back({key, std::string(channel), std::move(frame), deadline});
    leave_index_.emplace(std::move(key), std::prev(pending_leaves_.end()));
    if (pending_leaves_.size() == 1 && wake_) wake_();
}

void Views::flush_leaves(protocol::Clock::time_point now) {
    while (!pending_leaves_.empty() && pending_leaves_.front().deadline <= now) {
        const PendingLeave leave = std::move(pending_leaves_.front());
        leave_index_.erase(leave.key);
        pending_leaves_.pop_front();
        engine_.publish_local(leave.channel, leave.frame);
    }
}

}  // namespace presence
