// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace presence::test {

// A child process whose standard input the test writes and whose standard output it
// reads; its standard error goes to the test's. Killed on destruction if it is still
// running.
class ChildProcess {
public:
    // Throws std::system_error when the program cannot be started.
    explicit ChildProcess(const std::vector<std::string>& argv);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Writes `line` and a newline to the child's input; false when the child is gone.
    bool write_line(const std::string& line);
    // The next line of output without its newline; nullopt at the end of output or timeout.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    // Ends the input, then waits for the end of the output and the exit; the rest of the
    // output. `exit_status` is the exit code, or -1 when the child had to be killed after
    // `timeout`.
    std::string finish(std::chrono::milliseconds timeout, int& exit_status);

private:
    enum class Fill { data, end, timeout };
    // Reads what is available by `deadline`.
    Fill fill(std::chrono::steady_clock::time_point deadline);
    void kill_and_reap();
    void close_input();

    pid_t pid_ = -1;
    int input_ = -1;  // a socket rather than a pipe: writing to a dead child raises no SIGPIPE
    int output_ = -1;
    std::string buffer_;
};

}  // namespace presence::test
