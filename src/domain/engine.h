// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/latency_histogram.h"
#include "domain/frame.h"
#include "presence/member.h"

namespace presence {

// A change the engine learned of without the frames that announce it: another node
// died, or the shared view was rebuilt after an outage.
enum class Change { member_new, member_remove, channel_member_new, channel_member_remove };

// A node sharing the view, and how many members it serves (summed by the caller over
// namespaces, whose engines are apart).
struct NodeSummary {
    std::string id;
    std::size_t members = 0;
    bool operator==(const NodeSummary&) const = default;
};

// The presence rules, as an engine sees them.
class EngineListener {
public:
    virtual ~EngineListener() = default;
    // The frame that announces `change`; the engine delivers it to this node's members.
    virtual FramePtr announcement(Change change, const Member& member, std::string_view channel) = 0;
    // This node found `member`'s node dead and removed it: the departure hooks run here.
    virtual void reaped(const Member& member, const std::vector<std::string>& channels) = 0;
    // The view of this node changed, whoever made the change and whether or not it was
    // announced: for what sums changes up (diffs, counts). `channel` is empty for presence
    // as a whole.
    virtual void changed(Change, const Member&, std::string_view /*channel*/) {}
    // A member of this node's view took a new name or info, whoever made the change.
    virtual void updated(const Member&) {}
    // The frame that announces a member's new name or info, learned without its frame;
    // none when nobody is to hear of it.
    virtual FramePtr update_announcement(const Member&) { return nullptr; }
};

// Who is where, and fan-out to them. The presence rules call only this interface, so
// a memory engine and a multi-node engine are interchangeable. Preconditions are the
// caller's: subscribe() is called for an existing member not yet subscribed, etc.
// Changes are made by this node's requests for this node's members (those added with a
// Peer); what other nodes do reaches the engine by its own means.
class Engine {
public:
    virtual ~Engine() = default;

    virtual void set_listener(EngineListener&) {}
    virtual void start() {}
    // Leaves the shared view; `done` runs once that is sent.
    virtual void stop(std::function<void()> done) { done(); }
    // Empty while the engine works as it should; otherwise what is wrong (e.g. the shared
    // view is unreachable and only this node's members are served).
    virtual std::string trouble() const { return {}; }

    // A change carries the frame that announces it, delivered with it to the members
    // concerned on every node: for a join or a subscription once it is made, so that the
    // newcomer hears it too; for a departure before it is made, so that the leaver does.
    virtual bool add_member(const Member& member, Peer& peer, const FramePtr& announcement) = 0;  // false: id taken
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
    // Frames handed to this node's members by fan-out (publishes, announcements,
    // invitations), one per recipient, since the start.
    virtual std::uint64_t deliveries() const { return 0; }
    // The last round trip to the shared view that the engine timed, if any.
    virtual std::optional<std::chrono::steady_clock::duration> round_trip() const { return std::nullopt; }
    // Every round trip timed so far; null for an engine that times none.
    virtual const LatencyHistogram* round_trips() const { return nullptr; }
    // This node's id among the nodes sharing the view; "" for an engine of one node.
    virtual std::string node_id() const { return {}; }
    // Every node sharing the view, this one first, the others by id; a node is known from
    // the shared view even while it has no members.
    virtual std::vector<NodeSummary> nodes() const { return {{node_id(), count_members()}}; }

    // Delivers to the channel's members, or to every member when `channel` is empty.
    virtual void publish(std::string_view channel, const FramePtr& frame) = 0;
    // The same, to this node's members only: for frames that every node makes for its own.
    virtual void publish_local(std::string_view channel, const FramePtr& frame) { publish(channel, frame); }
    // False when no such member exists.
    virtual bool send_to_member(std::string_view id, const FramePtr& frame) = 0;
};

}  // namespace presence
