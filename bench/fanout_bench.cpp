// A first, rough fan-out figure: N members in one channel, one of them publishes M
// messages, every member receives every message. Server and clients share the machine:
// the server runs on its own thread, all clients on this one.
//   fanout-bench [clients=1000] [messages=2000] [payload bytes=64]
#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <vector>

#include "presence/server.h"
#include "protocol/codec.h"

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using presence::protocol::Message;
using presence::protocol::Method;
using Clock = std::chrono::steady_clock;

namespace {

struct Subscriber {
    explicit Subscriber(boost::asio::io_context& io) : ws(io) {}
    websocket::stream<beast::tcp_stream> ws;
    beast::flat_buffer buffer;
};

std::string frame(Method method, std::string channel, std::optional<std::string> text = {}) {
    Message m;
    m.method = method;
    m.channel = std::move(channel);
    m.text = std::move(text);
    return presence::protocol::encode(m, false);
}

void join(Subscriber& s, std::uint16_t port) {
    const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(s.ws).connect(endpoint);
    beast::get_lowest_layer(s.ws).socket().set_option(boost::asio::ip::tcp::no_delay(true));
    s.ws.handshake("127.0.0.1", "/");
    s.ws.read(s.buffer);  // the session frame
    s.buffer.consume(s.buffer.size());
    Message member;
    member.method = Method::member_new;
    member.member = presence::Member{};
    s.ws.write(boost::asio::buffer(presence::protocol::encode(member, false)));
    s.ws.write(boost::asio::buffer(frame(Method::channel_member_new, "room")));
}

}  // namespace

int main(int argc, char** argv) {
    const std::size_t clients = argc > 1 ? std::stoul(argv[1]) : 1000;
    const std::size_t messages = argc > 2 ? std::stoul(argv[2]) : 2000;
    const std::size_t payload = argc > 3 ? std::stoul(argv[3]) : 64;

    presence::ServerOptions options;
    options.port = 0;
    options.max_send_queue_bytes = 64 * 1024 * 1024;
    presence::Server server(options);
    server.start();

    boost::asio::io_context io;
    std::vector<std::unique_ptr<Subscriber>> subscribers;
    for (std::size_t i = 0; i < clients; ++i) {
        subscribers.push_back(std::make_unique<Subscriber>(io));
        join(*subscribers.back(), server.port());
    }

    const std::size_t expected = clients * messages;
    std::size_t delivered = 0;
    Clock::time_point last;
    std::function<void(Subscriber&)> read = [&](Subscriber& s) {
        s.ws.async_read(s.buffer, [&](beast::error_code ec, std::size_t) {
            if (ec) return;
            const std::string_view text(static_cast<const char*>(s.buffer.data().data()), s.buffer.size());
            if (text.find("sgc@presence@publish@msg") != std::string_view::npos && ++delivered == expected) {
                last = Clock::now();
                io.stop();
            }
            s.buffer.consume(s.buffer.size());
            read(s);
        });
    };
    for (auto& s : subscribers) read(*s);

    const std::string publish = frame(Method::publish_msg, "room", std::string(payload, 'x'));
    Subscriber& publisher = *subscribers.front();
    std::size_t sent = 0;
    std::function<void()> write = [&] {
        if (sent++ == messages) return;
        publisher.ws.async_write(boost::asio::buffer(publish), [&](beast::error_code ec, std::size_t) {
            if (!ec) write();
        });
    };
    const Clock::time_point first = Clock::now();
    write();
    io.run();

    const double seconds = std::chrono::duration<double>(last - first).count();
    std::cout << "clients " << clients << ", messages " << messages << ", payload " << payload
              << " B: " << delivered << " deliveries in " << seconds << " s = "
              << static_cast<long long>(delivered / seconds) << " deliveries/s\n";
    for (auto& s : subscribers) beast::get_lowest_layer(s->ws).close();
    server.stop();
}
