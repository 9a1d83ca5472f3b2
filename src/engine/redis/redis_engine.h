// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/memory/memory_engine.h"
#include "engine/redis/redis_connection.h"
#include "engine/redis/redis_events.h"
#include "presence/server_hooks.h"

namespace presence::redis {

struct RedisEngineOptions {
    RedisConnectionOptions connection;
    std::string node_id;
    std::string key_prefix = "presence:";
    std::chrono::milliseconds node_timeout{5000};
};

// The multi-node engine. Every node keeps a replica of who is where (its own members and
// every other node's) and answers queries from it; Redis holds each node's share, and its
// events channel carries changes and frames between nodes in order. A node's members are
// delivered to by that node alone, so a publish costs one Redis message whatever the
// number of recipients. Without Redis a node keeps serving its own members and rebuilds
// the shared view when Redis is back. Key layout and events: docs/redis-engine.md.
class RedisEngine final : public Engine {
public:
    RedisEngine(boost::asio::any_io_executor executor, RedisEngineOptions options,
                std::function<void(LogLevel, const std::string&)> log);
    ~RedisEngine() override;

    void set_listener(EngineListener& listener) override {
        listener_ = &listener;
        replica_.set_listener(listener);
    }
    void start() override;
    void stop(std::function<void()> done) override;
    std::string trouble() const override;

    bool add_member(const Member& member, Connection& connection, const FramePtr& announcement) override;
    void remove_member(std::string_view id, const FramePtr& announcement) override;
    void update_member(const Member& member, const FramePtr& announcement) override;
    bool subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override;
    bool unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) override;

    const Member* find_member(std::string_view id) const override { return replica_.find_member(id); }
    bool channel_exists(std::string_view channel) const override { return replica_.channel_exists(channel); }
    bool is_subscribed(std::string_view channel, std::string_view id) const override {
        return replica_.is_subscribed(channel, id);
    }
    std::vector<std::string> channels_of(std::string_view id) const override { return replica_.channels_of(id); }
    std::size_t member_count(std::string_view channel) const override { return replica_.member_count(channel); }

    std::vector<Member> members(std::string_view channel) const override { return replica_.members(channel); }
    std::vector<Member> all_members() const override { return replica_.all_members(); }
    std::vector<Member> members_page(std::string_view channel, std::string_view after,
                                     std::size_t limit) const override {
        return replica_.members_page(channel, after, limit);
    }
    std::vector<ChannelSummary> channels() const override { return replica_.channels(); }
    std::size_t count_members() const override { return replica_.count_members(); }
    std::size_t count_channels() const override { return replica_.count_channels(); }
    std::uint64_t deliveries() const override { return replica_.deliveries(); }
    // Of the last liveness renewal: queued behind this node's other commands, so it is
    // how far behind Redis is, as this node sees it.
    std::optional<std::chrono::steady_clock::duration> round_trip() const override { return round_trip_; }
    const LatencyHistogram* round_trips() const override { return &round_trips_; }
    std::string node_id() const override { return options_.node_id; }
    std::vector<NodeSummary> nodes() const override;

    void publish(std::string_view channel, const FramePtr& frame) override;
    void publish_local(std::string_view channel, const FramePtr& frame) override { replica_.publish(channel, frame); }
    bool send_to_member(std::string_view id, const FramePtr& frame) override;

private:
    struct Remote {
        Member member;
        std::string node;
        std::vector<std::string> channels;
    };

    // Redis, its outages and the shared view.
    void connection_up();
    void connection_down(const std::string& why);
    void rejoin();
    void register_node();
    void resync();
    void synced(const Reply& snapshot, unsigned generation);
    void reconcile(StringMap<Remote> seen, const StringSet& nodes);
    void heartbeat();
    void schedule_heartbeat();

    // Events from other nodes.
    void on_event(std::string_view payload);
    void apply(const Event& event);
    void deliver(const Event& event);
    void drop_node(std::string_view node, bool reaped_here);

    // The replica's remote part.
    void add_remote(const Member& member, std::string_view node);
    void remove_remote(const std::string& id);
    void update_remote(const Member& member);
    void appear(const Remote& remote);
    void vanish(const std::string& id, bool reaped_here);
    void enter_channel(const Member& member, const std::string& channel);
    void exit_channel(const Member& member, const std::string& channel);
    void announce(Change change, const Member& member, std::string_view channel);

    void send(std::initializer_list<std::string_view> command);
    std::string key(std::string_view name) const;
    std::string node_key(std::string_view node, std::string_view name) const;
    void log(LogLevel level, const std::string& line) const;

    RedisEngineOptions options_;
    std::function<void(LogLevel, const std::string&)> log_;
    EngineListener* listener_ = nullptr;
    const std::string events_channel_;
    const std::string instance_;

    MemoryEngine replica_;
    StringSet local_;                 // ids of this node's members
    StringMap<std::string> node_of_;  // remote member id -> its node
    // Every other node of the last snapshot or since, with its members in node_of_: kept
    // here so that a node without members is known too, and nodes() counts nothing.
    StringMap<std::size_t> node_members_;

    bool stopped_ = false;
    bool reachable_ = false;    // both connections up, the shared view rebuilt
    bool subscribed_ = false;   // to the events channel, on the current events connection
    bool syncing_ = false;      // a snapshot is on its way: events wait in `held_`
    bool resync_again_ = false;
    bool outage_logged_ = false;
    bool unconfirmed_ = false;  // members of nodes missing from the last snapshot were kept
    unsigned generation_ = 0;   // of connections: a reply from an older one is stale
    std::vector<std::string> held_;
    std::chrono::steady_clock::time_point joined_at_;
    std::string trouble_ = "not yet connected to Redis";
    std::optional<std::chrono::steady_clock::duration> round_trip_;
    LatencyHistogram round_trips_;

    std::shared_ptr<int> lifetime_ = std::make_shared<int>();
    boost::asio::steady_timer heartbeat_timer_;
    // Last, so that they go first: no callback of theirs runs once this object is gone.
    RedisConnection commands_;
    RedisConnection events_;
};

}  // namespace presence::redis
