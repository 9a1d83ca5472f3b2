// SPDX-License-Identifier: Apache-2.0
#include "redis_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace presence::test {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto ready_timeout = 10s;
constexpr auto stop_timeout = 10s;
constexpr auto poll_interval = 10ms;
constexpr int exec_failed = 127;

sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    return address;
}

// The port the kernel gives a socket bound to port 0; free once that socket is closed,
// unless someone takes it in between (then redis fails to bind and we pick another).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    const bool bound = fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    if (fd >= 0) ::close(fd);
    if (!bound) throw std::runtime_error("cannot find a free port on 127.0.0.1");
    return ntohs(address.sin_port);
}

// One PING on a fresh connection, each step bounded by a second.
bool answers_ping(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const timeval second{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &second, sizeof second);
    const sockaddr_in address = loopback(port);
    char reply[7];
    const bool answered = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
                          ::send(fd, "PING\r\n", 6, MSG_NOSIGNAL) == 6 &&
                          ::recv(fd, reply, sizeof reply, MSG_WAITALL) == sizeof reply;
    ::close(fd);
    return answered && std::string_view(reply, sizeof reply) == "+PONG\r\n";
}

std::string server_program() {
    const char* program = std::getenv("REDIS_SERVER");
    return program && *program ? program : "redis-server";
}

pid_t spawn(const std::string& program, std::uint16_t port) {
    const std::string port_text = std::to_string(port);
    const char* const argv[] = {program.c_str(), "--port", port_text.c_str(), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--daemonize", "no",
                                "--protected-mode", "no", "--loglevel", "warning", nullptr};
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot fork for " + program);
    if (pid > 0) return pid;
    // The child: only async-signal-safe calls until exec, as the test may run other threads.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no redis outlives a test that crashed
    if (::getppid() != parent) ::_exit(exec_failed);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // the test's sockets stay the test's
    ::execvp(argv[0], const_cast<char* const*>(argv));
    ::_exit(exec_failed);
}

}  // namespace

RedisProcess::RedisProcess() {
    for (int tries = 0; tries < 5; ++tries) {
        port_ = free_port();
        if (launch()) return;
    }
    throw std::runtime_error("redis-server could not listen on a free port");
}

RedisProcess::~RedisProcess() { kill(); }

void RedisProcess::stop() {
    if (!running()) return;
    ::kill(pid_, SIGTERM);
    if (!reaped_within(stop_timeout)) kill();
}

void RedisProcess::kill() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
}

void RedisProcess::restart() {
    kill();
    if (!launch()) throw std::runtime_error("redis-server could not listen again on port " + std::to_string(port_));
}

// Starts redis on port_ and waits until it answers; false when it exited first (it could not
// listen on that port).
bool RedisProcess::launch() {
    const std::string program = server_program();
    pid_ = spawn(program, port_);
    const auto deadline = Clock::now() + ready_timeout;
    while (Clock::now() < deadline) {
        if (answers_ping(port_)) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            if (WIFEXITED(status) && WEXITSTATUS(status) == exec_failed)
                throw std::runtime_error("cannot run " + program + " (set REDIS_SERVER to its path)");
            return false;
        }
        std::this_thread::sleep_for(poll_interval);
    }
    kill();
    throw std::runtime_error(program + " did not answer on port " + std::to_string(port_) + " within 10 s");
}

bool RedisProcess::reaped_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (::waitpid(pid_, nullptr, WNOHANG) != pid_) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
    pid_ = -1;
    return true;
}

}  // namespace presence::test
