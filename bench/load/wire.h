// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace presence::bench {

// Cheap looks into frames, for the hot path: no parsing, no allocation.

inline constexpr std::string_view method_session = "sgc@presence@session";
inline constexpr std::string_view method_member_new = "sgc@presence@member@new";
inline constexpr std::string_view method_channel_member_new = "sgc@presence@channel@member@new";
inline constexpr std::string_view method_publish = "sgc@presence@publish@msg";
inline constexpr std::string_view method_send_members = "sgc@presence@send@members";
inline constexpr std::string_view method_hello = "ext@presence@hello";
inline constexpr std::string_view method_diff = "ext@presence@diff";
inline constexpr std::string_view method_members_page = "ext@presence@members@page";
inline constexpr std::string_view method_error_member_channel = "sgc@presence@error@member@channel";

// The value of "method"; empty when there is none.
std::string_view method_of(std::string_view frame);

// Items of the "members" array of a send@members answer or a diff.
std::size_t count_members(std::string_view frame);

// The channel's name; empty when there is none (or for presence as a whole).
std::string_view channel_name(std::string_view frame);

// A diff's members: `joined` of them first (the text's first number, at most the members
// listed), then the left ones; `count` is the channel's member count after it (the text's
// second number).
struct Diff {
    std::size_t joined = 0;
    std::size_t count = 0;
};
bool read_diff(std::string_view frame, Diff& d);

// A page's cursor (its text): empty after the last page.
std::string_view page_cursor(std::string_view frame);

// The id of the last member a page (or a diff) lists; empty when it lists none.
std::string_view last_member_id(std::string_view frame);

// Of a diff's first `joined` members, those whose id sorts at most `bound`, as the
// server orders ids: a client between pages has passed them, later pages will not list them.
std::size_t count_joined_up_to(std::string_view frame, std::size_t joined, std::string_view bound);

// What a publisher writes into its message: when it sent it (steady clock, ns) and which
// message it is. The text is "#T<19 digits>#S<12 digits>#" padded with '.' to the payload size.
struct Stamp {
    std::uint64_t sent_ns = 0;
    std::uint64_t sequence = 0;
};

inline constexpr std::size_t stamp_bytes = 36;

std::string stamped_text(std::size_t payload_bytes);  // a text with a zero stamp
void write_stamp(char* stamp, Stamp s);               // at the "#T" of a stamped text
bool read_stamp(std::string_view frame, Stamp& s);    // finds the first stamp in a frame

std::uint64_t now_ns();  // steady clock

}  // namespace presence::bench
