// SPDX-License-Identifier: Apache-2.0
#include "engine/redis/redis_engine.h"

#include <csignal>

#include "protocol/guid.h"

namespace presence::redis {

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
