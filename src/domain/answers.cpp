// SPDX-License-Identifier: Apache-2.0
#include "domain/answers.h"

#include <cstdio>

#include "presence/close_codes.h"

namespace presence {
namespace {

using protocol::Message;
using protocol::Method;

}  // namespace

std::string over_rate_text(double rate, std::string_view what) {
    char text[64];
    std::snprintf(text, sizeof text, "over %g %.*s per second", rate, static_cast<int>(what.size()), what.data());
    return text;
}

void Answers::error(Connection& c, const Message& request, ErrorCode code, std::string_view text,
                    const Member* about) const {
    const bool on_publish = request.method == Method::publish_msg;
    Message answer = message_of(on_publish ? Method::error_publish_msg : Method::error_member_channel);
    const Member member = about ? *about : c.member().value_or(Member{c.session_id(), {}, {}});
    answer.member = member;
    answer.channel = request.channel.value_or("");
    if (on_publish) answer.text = request.text.value_or("");
    answer.error = protocol::make_error(code);
    statistics_.errors_answered.count(code);
    if (!text.empty()) answer.error->text = std::string(text);
    const auto& hook = on_publish ? hooks_.on_error_publish_msg : hooks_.on_error_member_channel;
    notify(hook, *answer.channel, member, answer.error->code, answer.error->text);
    c.deliver(frames_.make(std::move(answer)));
}

void Answers::reject(Connection& c, const Message& request, ErrorCode code, std::string text) const {
    c.report_error(text);
    error(c, request, code, text);
    if (++c.invalid_in_a_row > options_.max_invalid_frames) {
        c.report_error("too many invalid messages");
        c.close(close_code::policy_violation, "too many invalid messages");
    }
}

const Member* Answers::self_of(Connection& c, const Message& request) const {
    const bool someone_else =
        request.member && !request.member->id.empty() && request.member->id != c.session_id();
    if (!c.member() || someone_else) {
        error(c, request, ErrorCode::member_not_exists);
        return nullptr;
    }
    return &*c.member();
}

bool Answers::valid_channel(Connection& c, const Message& request, bool required) const {
    if (required && request.channel.value_or("").empty()) {
        reject(c, request, ErrorCode::invalid_params, "channel.name is required");
        return false;
    }
    return within(c, request, "channel.name", request.channel.value_or("").size(), options_.max_channel_bytes);
}

bool Answers::fits(Connection& c, const Message& request, const Member& member) const {
    return within(c, request, "member.name", member.name.size(), options_.max_name_bytes) &&
           within(c, request, "member.info", member.info.size(), options_.max_info_bytes) &&
           within(c, request, "member.user", member.user.size(), options_.max_name_bytes);
}

bool Answers::within(Connection& c, const Message& request, std::string_view field, std::size_t size,
                     std::size_t limit) const {
    if (size <= limit) return true;
    reject(c, request, ErrorCode::invalid_params,
           std::string(field) + " is longer than " + std::to_string(limit) + " bytes");
    return false;
}

}  // namespace presence
