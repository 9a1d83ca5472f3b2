// SPDX-License-Identifier: Apache-2.0
// The shared view's upkeep: this node's registration and heartbeat, finding dead nodes,
// and rebuilding the replica from a snapshot after an outage.
#include <algorithm>

#include "engine/redis/redis_engine.h"

namespace presence::redis {
namespace {

// Every node in the set whose liveness key has expired is removed, its share deleted
// and its death announced, in one step, so that exactly one node announces it.
constexpr std::string_view reap_script = R"lua(
local prefix, self = ARGV[1], ARGV[2]
local dead = {}
for _, node in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  local base = prefix .. 'node:' .. node
  if node ~= self and redis.call('EXISTS', base .. ':alive') == 0 then
    redis.call('SREM', prefix .. 'nodes', node)
    redis.call('DEL', base .. ':members', base .. ':subscriptions')
    redis.call('PUBLISH', prefix .. 'events', 'D ' .. node .. ' ' .. self)
    table.insert(dead, node)
  end
end
return dead
)lua";

// Every node's share, read in one step: {node, {id, member json, ...}, {"id channel", ...}}.
constexpr std::string_view snapshot_script = R"lua(
local prefix = ARGV[1]
local out = {}
for _, node in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  local base = prefix .. 'node:' .. node
  table.insert(out, {node, redis.call('HGETALL', base .. ':members'),
                     redis.call('SMEMBERS', base .. ':subscriptions')})
end
return out
)lua";

constexpr std::size_t registration_batch = 512;

void send_batch(RedisConnection& connection, std::vector<std::string>& command, std::size_t head) {
    if (command.size() > head) connection.command(command);
    command.resize(head);
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

// Both connections are up: write this node's share afresh (Redis may have lost it, or
// another node may have declared this one dead), then rebuild the replica from a snapshot.
void RedisEngine::rejoin() {
    if (subscribed_) {
        register_node();
        return resync();
    }
    const unsigned generation = generation_;
    events_.subscribe(events_channel_, [this, generation] {
        if (generation != generation_) return;
        subscribed_ = true;
        register_node();
        resync();
    });
}

void RedisEngine::register_node() {
    const std::string& node = options_.node_id;
    const std::string members = node_key(node, "members");
    const std::string subscriptions = node_key(node, "subscriptions");
    send({"DEL", members, subscriptions});
    std::vector<std::string> hset{"HSET", members};
    std::vector<std::string> sadd{"SADD", subscriptions};
    for (const std::string& id : local_) {
        hset.push_back(id);
        hset.push_back(member_json(*replica_.find_member(id)));
        for (const std::string& channel : replica_.channels_of(id)) sadd.push_back(subscription_entry(id, channel));
        if (hset.size() >= registration_batch) send_batch(commands_, hset, 2);
        if (sadd.size() >= registration_batch) send_batch(commands_, sadd, 2);
    }
    send_batch(commands_, hset, 2);
    send_batch(commands_, sadd, 2);
    send({"SET", node_key(node, "alive"), instance_, "PX", std::to_string(options_.node_timeout.count())});
    send({"SADD", key("nodes"), node});
    send({"PUBLISH", events_channel_, registered_event(node)});
}

void RedisEngine::resync() {
    if (syncing_) {
        resync_again_ = true;
        return;
    }
    const unsigned generation = generation_;
    syncing_ = commands_.command({"EVAL", snapshot_script, "0", options_.key_prefix},
                                 [this, generation](const Reply& reply) { synced(reply, generation); });
}

void RedisEngine::synced(const Reply& snapshot, unsigned generation) {
    if (generation != generation_) return;
    if (snapshot.type != Reply::Type::array) {
        syncing_ = false;
        return log(LogLevel::warning, "reading the shared view failed: " + snapshot.str);
    }
    StringMap<Remote> seen;
    StringSet nodes;
    for (const Reply& share : snapshot.elements) {
        if (share.elements.size() != 3 || share.elements[0].str == options_.node_id) continue;
        const std::string& node = share.elements[0].str;
        nodes.insert(node);
        const auto& fields = share.elements[1].elements;
        for (std::size_t i = 0; i + 1 < fields.size(); i += 2)
            if (auto member = member_from_json(fields[i + 1].str)) seen[member->id] = {*member, node, {}};
        for (const Reply& entry : share.elements[2].elements) {
            const std::size_t space = entry.str.find(' ');
            const auto it = seen.find(std::string_view(entry.str).substr(0, space));
            if (space != std::string::npos && it != seen.end()) it->second.channels.push_back(entry.str.substr(space + 1));
        }
    }
    syncing_ = false;
    if (!reachable_) {
        reachable_ = true;
        outage_logged_ = false;
        joined_at_ = std::chrono::steady_clock::now();
        log(LogLevel::info, "connected to Redis; the shared view is up to date");
    }
    reconcile(std::move(seen), nodes);
    for (std::vector<std::string> held = std::exchange(held_, {}); const std::string& payload : held)
        on_event(payload);
    if (std::exchange(resync_again_, false)) resync();
}

// Brings the replica's remote part to `seen`, announcing the difference to this node's
// members as if it had happened now. A node missing from the snapshot altogether may only
// not have registered again yet after Redis lost its data: its members are kept for one
// timeout, after which another snapshot decides.
void RedisEngine::reconcile(StringMap<Remote> seen, const StringSet& nodes) {
    const bool grace = std::chrono::steady_clock::now() - joined_at_ < options_.node_timeout;
    std::vector<std::string> gone;
    for (const auto& [id, node] : node_of_) {
        if (seen.contains(id)) continue;
        if (grace && !nodes.contains(node)) {
            unconfirmed_ = true;
            continue;
        }
        gone.push_back(id);
    }
    for (const std::string& id : gone) vanish(id, false);
    for (const auto& [id, remote] : seen) {
        if (replica_.is_local(id)) continue;
        if (!replica_.find_member(id)) {
            appear(remote);
            continue;
        }
        if (*replica_.find_member(id) != remote.member) update_remote(remote.member);
        const Member& member = *replica_.find_member(id);
        for (const std::string& channel : replica_.channels_of(id))
            if (!contains(remote.channels, channel)) exit_channel(member, channel);
        for (const std::string& channel : remote.channels)
            if (!replica_.is_subscribed(channel, id)) enter_channel(member, channel);
    }
    for (const std::string& node : nodes) node_members_.try_emplace(node, 0);
    std::erase_if(node_members_,
                  [&nodes](const auto& node) { return node.second == 0 && !nodes.contains(node.first); });
}

void RedisEngine::schedule_heartbeat() {
    heartbeat_timer_.expires_after(options_.node_timeout / 5);
    heartbeat_timer_.async_wait([this, alive = std::weak_ptr<int>(lifetime_)](boost::system::error_code ec) {
        if (ec || alive.expired() || stopped_) return;
        heartbeat();
        schedule_heartbeat();
    });
}

// Renews this node's liveness and looks for dead nodes, but only once the shared view has
// been up for a whole timeout: after an outage the others need that long to renew theirs.
void RedisEngine::heartbeat() {
    const auto sent = std::chrono::steady_clock::now();
    commands_.command({"SET", node_key(options_.node_id, "alive"), instance_, "PX",
                       std::to_string(options_.node_timeout.count())},
                      [this, sent](const Reply& reply) {
                          if (reply.type == Reply::Type::error) return;
                          round_trip_ = std::chrono::steady_clock::now() - sent;
                          round_trips_.observe(*round_trip_);
                      });
    if (!reachable_ || std::chrono::steady_clock::now() - joined_at_ < options_.node_timeout) return;
    send({"EVAL", reap_script, "0", options_.key_prefix, options_.node_id});
    if (std::exchange(unconfirmed_, false)) resync();
}

// --- Events from other nodes ---------------------------------------------------------

}  // namespace presence::redis
