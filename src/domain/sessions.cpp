// SPDX-License-Identifier: Apache-2.0
#include "domain/sessions.h"

#include <utility>

#include "protocol/guid.h"

namespace presence {
namespace {

// A connection is taken over only by a claimant whose grant fixes the same member id and
// the same user (or neither): its member stays who it was. What it may do is the
// claimant's to say.
bool same_identity(const Grant& a, const Grant& b) { return a.id == b.id && a.user == b.user; }

bool has_ended(const Grant& grant) { return grant.expires && *grant.expires <= std::chrono::system_clock::now(); }

// A grant that ended leaves nothing to take, even before its end was seen.
bool may_take_over(const Connection& held, const Connection& claimant) {
    return !has_ended(held.grant()) && same_identity(held.grant(), claimant.grant());
}

}  // namespace

Connection& Sessions::open(Link& link, Grant grant) {
    // A grant that fixes the member id makes it the session id, the one id a member may join with.
    std::string session_id = grant.id.value_or(protocol::new_guid());
    auto owned = std::make_unique<Connection>(link, std::move(session_id), options_, std::move(grant),
                                              statistics_.limits_hit, hooks_);
    Connection& c = *owned;
    list_grant(c);
    attached_.emplace(&link, std::move(owned));
    return c;
}

Connection* Sessions::find(const Link& link) const {
    const auto it = attached_.find(&link);
    return it == attached_.end() ? nullptr : it->second.get();
}

std::unique_ptr<Connection> Sessions::close(const Link& link) {
    const auto it = attached_.find(&link);
    if (it == attached_.end()) return nullptr;
    std::unique_ptr<Connection> c = std::move(it->second);
    attached_.erase(it);
    resumable_.erase(c->resume_token());
    unlist_grant(*c);
    return c;
}

// The member stays, unseen by the others; what it is sent goes to its backlog.
bool Sessions::detach(const Link& link, std::shared_ptr<const void> hold) {
    const auto it = attached_.find(&link);
    if (it == attached_.end()) return false;
    Connection& c = *it->second;
    if (!c.resumable() || !c.member() || options_.resume.grace.count() <= 0) return false;
    const std::string token = c.resume_token();
    resumable_.erase(token);
    c.detach();
    c.hold = std::move(hold);
    detached_.emplace(token, Detached{std::move(it->second), protocol::Clock::now() + options_.resume.grace});
    attached_.erase(it);
    return true;
}

std::vector<std::unique_ptr<Connection>> Sessions::take_expired(protocol::Clock::time_point now) {
    std::vector<std::unique_ptr<Connection>> expired;
    for (auto it = detached_.begin(); it != detached_.end();) {
        if (it->second.deadline > now) {
            ++it;
            continue;
        }
        unlist_grant(*it->second.connection);
        expired.push_back(std::move(it->second.connection));
        it = detached_.erase(it);
    }
    return expired;
}

Connection* Sessions::take_ended_grant(std::chrono::system_clock::time_point now) {
    if (expiries_.empty() || expiries_.begin()->first > now) return nullptr;
    Connection* c = expiries_.begin()->second;
    unlist_grant(*c);
    if (c->attached()) resumable_.erase(c->resume_token());
    return c;
}

std::unique_ptr<Connection> Sessions::take_detached(const std::string& token) {
    const auto it = detached_.find(token);
    if (it == detached_.end()) return nullptr;
    std::unique_ptr<Connection> c = std::move(it->second.connection);
    detached_.erase(it);
    unlist_grant(*c);
    return c;
}

Connection* Sessions::find_by_id(std::string_view id) const {
    for (const auto& [link, c] : attached_)
        if (c->session_id() == id) return c.get();
    for (const auto& [token, d] : detached_)
        if (d.connection->session_id() == id) return d.connection.get();
    return nullptr;
}

// Numbering starts after the token frame, on both sides; a second hello starts it again.
void Sessions::make_resumable(Connection& c) {
    resumable_.erase(c.resume_token());
    c.make_resumable(protocol::new_guid(), options_.resume.backlog_frames, options_.resume.backlog_bytes);
    resumable_[c.resume_token()] = c.link();
}

std::unique_ptr<Connection> Sessions::claim(const std::string& token, const Connection& claimant) {
    if (const auto it = detached_.find(token); it != detached_.end()) {
        if (!may_take_over(*it->second.connection, claimant)) return nullptr;
        std::unique_ptr<Connection> owned = std::move(it->second.connection);
        detached_.erase(it);
        unlist_grant(*owned);
        return owned;
    }
    const auto it = resumable_.find(token);
    if (it == resumable_.end()) return nullptr;
    Link* old = it->second;
    const auto owner = attached_.find(old);
    if (owner == attached_.end()) return nullptr;
    const Connection& held = *owner->second;
    if (!held.resumable() || !may_take_over(held, claimant)) return nullptr;
    std::unique_ptr<Connection> owned = std::move(owner->second);
    attached_.erase(owner);
    resumable_.erase(it);
    unlist_grant(*owned);
    owned->detach();
    old->drop();
    return owned;
}

std::unique_ptr<Connection> Sessions::adopt(Link& link, std::unique_ptr<Connection> resumed) {
    std::unique_ptr<Connection> fresh = close(link);
    Connection& c = *resumed;
    c.set_grant(fresh->grant());
    c.attach(link);
    c.hold.reset();  // the new link's connection is counted by its own transport
    resumable_[c.resume_token()] = &link;
    list_grant(c);
    attached_.emplace(&link, std::move(resumed));
    return fresh;
}

void Sessions::list_grant(Connection& c) {
    if (c.grant().expires) c.expiry = expiries_.emplace(*c.grant().expires, &c);
}

void Sessions::unlist_grant(Connection& c) {
    if (c.expiry) expiries_.erase(*std::exchange(c.expiry, std::nullopt));
}

}  // namespace presence
