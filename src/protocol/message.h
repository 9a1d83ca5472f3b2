// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "presence/error_codes.h"
#include "presence/member.h"

namespace presence::protocol {

enum class Method {
    session,
    member_new,
    member_remove,
    channel_member_new,
    channel_member_remove,
    publish_msg,
    get_members,
    send_members,
    channel_invitation,
    error_member_channel,
    error_publish_msg,
    acknowledgment,
    // Extensions: only exchanged with a peer that said hello with them.
    hello,
    invitation_response,
    resume,
    resume_token,
    ping,
    pong,
    get_members_page,
    members_page,
    get_count,
    count,
    channel_counts,
    diff,
    get_users,
    users,
    update_member,
};

std::string_view method_name(Method method);
std::optional<Method> method_from_name(std::string_view name);

struct Error {
    int code = 0;
    std::string text;

    bool operator==(const Error&) const = default;
};

Error make_error(ErrorCode code);

// The words of the extensions: the feature a hello names, and an invitation's answers.
namespace extension {
inline constexpr std::string_view invitation_response = "invitation-response";
inline constexpr std::string_view accepted = "accepted";
inline constexpr std::string_view refused = "refused";
inline constexpr std::string_view resume = "resume";
inline constexpr std::string_view heartbeat = "heartbeat";
inline constexpr std::string_view member_pages = "member-pages";
inline constexpr std::string_view diffs = "diffs";
inline constexpr std::string_view users = "users";
inline constexpr std::string_view updates = "updates";
inline constexpr std::string_view on = "on";
inline constexpr std::string_view off = "off";
// The server's answers to a resume request.
inline constexpr std::string_view resumed = "resumed";
inline constexpr std::string_view resync = "resync";
inline constexpr std::string_view expired = "expired";
}  // namespace extension

// Which of `member`'s name and info a frame carried: a member update changes only those.
// A key that is absent or null is not carried; every other method reads an absent one as "".
struct Carried {
    bool name = true;
    bool info = true;

    bool operator==(const Carried&) const = default;
};

// One envelope. An absent object is std::nullopt; `channel` is `channel.name`,
// `text` is `message.text`, `id` is the acknowledgment id (empty when absent).
struct Message {
    Method method = Method::session;
    std::optional<Member> member;
    Carried carried;  // of `member`
    std::optional<std::string> channel;
    std::optional<std::string> text;
    std::optional<Error> error;
    std::optional<std::vector<Member>> members;
    std::string id;

    bool operator==(const Message&) const = default;
};

}  // namespace presence::protocol
