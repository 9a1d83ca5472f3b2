// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace presence::bench {

// Everything presence-bench is told (its --help describes each one).
struct BenchOptions {
    std::string scenario;                  // broadcast, fanout, connections, join-storm, raw
    std::string url;                       // ws://HOST:PORT/PATH of a running server
    std::string spawn;                     // or the presence-server binary to start
    std::vector<std::string> server_args;  // extra flags for the spawned server
    int server_pid = 0;                    // a server given by URL: read its RSS and CPU
    int server_cpu = -1;                   // pin the spawned server to this CPU
    std::size_t threads = 1;               // the tool's event loops
    std::size_t sources = 1;               // source addresses 127.0.0.1 .. 127.0.0.N
    std::size_t clients = 100;             // N, C or M, as the scenario says
    std::size_t channels = 1;              // K (connections)
    std::uint64_t messages = 0;            // publishes in all; 0 = until --duration
    double duration = 5;                   // seconds of publishing
    double rate = 0;                       // publishes per second (fanout); 0 = saturation
    std::size_t window = 64;               // publishes in flight at saturation (fanout)
    std::size_t payload = 64;              // bytes of each message's text (or raw payload)
    bool raw = false;                      // plain WebSocket frames, no presence protocol
    bool join = true;                      // connections: join and subscribe, or stay at the session
    bool diffs = false;                    // join-storm: take coalesced diffs instead of announcements
    std::size_t page = 0;                  // join-storm --diffs: members per page; 0 = the whole list at once
    std::string subprotocol;               // offered sub-protocol (default: presence.esegece.com, none when raw)
    double timeout = 120;                  // seconds before the tool gives up
    std::size_t connect_window = 256;      // upgrades in flight while connecting
    std::string json_file;                 // where every figure is written
};

}  // namespace presence::bench
