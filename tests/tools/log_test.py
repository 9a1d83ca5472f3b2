#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""presence-server's log on stderr: text lines or JSON objects, as --log-level filters them.

Run by ctest with PRESENCE_SERVER and PRESENCE_CLI naming the binaries. Each server's log
lines follow its output on one pipe; every wait is bounded.
"""

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")
CLI = os.environ.get("PRESENCE_CLI", "presence-cli")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)

TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"  # UTC, to the millisecond
LEVELS = ("error", "warning", "info", "debug")


class LoggedServer(Process):
    def __init__(self, *extra):
        super().__init__([SERVER, "--host", "127.0.0.1", "--port", "0", *extra], stderr=subprocess.STDOUT)
        self.port = int(self.expect_prefix("presence-server listening on ").rsplit(":", 1)[1])

    def stop(self):
        """Ctrl-C; the lines printed until the server ended, which it does with status 0."""
        self.interrupt()
        rest = []
        while (line := self.lines.get(timeout=WAIT)) is not None:
            rest.append(line)
        if self.exit_code() != 0:
            raise AssertionError("the server did not stop cleanly:\n" + "\n".join(self.seen + rest))
        return rest


class Member(Process):
    """presence-cli connected as `name`; `id` is its session's."""

    def __init__(self, server, name="alice"):
        super().__init__([CLI, "--url", f"ws://127.0.0.1:{server.port}", "--name", name, "--json"])
        self.id = json.loads(self.expect_prefix('{"event":"session"'))["id"]

    def leave(self):
        self.end_input()
        if self.exit_code() != 0:
            raise AssertionError(f"presence-cli failed: {self.seen}")


def entry(line):
    """A JSON log line: exactly a time, a level and a message."""
    try:
        entry = json.loads(line)
    except ValueError:
        raise AssertionError(f"not a JSON line: {line!r}")
    if set(entry) != {"time", "level", "message"}:
        raise AssertionError(f"not a log entry: {line!r}")
    if not re.fullmatch(TIME, entry["time"]) or entry["level"] not in LEVELS:
        raise AssertionError(f"bad time or level: {line!r}")
    return entry


class LogTest(ProcessTest):
    def test_text_lines_are_time_level_message(self):
        server = self.start(LoggedServer, "--namespace", "sales")
        server.expect_match(rf"{TIME} info listening on ws://127\.0\.0\.1:{server.port}; engine memory; "
                            r"namespaces: default, sales")
        rest = server.stop()
        for line in rest:
            self.assertRegex(line, rf"^{TIME} (error|warning|info|debug) ")
        self.assertRegex(rest[-2], rf"^{TIME} info SIGINT: stopping$")
        self.assertRegex(rest[-1], rf"^{TIME} info stopped$")

    def test_json_lines_from_the_configuration_file(self):
        directory = tempfile.TemporaryDirectory()
        self.addCleanup(directory.cleanup)
        config = os.path.join(directory.name, "presence.toml")
        with open(config, "w") as f:
            f.write('max-connections-per-address = 1\n[log]\nformat = "json"\n')
        server = self.start(LoggedServer, "--config", config)
        first = entry(server.next_line())
        self.assertEqual((first["level"], first["message"]),
                         ("info", f"listening on ws://127.0.0.1:{server.port}; engine memory; namespaces: default"))
        self.start(Member, server)
        refused = self.start(Process, [CLI, "--url", f"ws://127.0.0.1:{server.port}", "--name", "bob", "--json"])
        refused.expect_prefix('{"event":"error"')
        # The server's own entries at their level: refusals are counted, then logged as a warning.
        while (logged := entry(server.next_line()))["level"] != "warning":
            pass
        self.assertIn("connections refused: too many from one address", logged["message"])
        rest = [entry(line) for line in server.stop()]
        self.assertEqual([(e["level"], e["message"]) for e in rest[-2:]], [("info", "SIGINT: stopping"),
                                                                            ("info", "stopped")])

    def test_debug_follows_each_connection(self):
        server = self.start(LoggedServer, "--log-level", "debug")
        alice = self.start(Member, server)
        server.expect_match(rf"{TIME} debug connection {alice.id} opened")
        alice.leave()
        server.expect_match(rf"{TIME} debug connection {alice.id} closed")

    def test_info_shows_no_connection(self):
        server = self.start(LoggedServer, "--log-level", "info")
        alice = self.start(Member, server)
        alice.leave()
        log = "\n".join(server.seen + server.stop())
        self.assertIn(" info stopped", log)
        self.assertNotIn(alice.id, log)
        self.assertNotIn(" debug ", log)

    def test_error_shows_neither_start_nor_stop(self):
        server = self.start(LoggedServer, "--log-level", "error")
        self.assertEqual(server.stop(), [])

    def test_a_start_that_fails_is_an_error_entry(self):
        done = subprocess.run([SERVER, "--port", "0", "--log-format", "json", "--engine", "http://x"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT)
        self.assertEqual((done.returncode, done.stdout), (1, ""))
        failure = entry(done.stderr.strip())
        self.assertEqual(failure["level"], "error")
        self.assertIn('engine must be "memory"', failure["message"])

    def test_a_refused_upgrade_names_the_address_at_debug(self):
        server = self.start(LoggedServer, "--log-level", "debug", "--max-connections-per-address", "1")
        self.start(Member, server)
        refused = self.start(Process, [CLI, "--url", f"ws://127.0.0.1:{server.port}", "--name", "bob", "--json"])
        self.assertEqual(refused.exit_code(), 1)
        server.expect_match(rf"{TIME} debug upgrade from 127\.0\.0\.1 refused: 429 too many connections from "
                            r"this address")


class JournalTest(ProcessTest):
    """Under systemd: the journal's priority prefixes when stderr is the journal's stream,
    and the notifications of Type=notify."""

    def server(self, env, *extra):
        """A server whose stdout and stderr are one pipe, with `env` (a function of that
        pipe's status) added to its environment; its lines, as they come."""
        read, write = os.pipe()
        process = subprocess.Popen([SERVER, "--host", "127.0.0.1", "--port", "0", *extra],
                                   stdin=subprocess.DEVNULL, stdout=write, stderr=write,
                                   env={**os.environ, **env(os.fstat(write))})
        os.close(write)
        self.addCleanup(lambda: process.poll() is None and (process.kill(), process.wait()))
        output = queue.Queue()

        def read_lines():
            with os.fdopen(read, "r") as lines:
                for line in lines:
                    output.put(line)

        threading.Thread(target=read_lines, daemon=True).start()
        return process, lambda: output.get(timeout=WAIT)

    def test_lines_start_with_their_priority_when_stderr_is_the_journal(self):
        process, next_line = self.server(lambda pipe: {"JOURNAL_STREAM": f"{pipe.st_dev}:{pipe.st_ino}"})
        self.assertRegex(next_line(), r"^presence-server listening on ")
        self.assertRegex(next_line(), rf"^<6>{TIME} info listening on ")
        process.send_signal(signal.SIGTERM)
        self.assertRegex(next_line(), rf"^<6>{TIME} info SIGTERM: stopping$")
        self.assertEqual(process.wait(timeout=WAIT), 0)

    def test_no_prefix_when_the_journal_stream_is_another_file(self):
        process, next_line = self.server(lambda pipe: {"JOURNAL_STREAM": f"{pipe.st_dev}:{pipe.st_ino + 1}"})
        next_line()
        self.assertRegex(next_line(), rf"^{TIME} info listening on ")

    def notify_socket(self, address):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        sock.bind(address)
        sock.settimeout(WAIT)
        return sock

    def test_it_tells_systemd_it_is_ready_once_it_listens_and_that_it_stops(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = os.path.join(folder.name, "notify")
        sock = self.notify_socket(path)
        process, next_line = self.server(lambda pipe: {"NOTIFY_SOCKET": path})
        ready = sock.recv(4096).decode().split("\n")
        self.assertEqual(ready[0], "READY=1")
        self.assertRegex(ready[1], r"^STATUS=listening on ws://127\.0\.0\.1:\d+; engine memory")
        port = int(re.search(r":(\d+);", ready[1]).group(1))
        # Ready means listening: a connection is accepted at once.
        socket.create_connection(("127.0.0.1", port), timeout=WAIT).close()
        process.send_signal(signal.SIGTERM)
        self.assertEqual(sock.recv(4096), b"STOPPING=1")
        self.assertEqual(process.wait(timeout=WAIT), 0)

    def test_an_abstract_notify_socket(self):
        name = f"presence-notify-test-{os.getpid()}"
        sock = self.notify_socket("\0" + name)
        self.server(lambda pipe: {"NOTIFY_SOCKET": "@" + name})
        self.assertTrue(sock.recv(4096).startswith(b"READY=1\n"))


if __name__ == "__main__":
    unittest.main()
