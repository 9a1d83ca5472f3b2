// SPDX-License-Identifier: Apache-2.0
#include "domain/delivery.h"

#include <charconv>

namespace presence {
namespace {

// A tag: the view's letter, a digit of flags, then each string as "<length>:<bytes>":
// about, channel, and for an invitation its inviter and channel.
constexpr std::string_view view_letters = "acdnup";  // in the order of View
constexpr int flag_of_user = 1;
constexpr int flag_invitation = 2;
constexpr int flag_wants_answer = 4;
static_assert(view_letters.size() == static_cast<std::size_t>(View::update) + 1, "a letter for every View");

void put(std::string& out, std::string_view text) {
    out += std::to_string(text.size());
    out += ':';
    out += text;
}

bool take(std::string_view& tag, std::string_view& text) {
    std::size_t length = 0;
    const auto [end, ec] = std::from_chars(tag.data(), tag.data() + tag.size(), length);
    if (ec != std::errc() || end == tag.data() || end == tag.data() + tag.size() || *end != ':') return false;
    tag.remove_prefix(static_cast<std::size_t>(end - tag.data()) + 1);
    if (length > tag.size()) return false;
    text = tag.substr(0, length);
    tag.remove_prefix(length);
    return true;
}

// A tag read without copying: views into it.
struct Parsed {
    View view = View::any;
    int flags = 0;
    std::string_view about, channel, inviter_id, invitation_channel;
};

bool parse(std::string_view tag, Parsed& out) {
    if (tag.empty()) return true;
    if (tag.size() < 2) return false;
    const std::size_t view = view_letters.find(tag[0]);
    if (view == std::string_view::npos || tag[1] < '0' || tag[1] > '7') return false;
    out.view = static_cast<View>(view);
    out.flags = tag[1] - '0';
    if ((out.flags & flag_wants_answer) != 0 && (out.flags & flag_invitation) == 0) return false;
    tag.remove_prefix(2);
    if (!take(tag, out.about) || !take(tag, out.channel)) return false;
    if ((out.flags & flag_invitation) != 0 && (!take(tag, out.inviter_id) || !take(tag, out.invitation_channel)))
        return false;
    return tag.empty();
}

}  // namespace

std::string delivery_tag(const Delivery& d) {
    if (d.view == View::any && !d.invitation && d.about.empty() && d.channel.empty() && !d.of_user) return {};
    int flags = d.of_user ? flag_of_user : 0;
    if (d.invitation) flags |= flag_invitation | (d.invitation->wants_answer ? flag_wants_answer : 0);
    std::string out;
    out += view_letters[static_cast<std::size_t>(d.view)];
    out += static_cast<char>('0' + flags);
    put(out, d.about);
    put(out, d.channel);
    if (d.invitation) {
        put(out, d.invitation->inviter_id);
        put(out, d.invitation->channel);
    }
    return out;
}

bool is_delivery_tag(std::string_view tag) {
    Parsed parsed;
    return parse(tag, parsed);
}

bool read_delivery_tag(std::string_view tag, Delivery& out) {
    Parsed p;
    if (!parse(tag, p)) return false;
    out.view = p.view;
    out.about = std::string(p.about);
    out.channel = std::string(p.channel);
    out.of_user = (p.flags & flag_of_user) != 0;
    out.invitation.reset();
    if ((p.flags & flag_invitation) != 0)
        out.invitation = Invitation{std::string(p.inviter_id), std::string(p.invitation_channel),
                                    (p.flags & flag_wants_answer) != 0};
    return true;
}

}  // namespace presence
