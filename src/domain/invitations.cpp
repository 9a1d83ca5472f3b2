// SPDX-License-Identifier: Apache-2.0
#include "domain/invitations.h"

#include <utility>

#include "protocol/codec.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;
namespace extension = protocol::extension;

}  // namespace

void Invitations::invite(Connection& c, const Message& request) {
    const Member* self = answers_.self_of(c, request);
    if (!self || !answers_.valid_channel(c, request, true)) return;
    if (!request.members || request.members->empty())
        return answers_.reject(c, request, ErrorCode::invalid_params, "members[] must name the invitees");
    if (options_.max_invitees != 0 && request.members->size() > options_.max_invitees)
        return answers_.reject(c, request, ErrorCode::invalid_params,
                               "members[] names more than " + std::to_string(options_.max_invitees) +
                                   " invitees");
    const Member inviter = *self;
    if (!c.grant().may_join(*request.channel))
        return answers_.error(c, request, ErrorCode::invitation_denied);
    // However many invitees are refused, one error answers the invitation: about the first.
    std::optional<std::pair<ErrorCode, Member>> refusal;
    for (const Member& wanted : *request.members) {
        const Member* invitee = engine_.find_member(wanted.id);
        const std::optional<ErrorCode> error = invite_one(c, inviter, *request.channel, invitee);
        if (error && !refusal) refusal.emplace(*error, invitee ? *invitee : Member{wanted.id, {}, {}});
    }
    if (refusal) answers_.error(c, request, refusal->first, {}, &refusal->second);
}

// Every invitee named costs the inviter one invitation of its rate, a member or not, so
// that naming ids that are no members is no cheaper.
std::optional<ErrorCode> Invitations::invite_one(Connection& c, const Member& self, const std::string& channel,
                                                 const Member* invitee) {
    if (!c.invitations_sent.take(protocol::Clock::now())) {
        ++statistics_.limits_hit.invitations;
        return ErrorCode::too_many_invitations;
    }
    if (!invitee) return ErrorCode::member_not_exists;
    if (!allowed(hooks_.before_invite, channel, self, *invitee)) return ErrorCode::invitation_denied;
    Message invitation = message_of(Method::channel_invitation);
    invitation.member = self;
    invitation.channel = channel;
    const auto frame = frames_.make(std::move(invitation));
    frame->invitation = Invitation{self.id, channel, c.said_hello};
    engine_.send_to_member(invitee->id, frame);
    return std::nullopt;
}

void Invitations::respond(Connection& c, const Message& request) {
    if (!c.member()) return answers_.error(c, request, ErrorCode::member_not_exists);
    if (!answers_.valid_channel(c, request, true)) return;
    const std::string inviter = request.member ? request.member->id : std::string();
    if (request.text.value_or("") != extension::refused)
        return answers_.reject(c, request, ErrorCode::invalid_params, "message.text must be \"refused\"");
    const std::optional<Invitation> invitation = c.take_invitation(inviter, *request.channel);
    if (!invitation)
        return answers_.reject(c, request, ErrorCode::invalid_params, "no pending invitation from that member");
    answer(*invitation, *c.member(), extension::refused, std::nullopt);
}

void Invitations::settle(Connection& invitee, const std::string& channel, std::optional<ErrorCode> error) {
    for (const Invitation& invitation : invitee.take_invitations(channel))
        answer(invitation, *invitee.member(), extension::accepted, error);
}

void Invitations::answer(const Invitation& invitation, const Member& invitee, std::string_view answer,
                         std::optional<ErrorCode> error) {
    if (!invitation.wants_answer) return;
    Message response = message_of(Method::invitation_response);
    response.member = invitee;
    response.channel = invitation.channel;
    response.text = std::string(answer);
    if (error) response.error = protocol::make_error(*error);
    engine_.send_to_member(invitation.inviter_id, frames_.make(std::move(response)));
}

}  // namespace presence
