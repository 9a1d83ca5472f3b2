// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "server/http_session.h"
#include "server/server_core.h"

namespace presence {

// Accepts connections, counts each in the limits, and starts an HttpSession in `role` on
// each. Out of file descriptors, it keeps one in reserve to accept a client with and tell
// it so (HTTP 503), and waits before it tries again rather than spin.
class Listener final : public std::enable_shared_from_this<Listener> {
public:
    // Binds and listens at once, so an address in use fails start-up, not later.
    Listener(std::shared_ptr<ServerCore> core, const boost::asio::ip::tcp::endpoint& endpoint, HttpRole role);
    ~Listener();
    void run();
    void stop();
    std::uint16_t port() const { return port_; }

private:
    void accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    bool refuse_with_reserve();
    void retry_later();

    std::shared_ptr<ServerCore> core_;
    HttpRole role_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_;
    std::uint16_t port_ = 0;
    int reserve_ = -1;  // a descriptor held for a refusal when none is left; -1 while lent
};

}  // namespace presence
