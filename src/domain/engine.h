// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/fanout.h"
#include "domain/frame.h"
#include "domain/roster.h"
#include "metrics/latency_histogram.h"
#include "presence/member.h"

namespace presence {

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

// Who is where (Roster) and fan-out to them (Fanout), kept by one engine because a
// change and the frame that announces it travel together; plus the engine's own life.
// The presence rules call only these interfaces, so a memory engine and a multi-node
// engine are interchangeable; a part of the domain that needs only one side holds a
// Roster& or a Fanout&.
class Engine : public Roster, public Fanout {
public:
    virtual void set_listener(EngineListener&) {}
    virtual void start() {}
    // Leaves the shared view; `done` runs once that is sent.
    virtual void stop(std::function<void()> done) { done(); }
    // Empty while the engine works as it should; otherwise what is wrong (e.g. the shared
    // view is unreachable and only this node's members are served).
    virtual std::string trouble() const { return {}; }
    // The last round trip to the shared view that the engine timed, if any.
    virtual std::optional<std::chrono::steady_clock::duration> round_trip() const { return std::nullopt; }
    // Every round trip timed so far; null for an engine that times none.
    virtual const LatencyHistogram* round_trips() const { return nullptr; }
};

}  // namespace presence
