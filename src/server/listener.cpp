#include "server/listener.h"

#include <sstream>
#include <system_error>

namespace presence {

Listener::Listener(std::shared_ptr<ServerCore> core, const boost::asio::ip::tcp::endpoint& endpoint, HttpRole role)
    : core_(std::move(core)), role_(role), acceptor_(core_->strand) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) {
        std::ostringstream where;
        where << endpoint;
        throw std::system_error(ec, "cannot listen on " + where.str());
    }
    port_ = acceptor_.local_endpoint().port();
}

void Listener::run() { accept(); }

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void Listener::accept() {
    acceptor_.async_accept(core_->strand, [self = shared_from_this()](boost::system::error_code ec,
                                                                      boost::asio::ip::tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (!ec) {
            boost::system::error_code ignored;
            socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
            start_session(std::move(socket), self->core_, self->role_);
        }
        self->accept();
    });
}

}  // namespace presence
