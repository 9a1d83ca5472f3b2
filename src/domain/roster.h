// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "domain/frame.h"
#include "presence/member.h"

namespace presence {

class Connection;

// A change of who is where, as the engine reports it to the domain (EngineListener).
enum class Change { member_new, member_remove, channel_member_new, channel_member_remove };

// A node sharing the view, and how many members it serves (summed by the caller over
// namespaces, whose engines are apart).
struct NodeSummary {
    std::string id;
    std::size_t members = 0;
    bool operator==(const NodeSummary&) const = default;
};

// Who is where: members, the channels they are subscribed to, and the nodes that serve
// them. Preconditions are the caller's: subscribe() is called for an existing member not
// yet subscribed, etc. Changes are made by this node's requests for this node's members
// (those added with their Connection); what other nodes do reaches the engine by its own
// means.
class Roster {
public:
    virtual ~Roster() = default;

    // A change carries the frame that announces it, delivered with it to the members
    // concerned on every node: for a join or a subscription once it is made, so that the
    // newcomer hears it too; for a departure before it is made, so that the leaver does.
    // Delivering it with the change, rather than through Fanout afterwards, is what lets
    // other nodes apply and announce the change in one step.
    virtual bool add_member(const Member& member, Connection& connection,
                            const FramePtr& announcement) = 0;  // false: id taken
    virtual void remove_member(std::string_view id, const FramePtr& announcement) = 0;
    // The member keeps its id and channels and takes `member`'s name and info; the
    // announcement goes to every member, once the change is made.
    virtual void update_member(const Member& member, const FramePtr& announcement) = 0;
    // Returns true when the channel was created by this subscription.
    virtual bool subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) = 0;
    // Returns true when the channel became empty and was freed.
    virtual bool unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) = 0;

    virtual const Member* find_member(std::string_view id) const = 0;
    virtual bool channel_exists(std::string_view channel) const = 0;
    virtual bool is_subscribed(std::string_view channel, std::string_view id) const = 0;
    virtual std::vector<std::string> channels_of(std::string_view id) const = 0;
    virtual std::size_t member_count(std::string_view channel) const = 0;

    virtual std::vector<Member> members(std::string_view channel) const = 0;
    virtual std::vector<Member> all_members() const = 0;
    // Up to `limit` members of the channel (of presence when `channel` is empty) whose ids
    // come after `after`, in the order of their ids: pages that members arriving or leaving
    // meanwhile do not shift.
    virtual std::vector<Member> members_page(std::string_view channel, std::string_view after,
                                             std::size_t limit) const = 0;
    virtual std::vector<ChannelSummary> channels() const = 0;

    // For operators (metrics, admin API), cheap enough for every scrape: the engines
    // count without copying.
    virtual std::size_t count_members() const { return all_members().size(); }
    virtual std::size_t count_channels() const { return channels().size(); }
    // This node's id among the nodes sharing the view; "" for an engine of one node.
    virtual std::string node_id() const { return {}; }
    // Every node sharing the view, this one first, the others by id; a node is known from
    // the shared view even while it has no members.
    virtual std::vector<NodeSummary> nodes() const { return {{node_id(), count_members()}}; }
};

}  // namespace presence
