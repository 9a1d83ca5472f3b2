// SPDX-License-Identifier: Apache-2.0
#include "wire.h"

#include <algorithm>
#include <chrono>

namespace presence::bench {

namespace {

constexpr std::string_view envelope_start = R"({"jsonrpc":"2.0","method":")";
constexpr std::string_view method_key = R"("method":")";
constexpr std::string_view channel_key = R"("channel":{"name":")";
constexpr std::string_view text_key = R"("message":{"text":")";
constexpr std::string_view members_key = R"("members":[)";
constexpr std::string_view id_key = R"({"id":")";

void write_digits(char* at, std::uint64_t value, std::size_t width) {
    for (std::size_t i = width; i-- > 0; value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

// The digits from `at` on, at least one; `at` ends past them.
bool read_number(std::string_view text, std::size_t& at, std::size_t& value) {
    const std::size_t start = at;
    value = 0;
    for (; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at)
        value = value * 10 + static_cast<std::size_t>(text[at] - '0');
    return at > start;
}

// The string value after `key`, which ends at the first quote (no escapes in the tool's names).
std::string_view string_after(std::string_view frame, std::string_view key) {
    const std::size_t at = frame.find(key);
    if (at == std::string_view::npos) return {};
    const std::size_t start = at + key.size();
    const std::size_t end = frame.find('"', start);
    return end == std::string_view::npos ? std::string_view{} : frame.substr(start, end - start);
}

bool read_digits(std::string_view text, std::size_t at, std::size_t width, std::uint64_t& value) {
    if (text.size() < at + width) return false;
    value = 0;
    for (std::size_t i = at; i < at + width; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return false;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

}  // namespace

std::string_view method_of(std::string_view frame) {
    // Our server writes the keys in the wire's order, so the method is at a fixed place.
    std::size_t start = envelope_start.size();
    if (!frame.starts_with(envelope_start)) {
        const std::size_t key = frame.find(method_key);
        if (key == std::string_view::npos) return {};
        start = key + method_key.size();
    }
    const std::size_t end = frame.find('"', start);
    if (end == std::string_view::npos) return {};
    return frame.substr(start, end - start);
}

std::size_t count_members(std::string_view frame) {
    std::size_t at = frame.find(members_key);
    std::size_t count = 0;
    while (at != std::string_view::npos) {
        at = frame.find(R"({"id":)", at + 1);
        if (at != std::string_view::npos) ++count;
    }
    return count;
}

std::string_view page_cursor(std::string_view frame) { return string_after(frame, text_key); }

std::string_view last_member_id(std::string_view frame) {
    const std::size_t list = frame.find(members_key);
    const std::size_t at = frame.rfind(id_key);
    if (list == std::string_view::npos || at == std::string_view::npos || at < list) return {};
    return string_after(frame.substr(at), id_key);
}

std::size_t count_joined_up_to(std::string_view frame, std::size_t joined, std::string_view bound) {
    std::size_t at = frame.find(members_key);
    std::size_t count = 0;
    for (std::size_t i = 0; i < joined && at != std::string_view::npos; ++i) {
        at = frame.find(id_key, at + 1);
        if (at == std::string_view::npos) break;
        if (string_after(frame.substr(at), id_key) <= bound) ++count;
    }
    return count;
}

std::string_view channel_name(std::string_view frame) { return string_after(frame, channel_key); }

bool read_diff(std::string_view frame, Diff& d) {
    const std::string_view text = string_after(frame, text_key);
    std::size_t at = 0, joined = 0;
    const bool two_numbers = read_number(text, at, joined) && at < text.size() && text[at++] == ' ' &&
                             read_number(text, at, d.count) && at == text.size();
    if (!two_numbers) return false;
    d.joined = std::min(joined, count_members(frame));
    return true;
}

std::string stamped_text(std::size_t payload_bytes) {
    std::string text = "#T0000000000000000000#S000000000000#";
    if (payload_bytes > text.size()) text.append(payload_bytes - text.size(), '.');
    return text;
}

void write_stamp(char* stamp, Stamp s) {
    write_digits(stamp + 2, s.sent_ns, 19);
    write_digits(stamp + 23, s.sequence, 12);
}

bool read_stamp(std::string_view frame, Stamp& s) {
    const std::size_t at = frame.find("#T");
    return at != std::string_view::npos && read_digits(frame, at + 2, 19, s.sent_ns) &&
           read_digits(frame, at + 23, 12, s.sequence);
}

std::uint64_t now_ns() {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace presence::bench
