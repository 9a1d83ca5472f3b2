// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "domain/frame.h"

namespace presence {

// The last frames sent to one connection, numbered from 0, so that a client that lost
// its connection can be sent again exactly what it did not receive. Bounded in frames
// and in bytes; the slots are allocated once, so keeping a frame costs no allocation.
class Backlog {
public:
    Backlog(std::size_t max_frames, std::size_t max_bytes)
        : slots_(max_frames), max_bytes_(max_bytes) {}

    void push(const Bytes& bytes);
    // Numbers frames from 0 again, forgetting every kept frame.
    void restart();

    // How many frames were pushed since the last restart.
    std::uint64_t sent() const { return next_; }
    // Whether every frame from number `first` on is still kept.
    bool holds_from(std::uint64_t first) const { return first <= next_ && first >= next_ - kept_; }
    // Calls `send` with every kept frame from number `first` on; requires holds_from(first).
    template <typename Send>
    void replay_from(std::uint64_t first, Send send) const {
        for (std::uint64_t n = first; n < next_; ++n) send(slots_[n % slots_.size()]);
    }

    // The bytes of the kept frames.
    std::size_t bytes() const { return kept_bytes_; }
    // Forgets the oldest kept frame; false when none is kept.
    bool drop_oldest();

private:

    std::vector<Bytes> slots_;
    std::size_t max_bytes_;
    std::uint64_t next_ = 0;   // number of the next frame
    std::uint64_t kept_ = 0;   // frames next_ - kept_ .. next_ - 1 are kept
    std::size_t kept_bytes_ = 0;
};

}  // namespace presence
