// SPDX-License-Identifier: Apache-2.0
#include "process_stats.h"

#include <chrono>
#include <csignal>
#include <fstream>
#include <poll.h>
#include <sched.h>
#include <sstream>
#include <stdexcept>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace presence::bench {

namespace {

std::uint64_t status_kib(const std::string& status, const std::string& key) {
    const std::size_t at = status.find(key + ":");
    if (at == std::string::npos) return 0;
    return std::stoull(status.substr(at + key.size() + 1));
}

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The first line the server writes: "presence-server listening on HOST:PORT".
std::uint16_t read_port(int fd, pid_t pid) {
    std::string line;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (line.find('\n') == std::string::npos) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            throw std::runtime_error("presence-server (pid " + std::to_string(pid) + ") printed no port in time");
        char chunk[256];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) throw std::runtime_error("presence-server exited before listening");
        line.append(chunk, static_cast<std::size_t>(n));
    }
    const std::size_t colon = line.rfind(':', line.find('\n'));
    if (line.find("listening on") == std::string::npos || colon == std::string::npos)
        throw std::runtime_error("unexpected first line from presence-server: " + line);
    return static_cast<std::uint16_t>(std::stoul(line.substr(colon + 1)));
}

}  // namespace

ProcessSample sample_process(pid_t pid) {
    ProcessSample s;
    if (pid <= 0) return s;
    const std::string dir = "/proc/" + std::to_string(pid);
    const std::string status = read_all(dir + "/status");
    s.rss_bytes = status_kib(status, "VmRSS") * 1024;
    s.peak_rss_bytes = status_kib(status, "VmHWM") * 1024;
    // Fields 14 and 15 (utime, stime) follow the command name, which is in parentheses.
    const std::string stat = read_all(dir + "/stat");
    const std::size_t after_name = stat.rfind(')');
    if (after_name == std::string::npos) return s;
    std::istringstream fields(stat.substr(after_name + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    return s;
}

double own_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::uint64_t raise_file_limit() {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

SpawnedServer::SpawnedServer(const std::string& path, const std::vector<std::string>& args, int cpu) {
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
    std::vector<char*> argv{const_cast<char*>(path.c_str())};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            ::sched_setaffinity(0, sizeof set, &set);
        }
        ::dup2(out[1], STDOUT_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        ::execv(path.c_str(), argv.data());
        ::_exit(127);
    }
    ::close(out[1]);
    try {
        port_ = read_port(out[0], pid_);
    } catch (...) {
        ::close(out[0]);
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        throw;
    }
    // Kept open: a server writing to a closed pipe would die of SIGPIPE.
    output_ = out[0];
}

SpawnedServer::~SpawnedServer() {
    ::kill(pid_, SIGTERM);
    bool ended = false;
    for (int i = 0; i < 100 && !ended; ++i) {
        ended = ::waitpid(pid_, nullptr, WNOHANG) == pid_;
        if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!ended) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ::close(output_);
}

}  // namespace presence::bench
