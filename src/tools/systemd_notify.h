// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

// What presence-server tells systemd when it runs as a service: its state, by the
// notification protocol of sd_notify(3), and its log's priorities, by the prefixes of
// sd-daemon(3). Without systemd both do nothing.
namespace presence::tools {

// Sends `state` ("READY=1", "STOPPING=1", "STATUS=...", one per line) to the socket that
// NOTIFY_SOCKET names; false when there is none or the send failed.
bool notify_systemd(std::string_view state);

// Whether stderr is the journal's stream (JOURNAL_STREAM names its device and inode), so
// that a log line may start with its priority, "<3>" for an error.
bool stderr_is_journal();

}  // namespace presence::tools
