#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "server/http_session.h"
#include "server/server_core.h"

namespace presence {

// Accepts connections and starts an HttpSession in `role` on each.
class Listener final : public std::enable_shared_from_this<Listener> {
public:
    // Binds and listens at once, so an address in use fails start-up, not later.
    Listener(std::shared_ptr<ServerCore> core, const boost::asio::ip::tcp::endpoint& endpoint, HttpRole role);
    void run();
    void stop();
    std::uint16_t port() const { return port_; }

private:
    void accept();

    std::shared_ptr<ServerCore> core_;
    HttpRole role_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::uint16_t port_ = 0;
};

}  // namespace presence
