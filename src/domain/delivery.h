// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace presence {

// An invitation travels with its frame, so that the invitee's connection (wherever it
// is) remembers who to answer when the invitee accepts or refuses.
struct Invitation {
    std::string inviter_id;
    std::string channel;
    bool wants_answer = false;  // the inviter understands the invitation-response extension
};

// What a frame is to a connection that asked for coalesced views of presence (the diffs
// extension): such a connection skips the announcements of other members' changes and
// takes the diffs and counts that sum them up instead; every other connection takes only
// the frames it always had.
enum class View : char {
    any,     // for whoever it is sent to
    change,  // a join, leave, subscription or unsubscription announced one by one
    diff,    // the changes of one channel over an interval
    count,   // one channel's member count
    user,    // a user's first join or last leave of a channel (the users extension)
    update,  // a member's new name or info, for connections that said hello with "updates"
};

// The domain's delivery policy for a frame: which of the connections it is fanned out to
// take it, and what taking it means to them. Only the domain reads or writes it; engines
// carry it between nodes as an opaque tag (delivery_tag), so that the policy can change
// without them.
struct Delivery {
    std::optional<Invitation> invitation;
    View view = View::any;
    std::string about;    // change, user, update: the member whose change it announces
    std::string channel;  // change, diff, count, user: the channel ("" for presence as a whole)
    // change: the member belongs to a user, whose first join and last leave a connection
    // with the users view takes instead (View::user).
    bool of_user = false;
};

// `delivery` as bytes that read_delivery_tag() reads back; empty for the default delivery
// (every frame a publish makes), so that the common case costs nothing.
std::string delivery_tag(const Delivery& delivery);
// Whether `tag` is one that delivery_tag() writes. Makes no copy.
bool is_delivery_tag(std::string_view tag);
// Fills `out` from `tag`; false, and `out` unchanged, when it is not a tag.
bool read_delivery_tag(std::string_view tag, Delivery& out);

}  // namespace presence
