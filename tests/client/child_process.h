#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace presence::test {

// A child process whose standard output the test reads; its standard error goes to the
// test's. Killed on destruction if it is still running.
class ChildProcess {
public:
    // Throws std::system_error when the program cannot be started.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // The next line of output without its newline; nullopt at the end of output or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Waits for the end of the output and the exit; the rest of the output. `exit_status`
    // is the exit code, or -1 when the child had to be killed after `timeout`.
    std::string finish(std::chrono::milliseconds timeout, int& exit_status);

private:
    enum class Fill { data, end, timeout };
    // Reads what is available by `deadline`.
    Fill fill(std::chrono::steady_clock::time_point deadline);
    void kill_and_reap();

    pid_t pid_ = -1;
    int output_ = -1;
    std::string buffer_;
};

}  // namespace presence::test
