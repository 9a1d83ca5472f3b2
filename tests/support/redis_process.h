// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

namespace presence::test {

// A real redis-server on 127.0.0.1 for one test: no persistence, its own free port.
// REDIS_SERVER names the program (default: redis-server, found on PATH).
class RedisProcess {
public:
    // Starts it on a free loopback port and waits (at most 10 s) until it answers PING;
    // throws std::runtime_error on failure.
    RedisProcess();
    // Kills it (SIGKILL) and reaps it.
    ~RedisProcess();
    RedisProcess(const RedisProcess&) = delete;
    RedisProcess& operator=(const RedisProcess&) = delete;

    std::uint16_t port() const { return port_; }
    // SIGTERM, then waits for it to exit (at most 10 s; then SIGKILL).
    void stop();
    // SIGKILL, reaped.
    void kill();
    // Starts it again on the same port (killing it first if it still runs) and waits until
    // it answers.
    void restart();
    bool running() const { return pid_ > 0; }

private:
    bool launch();
    bool reaped_within(std::chrono::milliseconds timeout);

    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace presence::test
