// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <string>

#include "presence/member.h"

namespace presence {

/// How much an operator needs a log line: errors and warnings want attention, info tells
/// the server's own story (start, engine recovered), debug follows single connections.
enum class LogLevel { error, warning, info, debug };

/// A transport or protocol failure of one connection, with what tells the connection apart
/// in a log.
struct ConnectionError {
    std::string session_id;
    /// The member's id once the connection has joined (the session id), else empty.
    std::string member_id;
    /// The client's address and port as the transport gives it (`203.0.113.7:52100`,
    /// `[2001:db8::7]:52100`); empty while the connection waits to be resumed.
    std::string address;
    std::string what;
};

/// The sgcWebSockets server events, as callbacks. Every callback runs on the server's
/// thread; none may block or throw. A `before_*` hook returning false refuses the request and
/// the requester receives the error code named beside it. Unset hooks accept.
struct ServerHooks {
    /// Refusing answers error 2.
    std::function<bool(const Member&)> before_new_member;
    /// Refusing answers error 6.
    std::function<bool(const std::string& channel, const Member&)> before_new_channel;
    /// Refusing answers error 10.
    std::function<bool(const std::string& channel, const Member&)> before_new_channel_member;
    /// Refusing answers error 20.
    std::function<bool(const std::string& channel, const Member&, const std::string& text)> before_publish;
    /// Refusing answers error 30.
    std::function<bool(const std::string& channel, const Member&)> before_send_members;
    /// Refusing answers error 40. Ours; the original has no invitation hook.
    std::function<bool(const std::string& channel, const Member& inviter, const Member& invitee)> before_invite;

    std::function<void(const Member&)> on_new_member;
    std::function<void(const Member&)> on_remove_member;
    /// A member of this node changed its name or info (the member update extension). Ours.
    std::function<void(const Member&)> on_update_member;
    std::function<void(const std::string& channel)> on_new_channel;
    std::function<void(const std::string& channel)> on_remove_channel;
    std::function<void(const std::string& channel, const Member&)> on_new_channel_member;
    std::function<void(const std::string& channel, const Member&)> on_remove_channel_member;
    /// An error answered to a member; `member` is the requester.
    std::function<void(const std::string& channel, const Member&, int code, const std::string& text)>
        on_error_member_channel;
    std::function<void(const std::string& channel, const Member&, int code, const std::string& text)>
        on_error_publish_msg;

    std::function<void(const std::string& session_id)> on_connect;
    std::function<void(const std::string& session_id)> on_disconnect;
    /// Transport and protocol failures of one connection (bad frames, resets).
    std::function<void(const ConnectionError&)> on_error;
    /// What an operator should know of the server itself: an engine outage (warning), its
    /// recovery (info), limits hit (warning). Never a line per message.
    std::function<void(LogLevel level, const std::string& line)> on_log;
};

}  // namespace presence
