// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace presence::bench {

// One look at a process, from /proc/PID/status and /proc/PID/stat.
struct ProcessSample {
    std::uint64_t rss_bytes = 0;       // VmRSS
    std::uint64_t peak_rss_bytes = 0;  // VmHWM
    double cpu_seconds = 0;            // user + system
};

ProcessSample sample_process(pid_t pid);
double own_cpu_seconds();  // getrusage(RUSAGE_SELF): every thread of this tool

// Raises this process's soft limit of open files to its hard limit; returns the limit.
std::uint64_t raise_file_limit();

// A presence-server started by the tool: its port (read from its first line of output),
// pinned to a CPU when `cpu` >= 0, stopped with SIGTERM by the destructor.
class SpawnedServer {
public:
    SpawnedServer(const std::string& path, const std::vector<std::string>& args, int cpu);
    ~SpawnedServer();
    SpawnedServer(const SpawnedServer&) = delete;
    SpawnedServer& operator=(const SpawnedServer&) = delete;

    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    int output_ = -1;  // the read end of the server's stdout
};

}  // namespace presence::bench
