// SPDX-License-Identifier: Apache-2.0
#include "engine/memory/memory_engine.h"

#include <algorithm>

#include "domain/connection.h"

namespace presence {

void MemoryEngine::MemberSet::insert(Entry& entry) {
    index_.emplace(entry.member.id, entries_.size());
    entries_.push_back(&entry);
    by_id_.emplace(entry.member.id, &entry);
}

void MemoryEngine::MemberSet::erase(const std::string& id) {
    const auto it = index_.find(id);
    if (it == index_.end()) return;
    const std::size_t hole = it->second;
    index_.erase(it);
    by_id_.erase(by_id_.find(std::string_view(id)));
    if (hole != entries_.size() - 1) {
        entries_[hole] = entries_.back();
        index_[entries_[hole]->member.id] = hole;
    }
    entries_.pop_back();
}

std::vector<Member> MemoryEngine::MemberSet::page(std::string_view after, std::size_t limit) const {
    std::vector<Member> out;
    out.reserve(std::min(limit, by_id_.size()));
    for (auto it = by_id_.upper_bound(after); it != by_id_.end() && out.size() < limit; ++it)
        out.push_back(it->second->member);
    return out;
}

void MemoryEngine::changed(Change change, const Member& member, std::string_view channel) {
    if (listener_) listener_->changed(change, member, channel);
}

bool MemoryEngine::add_member(const Member& member, Connection& connection, const FramePtr& announcement) {
    if (!insert_member(member, &connection)) return false;
    publish("", announcement);
    return true;
}

void MemoryEngine::remove_member(std::string_view id, const FramePtr& announcement) {
    publish("", announcement);
    erase_member(id);
}

void MemoryEngine::update_member(const Member& member, const FramePtr& announcement) {
    if (assign_member(member)) publish("", announcement);
}

bool MemoryEngine::subscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) {
    const bool created = insert_subscription(channel, id);
    publish(channel, announcement);
    return created;
}

bool MemoryEngine::unsubscribe(std::string_view channel, std::string_view id, const FramePtr& announcement) {
    publish(channel, announcement);
    return erase_subscription(channel, id);
}

bool MemoryEngine::insert_member(const Member& member, Connection* connection) {
    const auto [it, added] = members_.try_emplace(member.id, Entry{member, connection, {}});
    if (!added) return false;
    everyone_.insert(it->second);
    changed(Change::member_new, member, "");
    return true;
}

void MemoryEngine::erase_member(std::string_view id) {
    const auto it = members_.find(id);
    if (it == members_.end()) return;
    for (const std::string& channel : std::vector<std::string>(it->second.channels))
        erase_subscription(channel, id);
    everyone_.erase(it->first);
    const Member member = std::move(it->second.member);
    members_.erase(it);
    changed(Change::member_remove, member, "");
}

// The id stays as it is: the member sets look entries up by views of it.
bool MemoryEngine::assign_member(const Member& member) {
    const auto it = members_.find(member.id);
    if (it == members_.end()) return false;
    it->second.member.name = member.name;
    it->second.member.info = member.info;
    if (listener_) listener_->updated(it->second.member);
    return true;
}

bool MemoryEngine::is_local(std::string_view id) const {
    const auto it = members_.find(id);
    return it != members_.end() && it->second.connection;
}

const Member* MemoryEngine::find_member(std::string_view id) const {
    const auto it = members_.find(id);
    return it == members_.end() ? nullptr : &it->second.member;
}

bool MemoryEngine::channel_exists(std::string_view channel) const {
    return channels_.contains(channel);
}

bool MemoryEngine::is_subscribed(std::string_view channel, std::string_view id) const {
    const auto it = channels_.find(channel);
    return it != channels_.end() && it->second.contains(id);
}

bool MemoryEngine::insert_subscription(std::string_view channel, std::string_view id) {
    Entry& entry = members_.find(id)->second;
    auto [it, created] = channels_.try_emplace(std::string(channel));
    it->second.insert(entry);
    entry.channels.emplace_back(channel);
    changed(Change::channel_member_new, entry.member, channel);
    return created;
}

bool MemoryEngine::erase_subscription(std::string_view channel, std::string_view id) {
    const auto it = channels_.find(channel);
    if (it == channels_.end()) return false;
    if (!it->second.contains(id)) return false;
    it->second.erase(std::string(id));
    const auto member = members_.find(id);
    changed(Change::channel_member_remove, member->second.member, channel);
    const bool emptied = it->second.empty();
    if (emptied) channels_.erase(it);
    std::erase(member->second.channels, channel);
    return emptied;
}

std::vector<std::string> MemoryEngine::channels_of(std::string_view id) const {
    const auto it = members_.find(id);
    return it == members_.end() ? std::vector<std::string>{} : it->second.channels;
}

std::size_t MemoryEngine::member_count(std::string_view channel) const {
    const auto it = channels_.find(channel);
    return it == channels_.end() ? 0 : it->second.size();
}

std::vector<Member> MemoryEngine::members_of(const MemberSet& set) {
    std::vector<Member> out;
    out.reserve(set.size());
    for (const Entry* entry : set.entries()) out.push_back(entry->member);
    return out;
}

std::vector<Member> MemoryEngine::members(std::string_view channel) const {
    const auto it = channels_.find(channel);
    return it == channels_.end() ? std::vector<Member>{} : members_of(it->second);
}

std::vector<Member> MemoryEngine::all_members() const { return members_of(everyone_); }

std::vector<Member> MemoryEngine::members_page(std::string_view channel, std::string_view after,
                                               std::size_t limit) const {
    if (channel.empty()) return everyone_.page(after, limit);
    const auto it = channels_.find(channel);
    return it == channels_.end() ? std::vector<Member>{} : it->second.page(after, limit);
}

std::vector<ChannelSummary> MemoryEngine::channels() const {
    std::vector<ChannelSummary> out;
    out.reserve(channels_.size());
    for (const auto& [name, set] : channels_) out.push_back({name, set.size()});
    std::sort(out.begin(), out.end(),
              [](const ChannelSummary& a, const ChannelSummary& b) { return a.name < b.name; });
    return out;
}

void MemoryEngine::publish(std::string_view channel, const FramePtr& frame) {
    const MemberSet* set = &everyone_;
    if (!channel.empty()) {
        const auto it = channels_.find(channel);
        if (it == channels_.end()) return;
        set = &it->second;
    }
    for (Entry* entry : set->entries()) {
        if (!entry->connection) continue;
        entry->connection->deliver(frame);
        ++deliveries_;
    }
}

bool MemoryEngine::send_to_member(std::string_view id, const FramePtr& frame) {
    const auto it = members_.find(id);
    if (it == members_.end()) return false;
    if (!it->second.connection) return true;
    it->second.connection->deliver(frame);
    ++deliveries_;
    return true;
}

}  // namespace presence
