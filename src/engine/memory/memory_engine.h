// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "domain/engine.h"
#include "domain/string_keys.h"

namespace presence {

// The single-node engine, and the replica inside the multi-node one. Fan-out walks a
// contiguous array of connections per channel; removal swaps the last entry into the hole, so
// joins and leaves are O(1) as well.
class MemoryEngine final : public Engine {
public:
    void set_listener(EngineListener& listener) override { listener_ = &listener; }
    bool add_member(const Member& member, Connection& connection, const FramePtr& announcement) override;
    void remove_member(std::string_view id, const FramePtr& announcement) override;
    void update_member(const Member& member, const FramePtr& announcement) override;
    bool subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override;
    bool unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override;

    const Member* find_member(std::string_view id) const override;
    bool channel_exists(std::string_view channel) const override;
    bool is_subscribed(std::string_view channel, std::string_view id) const override;
    std::vector<std::string> channels_of(std::string_view id) const override;
    std::size_t member_count(std::string_view channel) const override;

    std::vector<Member> members(std::string_view channel) const override;
    std::vector<Member> all_members() const override;
    std::vector<Member> members_page(std::string_view channel, std::string_view after,
                                     std::size_t limit) const override;
    std::vector<ChannelSummary> channels() const override;
    std::size_t count_members() const override { return members_.size(); }
    std::size_t count_channels() const override { return channels_.size(); }
    std::uint64_t deliveries() const override { return deliveries_; }

    void publish(std::string_view channel, const FramePtr& frame) override;
    bool send_to_member(std::string_view id, const FramePtr& frame) override;

    // The same changes without announcements, for an engine that keeps a replica. A null
    // connection is a member served by another node: listed like any other, never delivered to.
    bool insert_member(const Member& member, Connection* connection);
    void erase_member(std::string_view id);  // and its subscriptions
    bool assign_member(const Member& member);  // false: no such member
    bool insert_subscription(std::string_view channel, std::string_view id);
    bool erase_subscription(std::string_view channel, std::string_view id);
    bool is_local(std::string_view id) const;

private:
    struct Entry {
        Member member;
        Connection* connection;  // null for a remote member
        std::vector<std::string> channels;
    };

    // A set of entries with O(1) lookup, a contiguous array for fan-out, and the order of
    // their ids for pages (O(log n) to insert and erase).
    class MemberSet {
    public:
        void insert(Entry& entry);
        void erase(const std::string& id);
        bool contains(std::string_view id) const { return index_.contains(id); }
        bool empty() const { return entries_.empty(); }
        std::size_t size() const { return entries_.size(); }
        const std::vector<Entry*>& entries() const { return entries_; }
        std::vector<Member> page(std::string_view after, std::size_t limit) const;

    private:
        std::vector<Entry*> entries_;
        StringMap<std::size_t> index_;
        std::map<std::string_view, const Entry*, std::less<>> by_id_;  // views of the entries' ids
    };

    static std::vector<Member> members_of(const MemberSet& set);
    void changed(Change change, const Member& member, std::string_view channel);

    StringMap<Entry> members_;
    MemberSet everyone_;
    StringMap<MemberSet> channels_;
    std::uint64_t deliveries_ = 0;
    EngineListener* listener_ = nullptr;
};

}  // namespace presence
