// SPDX-License-Identifier: Apache-2.0
#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

extern char** environ;

namespace presence::test {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void throw_errno(int error, const char* what) {
    throw std::system_error(error, std::generic_category(), what);
}

int milliseconds_until(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv) {
    int input_fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, input_fds) != 0) throw_errno(errno, "socketpair");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        const int error = errno;
        ::close(input_fds[0]);
        ::close(input_fds[1]);
        throw_errno(error, "pipe2");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, input_fds[1], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int error = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(input_fds[1]);
    ::close(pipe_fds[1]);
    input_ = input_fds[0];
    output_ = pipe_fds[0];
    if (error != 0) {
        close_input();
        ::close(output_);
        throw_errno(error, "posix_spawn");
    }
}

ChildProcess::~ChildProcess() {
    close_input();
    if (pid_ > 0) kill_and_reap();
    ::close(output_);
}

bool ChildProcess::write_line(const std::string& line) {
    const std::string data = line + '\n';
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t n = ::send(input_, data.data() + written, data.size() - written, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        written += static_cast<std::size_t>(n);
    }
    return true;
}

void ChildProcess::close_input() {
    if (input_ < 0) return;
    ::close(input_);
    input_ = -1;
}

ChildProcess::Fill ChildProcess::fill(Clock::time_point deadline) {
    pollfd fd{output_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, milliseconds_until(deadline));
    if (ready < 0 && errno == EINTR) return Fill::data;
    if (ready == 0) return Fill::timeout;
    char chunk[4096];
    const ssize_t n = ready < 0 ? -1 : ::read(output_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) return Fill::data;
    if (n <= 0) return Fill::end;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return Fill::data;
}

std::optional<std::string> ChildProcess::read_line(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
            std::string line = buffer_.substr(0, newline);
            buffer_.erase(0, newline + 1);
            return line;
        }
        if (fill(deadline) != Fill::data) return std::nullopt;
    }
}

std::string ChildProcess::finish(std::chrono::milliseconds timeout, int& exit_status) {
    close_input();
    const auto deadline = Clock::now() + timeout;
    Fill last = Fill::data;
    while (last == Fill::data) last = fill(deadline);
    exit_status = -1;
    if (last == Fill::timeout) {
        kill_and_reap();
        return std::exchange(buffer_, {});
    }
    int status = 0;
    if (::waitpid(pid_, &status, 0) == pid_ && WIFEXITED(status)) exit_status = WEXITSTATUS(status);
    pid_ = -1;
    return std::exchange(buffer_, {});
}

void ChildProcess::kill_and_reap() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

}  // namespace presence::test
