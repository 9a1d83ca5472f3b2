// SPDX-License-Identifier: Apache-2.0
#include "domain/membership.h"

#include <chrono>

#include "protocol/text.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;

// A page request's text: how many members at most, then, after a colon, the cursor (the
// last id of the previous page; absent for the first page).
struct PageRequest {
    std::size_t limit = 0;
    std::string_view cursor;
};

std::optional<PageRequest> parse_page(std::string_view text, std::size_t max_limit) {
    const std::size_t colon = text.find(':');
    const std::optional<std::size_t> limit = protocol::parse_count(text.substr(0, colon));
    if (!limit || *limit == 0 || *limit > max_limit) return std::nullopt;
    PageRequest request{*limit, {}};
    if (colon != std::string_view::npos) request.cursor = text.substr(colon + 1);
    return request;
}

}  // namespace

Member declared_member(const Connection& c, const Message& request) {
    Member member = request.member.value_or(Member{});
    if (member.id.empty()) member.id = c.session_id();
    return member;
}

void apply_grant(Member& member, const Grant& grant) {
    if (grant.name) member.name = *grant.name;
    if (grant.info) member.info = *grant.info;
    if (grant.user) member.user = *grant.user;
}

void Membership::join(Connection& c, const Message& request) {
    if (c.member()) return answers_.error(c, request, ErrorCode::member_already_exists);
    Member member = declared_member(c, request);
    if (member.id != c.session_id()) return answers_.error(c, request, ErrorCode::member_not_exists);
    // A declared user other than the one the grant fixes would speak for someone else: the
    // users view would never see that user leave.
    const std::optional<std::string>& user = c.grant().user;
    if (user && !member.user.empty() && member.user != *user)
        return answers_.reject(c, request, ErrorCode::invalid_params,
                               user->empty() ? "member.user is not allowed: the connection has no user"
                                             : "member.user differs from the user of the connection's token");
    apply_grant(member, c.grant());
    if (!answers_.fits(c, request, member)) return;
    if (!allowed(hooks_.before_new_member, member))
        return answers_.error(c, request, ErrorCode::new_member_denied, {}, &member);
    if (!engine_.add_member(member, c, frames_.change(Change::member_new, member, "", View::change)))
        return answers_.error(c, request, ErrorCode::member_already_exists, {}, &member);
    c.set_member(member);
    ++statistics_.activity.joins;
    notify(hooks_.on_new_member, member);
}

void Membership::leave(Connection& c, const Message& request) {
    if (answers_.self_of(c, request)) remove_member(c);
}

// The leaver is still a member while its departures go out, so it hears them too when
// it is still connected.
void Membership::remove_member(Connection& c) {
    const Member self = *c.member();
    for (const std::string& channel : engine_.channels_of(self.id)) remove_from_channel(self, channel);
    engine_.remove_member(self.id, frames_.change(Change::member_remove, self, "", View::change));
    c.set_member(std::nullopt);
    c.forget_invitations();
    ++statistics_.activity.leaves;
    notify(hooks_.on_remove_member, self);
}

void Membership::remove_from_channel(const Member& self, const std::string& channel) {
    const bool freed = engine_.unsubscribe(channel, self.id,
                                           frames_.change(Change::channel_member_remove, self, channel, View::change));
    notify(hooks_.on_remove_channel_member, channel, self);
    if (freed) notify(hooks_.on_remove_channel, channel);
}

void Membership::keep_to_grant(Connection& c) {
    if (!c.member()) return;
    const Member self = *c.member();
    for (const std::string& channel : engine_.channels_of(self.id))
        if (!c.grant().may_join(channel)) remove_from_channel(self, channel);
}

void Membership::send_lists(Connection& c) {
    if (!c.member()) return;
    for (const std::string& channel : engine_.channels_of(c.member()->id))
        c.deliver(members_frame(*c.member(), channel));
}

void Membership::subscribe(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, true)) return;
    const std::string& channel = *request.channel;
    const std::optional<ErrorCode> error = try_subscribe(c, *self, channel);
    if (error) answers_.error(c, request, *error);
    invitations_.settle(c, channel, error);
}

std::optional<ErrorCode> Membership::try_subscribe(const Connection& c, const Member& self,
                                                   const std::string& channel) {
    if (!c.grant().may_join(channel)) return ErrorCode::subscription_denied;
    if (engine_.is_subscribed(channel, self.id)) return ErrorCode::subscription_already_exists;
    if (at_limit(engine_.channels_of(self.id).size(), options_.max_channels_per_member)) {
        ++statistics_.limits_hit.channels;
        return ErrorCode::too_many_channels;
    }
    if (at_limit(engine_.member_count(channel), options_.max_channel_members)) {
        ++statistics_.limits_hit.channel_full;
        return ErrorCode::channel_full;
    }
    if (!engine_.channel_exists(channel) && !allowed(hooks_.before_new_channel, channel, self))
        return ErrorCode::new_channel_denied;
    if (!allowed(hooks_.before_new_channel_member, channel, self)) return ErrorCode::subscription_denied;
    if (engine_.subscribe(channel, self.id, frames_.change(Change::channel_member_new, self, channel, View::change)))
        notify(hooks_.on_new_channel, channel);
    notify(hooks_.on_new_channel_member, channel, self);
    return std::nullopt;
}

void Membership::unsubscribe(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, true)) return;
    const std::string& channel = *request.channel;
    // Nobody is in a channel its grant does not allow: whether it exists is not told.
    if (!c.grant().may_join(channel)) return answers_.error(c, request, ErrorCode::subscription_not_exists);
    if (!engine_.channel_exists(channel)) return answers_.error(c, request, ErrorCode::channel_not_exists);
    if (!engine_.is_subscribed(channel, self->id))
        return answers_.error(c, request, ErrorCode::subscription_not_exists);
    remove_from_channel(*self, channel);
}

void Membership::publish(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, false)) return;
    if (!request.text) return answers_.reject(c, request, ErrorCode::invalid_params, "message.text is required");
    const std::string channel = request.channel.value_or("");
    // Publishing to a channel takes being in it, so a channel the grant does not let the
    // member join is as forbidden as one it may not publish to, whether it exists or not.
    const bool granted = c.grant().may_publish(channel) && (channel.empty() || c.grant().may_join(channel));
    if (!granted) return answers_.error(c, request, ErrorCode::publish_denied);
    if (!channel.empty()) {
        if (!engine_.channel_exists(channel)) return answers_.error(c, request, ErrorCode::channel_not_exists);
        if (!engine_.is_subscribed(channel, self->id))
            return answers_.error(c, request, ErrorCode::subscription_not_exists);
    }
    if (!allowed(hooks_.before_publish, channel, *self, *request.text))
        return answers_.error(c, request, ErrorCode::publish_denied);
    Message out = message_of(Method::publish_msg);
    out.member = *self;
    out.channel = channel;
    out.text = *request.text;
    publish_frame(channel, std::move(out));
}

bool Membership::broadcast(std::string_view text, std::string_view channel) {
    if (!protocol::is_valid_utf8(text) || !protocol::is_valid_utf8(channel)) return false;
    Message out = message_of(Method::publish_msg);
    out.member = Member{};
    out.channel = std::string(channel);
    out.text = std::string(text);
    publish_frame(channel, std::move(out));
    return true;
}

void Membership::publish_frame(std::string_view channel, Message message) {
    const MadeAt made_at = std::chrono::steady_clock::now();
    const auto frame = frames_.make(std::move(message));
    frame->made_at = made_at;
    engine_.publish(channel, frame);
    ++statistics_.activity.publishes;
}

void Membership::get_members(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, false)) return;
    const std::string channel = request.channel.value_or("");
    if (views_.may_list(c, request, *self, channel)) c.deliver(members_frame(*self, channel));
}

FramePtr Membership::members_frame(const Member& self, const std::string& channel) const {
    Message answer = message_of(Method::send_members);
    answer.member = self;
    answer.channel = channel;
    answer.members = channel.empty() ? engine_.all_members() : engine_.members(channel);
    return frames_.make(std::move(answer));
}

void Membership::get_members_page(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, false)) return;
    const std::string text = request.text.value_or("");
    const std::optional<PageRequest> page = parse_page(text, options_.max_page_members);
    if (!page)
        return answers_.reject(c, request, ErrorCode::invalid_params,
                               "message.text must be LIMIT or LIMIT:CURSOR, with LIMIT from 1 to " +
                                   std::to_string(options_.max_page_members));
    const std::string channel = request.channel.value_or("");
    if (!views_.may_list(c, request, *self, channel)) return;
    Message answer = message_of(Method::members_page);
    answer.member = *self;
    answer.channel = channel;
    answer.members = engine_.members_page(channel, page->cursor, page->limit);
    // A full page may be the last one: the next request then gets an empty page.
    answer.text = answer.members->size() == page->limit ? answer.members->back().id : std::string();
    c.deliver(frames_.make(std::move(answer)));
}

// The fields the request carries change; those the grant fixes stay, as at join. Every
// update is announced, even one that changes nothing, so that the requester can tell it
// was made.
void Membership::update_member(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self) return;
    Member member = *self;
    if (request.member && request.carried.name && !c.grant().name) member.name = request.member->name;
    if (request.member && request.carried.info && !c.grant().info) member.info = request.member->info;
    if (!answers_.fits(c, request, member)) return;
    if (!c.info_updates.take(protocol::Clock::now())) {
        ++statistics_.limits_hit.updates;
        return answers_.error(c, request, ErrorCode::too_many_updates,
                              over_rate_text(options_.max_info_updates_per_second, "member updates"));
    }
    engine_.update_member(member, frames_.update(member));
    c.set_member(member);
    notify(hooks_.on_update_member, member);
}

// Only the node that reaped `member` runs its hooks, so that a deployment reports each
// departure once, the channels it left empty included.
void Membership::reaped(const Member& member, const std::vector<std::string>& channels) {
    for (const std::string& channel : channels) {
        notify(hooks_.on_remove_channel_member, channel, member);
        if (!engine_.channel_exists(channel)) notify(hooks_.on_remove_channel, channel);
    }
    notify(hooks_.on_remove_member, member);
}

}  // namespace presence
