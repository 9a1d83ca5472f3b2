// SPDX-License-Identifier: Apache-2.0
#include "engine/redis/redis_engine.h"

#include <algorithm>
#include <csignal>

#include "protocol/guid.h"

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

// A subscription as stored in Redis: member ids never contain a space, channels may.
std::string subscription_entry(std::string_view id, std::string_view channel) {
    std::string out(id);
    out += ' ';
    out += channel;
    return out;
}

void send_batch(RedisConnection& connection, std::vector<std::string>& command, std::size_t head) {
    if (command.size() > head) connection.command(command);
    command.resize(head);
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

RedisEngine::RedisEngine(boost::asio::any_io_executor executor, RedisEngineOptions options,
                         std::function<void(LogLevel, const std::string&)> log)
    : options_(std::move(options)),
      log_(std::move(log)),
      events_channel_(options_.key_prefix + "events"),
      instance_(protocol::new_guid()),
      heartbeat_timer_(executor),
      commands_(executor, options_.connection,
                {[this] { connection_up(); }, [this](const std::string& why) { connection_down(why); }, {}}),
      events_(executor, options_.connection,
              {[this] { connection_up(); }, [this](const std::string& why) { connection_down(why); },
               [this](std::string_view, std::string_view payload) { on_event(payload); }}) {}

RedisEngine::~RedisEngine() = default;

std::string RedisEngine::key(std::string_view name) const { return options_.key_prefix + std::string(name); }

std::string RedisEngine::node_key(std::string_view node, std::string_view name) const {
    return options_.key_prefix + "node:" + std::string(node) + ":" + std::string(name);
}

void RedisEngine::log(LogLevel level, const std::string& line) const {
    if (log_) log_(level, "redis engine (node " + options_.node_id + "): " + line);
}

void RedisEngine::send(std::initializer_list<std::string_view> command) { commands_.command(command); }

// hiredis writes with write(2), which raises SIGPIPE when Redis has gone away; unless
// the application handles that signal itself, it would end the process.
void ignore_broken_pipes() {
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) std::signal(SIGPIPE, SIG_IGN);
}

void RedisEngine::start() {
    ignore_broken_pipes();
    commands_.start();
    events_.start();
    schedule_heartbeat();
}

void RedisEngine::stop(std::function<void()> done) {
    stopped_ = true;
    heartbeat_timer_.cancel();
    if (commands_.connected()) {
        send({"DEL", node_key(options_.node_id, "alive"), node_key(options_.node_id, "members"),
              node_key(options_.node_id, "subscriptions")});
        send({"SREM", key("nodes"), options_.node_id});
        send({"PUBLISH", events_channel_, dead_event(options_.node_id, options_.node_id)});
    }
    commands_.close([this, done = std::move(done)]() mutable { events_.close(std::move(done)); });
}

std::string RedisEngine::trouble() const { return reachable_ ? std::string() : trouble_; }

// --- Redis, its outages and the shared view -----------------------------------------

void RedisEngine::connection_up() {
    if (stopped_ || !commands_.connected() || !events_.connected()) return;
    rejoin();
}

void RedisEngine::connection_down(const std::string& why) {
    ++generation_;
    subscribed_ = subscribed_ && events_.connected();
    syncing_ = false;
    resync_again_ = false;
    held_.clear();
    const bool was_reachable = std::exchange(reachable_, false);
    round_trip_.reset();
    trouble_ = "Redis at " + options_.connection.host + ":" + std::to_string(options_.connection.port) +
               " is unreachable (" + why + "); serving this node's members only";
    const bool logged = std::exchange(outage_logged_, true);
    if (was_reachable || !logged) log(LogLevel::warning, trouble_);
}

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

void RedisEngine::on_event(std::string_view payload) {
    if (syncing_) {
        held_.emplace_back(payload);
        return;
    }
    const std::optional<Event> event = parse_event(payload);
    if (!event) return log(LogLevel::warning, "ignored a malformed event");
    if (event->node == options_.node_id && event->type != Event::Type::dead) return;
    apply(*event);
}

// A change already known (from a snapshot read meanwhile) is neither made nor announced again.
void RedisEngine::apply(const Event& e) {
    const bool remote = node_of_.contains(e.member_id);
    switch (e.type) {
    case Event::Type::join: {
        const auto member = member_from_json(e.member);
        if (!member || replica_.find_member(member->id)) return;
        add_remote(*member, e.node);
        return replica_.publish("", frame_of(e));
    }
    case Event::Type::update: {
        const auto member = member_from_json(e.member);
        if (!member || !node_of_.contains(member->id) || !replica_.assign_member(*member)) return;
        return replica_.publish("", frame_of(e));
    }
    case Event::Type::leave:
        if (!remote) return;
        replica_.publish("", frame_of(e));
        return remove_remote(std::string(e.member_id));
    case Event::Type::subscribe:
        if (!remote || replica_.is_subscribed(e.channel, e.member_id)) return;
        replica_.insert_subscription(e.channel, e.member_id);
        return replica_.publish(e.channel, frame_of(e));
    case Event::Type::unsubscribe:
        if (!remote || !replica_.is_subscribed(e.channel, e.member_id)) return;
        replica_.publish(e.channel, frame_of(e));
        replica_.erase_subscription(e.channel, e.member_id);
        return;
    case Event::Type::frame: return deliver(e);
    case Event::Type::registered: return resync();
    case Event::Type::dead:
        if (e.node == options_.node_id) return rejoin();
        return drop_node(e.node, e.reaper == options_.node_id);
    }
}

void RedisEngine::deliver(const Event& e) {
    if (e.target == Event::Target::member) {
        if (replica_.is_local(e.member_id)) replica_.send_to_member(e.member_id, frame_of(e));
        return;
    }
    // A publish from another node: its delivery here is timed from now, when it is taken in.
    const MadeAt arrived = std::chrono::steady_clock::now();
    const auto frame = frame_of(e);
    frame->made_at = arrived;
    replica_.publish(e.target == Event::Target::channel ? e.channel : std::string_view(), frame);
}

void RedisEngine::drop_node(std::string_view node, bool reaped_here) {
    std::vector<std::string> ids;
    for (const auto& [id, owner] : node_of_)
        if (owner == node) ids.push_back(id);
    for (const std::string& id : ids) vanish(id, reaped_here);
    if (const auto known = node_members_.find(node); known != node_members_.end()) node_members_.erase(known);
    if (reaped_here && !ids.empty())
        log(LogLevel::warning, "node " + std::string(node) + " stopped renewing its liveness; removed its " +
            std::to_string(ids.size()) + " members");
}

// --- The replica's remote part -------------------------------------------------------

void RedisEngine::add_remote(const Member& member, std::string_view node) {
    replica_.insert_member(member, nullptr);
    node_of_.insert_or_assign(member.id, std::string(node));
    ++node_members_[std::string(node)];
}

void RedisEngine::remove_remote(const std::string& id) {
    replica_.erase_member(id);
    const auto owner = node_of_.find(id);
    if (const auto count = node_members_.find(owner->second); count != node_members_.end()) --count->second;
    node_of_.erase(owner);
}

std::vector<NodeSummary> RedisEngine::nodes() const {
    std::vector<NodeSummary> out{{options_.node_id, local_.size()}};
    for (const auto& [node, members] : node_members_) out.push_back({node, members});
    std::sort(out.begin() + 1, out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

// A remote member's update learned without its frame: made and announced here.
void RedisEngine::update_remote(const Member& member) {
    replica_.assign_member(member);
    if (!listener_) return;
    if (const FramePtr frame = listener_->update_announcement(member)) replica_.publish("", frame);
}

void RedisEngine::appear(const Remote& remote) {
    add_remote(remote.member, remote.node);
    announce(Change::member_new, remote.member, "");
    for (const std::string& channel : remote.channels) enter_channel(remote.member, channel);
}

void RedisEngine::vanish(const std::string& id, bool reaped_here) {
    const Member member = *replica_.find_member(id);
    const std::vector<std::string> channels = replica_.channels_of(id);
    for (const std::string& channel : channels) exit_channel(member, channel);
    remove_remote(id);
    announce(Change::member_remove, member, "");
    if (reaped_here && listener_) listener_->reaped(member, channels);
}

// A remote member's subscription learned without its frame: made and announced here.
void RedisEngine::enter_channel(const Member& member, const std::string& channel) {
    replica_.insert_subscription(channel, member.id);
    announce(Change::channel_member_new, member, channel);
}

void RedisEngine::exit_channel(const Member& member, const std::string& channel) {
    announce(Change::channel_member_remove, member, channel);
    replica_.erase_subscription(channel, member.id);
}

void RedisEngine::announce(Change change, const Member& member, std::string_view channel) {
    if (listener_) replica_.publish(channel, listener_->announcement(change, member, channel));
}

// --- This node's own changes: the replica first, then Redis --------------------------

bool RedisEngine::add_member(const Member& member, Connection& connection, const FramePtr& announcement) {
    if (!replica_.insert_member(member, &connection)) return false;
    local_.insert(member.id);
    replica_.publish("", announcement);
    const std::string json = member_json(member);
    send({"HSET", node_key(options_.node_id, "members"), member.id, json});
    send({"PUBLISH", events_channel_, join_event(options_.node_id, json, *announcement)});
    return true;
}

void RedisEngine::remove_member(std::string_view id, const FramePtr& announcement) {
    const auto local = local_.find(id);
    if (local == local_.end()) return;
    replica_.publish("", announcement);
    replica_.erase_member(id);
    send({"HDEL", node_key(options_.node_id, "members"), id});
    send({"PUBLISH", events_channel_, leave_event(options_.node_id, id, *announcement)});
    local_.erase(local);
}

void RedisEngine::update_member(const Member& member, const FramePtr& announcement) {
    if (!local_.contains(member.id) || !replica_.assign_member(member)) return;
    replica_.publish("", announcement);
    const std::string json = member_json(*replica_.find_member(member.id));
    send({"HSET", node_key(options_.node_id, "members"), member.id, json});
    send({"PUBLISH", events_channel_, update_event(options_.node_id, json, *announcement)});
}

bool RedisEngine::subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) {
    const bool created = replica_.insert_subscription(channel, id);
    replica_.publish(channel, announcement);
    send({"SADD", node_key(options_.node_id, "subscriptions"), subscription_entry(id, channel)});
    send({"PUBLISH", events_channel_,
          subscription_event(Event::Type::subscribe, options_.node_id, id, channel, *announcement)});
    return created;
}

bool RedisEngine::unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) {
    replica_.publish(channel, announcement);
    const bool freed = replica_.erase_subscription(channel, id);
    send({"SREM", node_key(options_.node_id, "subscriptions"), subscription_entry(id, channel)});
    send({"PUBLISH", events_channel_,
          subscription_event(Event::Type::unsubscribe, options_.node_id, id, channel, *announcement)});
    return freed;
}

void RedisEngine::publish(std::string_view channel, const FramePtr& frame) {
    replica_.publish(channel, frame);
    const auto target = channel.empty() ? Event::Target::everyone : Event::Target::channel;
    send({"PUBLISH", events_channel_, frame_event(options_.node_id, target, channel, *frame)});
}

bool RedisEngine::send_to_member(std::string_view id, const FramePtr& frame) {
    if (replica_.is_local(id)) return replica_.send_to_member(id, frame);
    const auto remote = node_of_.find(id);
    if (remote == node_of_.end()) return false;
    send({"PUBLISH", events_channel_, frame_event(options_.node_id, Event::Target::member, id, *frame)});
    return true;
}

}  // namespace presence::redis
