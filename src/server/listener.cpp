// SPDX-License-Identifier: Apache-2.0
#include "server/listener.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <system_error>
#include <utility>

namespace presence {
namespace {

// After an accept that failed for want of resources: long enough not to burn a core on a
// full descriptor table, short enough that clients barely notice once it frees.
constexpr std::chrono::milliseconds accept_retry_delay{100};

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

bool out_of_descriptors(const boost::system::error_code& ec) {
    return ec == boost::asio::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system;
}

}  // namespace

Listener::Listener(std::shared_ptr<ServerCore> core, const boost::asio::ip::tcp::endpoint& endpoint, HttpRole role)
    : core_(std::move(core)), role_(role), acceptor_(core_->strand), retry_(core_->strand), reserve_(open_reserve()) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(boost::asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    // The reserve's accept must not wait when the client that was there has gone.
    if (!ec) acceptor_.non_blocking(true, ec);
    if (ec) {
        std::ostringstream where;
        where << endpoint;
        throw std::system_error(ec, "cannot listen on " + where.str());
    }
    port_ = acceptor_.local_endpoint().port();
}

Listener::~Listener() {
    if (reserve_ >= 0) ::close(reserve_);
}

void Listener::run() { accept(); }

void Listener::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
}

void Listener::accept() {
    acceptor_.async_accept(core_->strand,
                           [self = shared_from_this()](boost::system::error_code ec,
                                                       boost::asio::ip::tcp::socket socket) {
                               self->on_accept(ec, std::move(socket));
                           });
}

void Listener::on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
        // A client that a refusal answered was waiting: the next may be too.
        if (out_of_descriptors(ec) && refuse_with_reserve()) return accept();
        return retry_later();
    }
    const boost::asio::ip::address address = socket.remote_endpoint(ec).address();
    if (!ec) {
        socket.set_option(boost::asio::ip::tcp::no_delay(true), ec);
        start_session(std::move(socket), core_, role_, core_->admit(address, role_));
    }
    accept();
}

// Frees the reserve descriptor to accept the waiting client with, and lends it to that
// client's refusal: taken back once the refusal has ended. False when it is already lent
// or no client could be accepted.
bool Listener::refuse_with_reserve() {
    if (reserve_ < 0) return false;
    ::close(std::exchange(reserve_, -1));
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket socket(core_->strand);
    acceptor_.accept(socket, ec);
    if (ec) {
        reserve_ = open_reserve();
        return false;
    }
    core_->counters.refused(Admission::no_descriptors);
    // Taken back by whoever drops the lease last: the session, on the strand, or the
    // io_context's destruction, after the listener's stop.
    std::shared_ptr<const void> lease(nullptr, [self = shared_from_this()](const void*) {
        if (self->acceptor_.is_open() && self->reserve_ < 0) self->reserve_ = open_reserve();
    });
    start_session(std::move(socket), core_, role_, Admitted{Admission::no_descriptors, std::move(lease)});
    return true;
}

void Listener::retry_later() {
    retry_.expires_after(accept_retry_delay);
    retry_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec && self->acceptor_.is_open()) self->accept();
    });
}

}  // namespace presence
