// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "child_process.h"

namespace presence::test {

// tests/support/fault_proxy.py in front of `upstream_port`; commands are answered before
// they return.
class FaultProxy {
public:
    explicit FaultProxy(int upstream_port)
        : process_({PRESENCE_TEST_PYTHON, PRESENCE_FAULT_PROXY, std::to_string(upstream_port)}) {
        const std::optional<std::string> line = process_.read_line(std::chrono::seconds(30));
        if (line && line->starts_with("port ")) port_ = std::stoi(line->substr(5));
    }

    bool started() const { return port_ != 0; }
    int port() const { return port_; }

    // Forwards nothing more either way on the current connections and closes nothing: a
    // pulled cable.
    bool stall() { return command("stall"); }
    // Resets the client side of the current connections; the server side stays open and silent.
    bool cut() { return command("cut"); }
    // Ends the proxy: every connection through it breaks, and new ones are refused.
    bool stop() {
        int status = -1;
        process_.finish(std::chrono::seconds(10), status);
        return status == 0;
    }

private:
    bool command(const std::string& name) {
        return process_.write_line(name) && process_.read_line(std::chrono::seconds(10)) == "ok";
    }

    ChildProcess process_;
    int port_ = 0;
};

}  // namespace presence::test
