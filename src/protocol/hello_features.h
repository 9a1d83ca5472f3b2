// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "protocol/message.h"

namespace presence::protocol {

// Which clients a server names a feature to in its hello answer.
enum class Offered {
    to_all,
    // Only to a client that named it, so that the answer older clients get stays as it was.
    when_named,
};

// Whether our clients (the C++ one and presence.js) name a feature in their hello.
enum class Asked {
    always,
    // When the client option of the feature's own name is on (resume, diffs, ...).
    by_option,
    never,
};

struct HelloFeature {
    std::string_view name;
    Offered offered;
    bool can_be_off;  // the server's operator may turn it off; it is then never named
    Asked asked;
};

// Every feature a hello names, in the order the lists give them (docs/protocol.md, Hello).
// presence.js keeps the same names and the same `asked` (FEATURE, HELLO_ALWAYS,
// HELLO_BY_OPTION), checked against this table by tests/web/node/constants.test.mjs.
inline constexpr std::array hello_features{
    // Answers to invitations (ext@presence@channel@invitation@response).
    HelloFeature{extension::invitation_response, Offered::to_all, false, Asked::always},
    // ext@presence@ping for clients that cannot send WebSocket pings.
    HelloFeature{extension::heartbeat, Offered::to_all, false, Asked::always},
    // A lost connection restored as the same member.
    HelloFeature{extension::resume, Offered::to_all, true, Asked::by_option},
    // Paged member lists.
    HelloFeature{extension::member_pages, Offered::when_named, false, Asked::never},
    // Joins and leaves summed up per channel and interval.
    HelloFeature{extension::diffs, Offered::when_named, true, Asked::by_option},
    // The connections of one user joining and leaving as one.
    HelloFeature{extension::users, Offered::when_named, false, Asked::by_option},
    // Members' changes of their name or info.
    HelloFeature{extension::updates, Offered::when_named, false, Asked::by_option},
};

// A server's hello answer to a hello that named `asked`; `turned_off` are the features its
// operator turned off.
std::string hello_answer(std::string_view asked, std::span<const std::string_view> turned_off);

// A client's hello: the features it always names, and those named by option for which
// `option_on(name)` is true.
std::string hello_request(const std::function<bool(std::string_view)>& option_on);

}  // namespace presence::protocol
