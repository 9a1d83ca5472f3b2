#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""The programs of examples/, driven by a script against the real presence-server and
against the example servers.

Run by ctest with PRESENCE_SERVER and EXAMPLE_* naming the binaries. Every test starts its
own server on a free port; every wait is bounded; every process is killed at the end.
"""

import os
import signal
import subprocess
import sys
import unittest

SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")
EMBEDDED_SERVER = os.environ.get("EXAMPLE_EMBEDDED_SERVER", "example-embedded-server")
SERVER_EVENTS = os.environ.get("EXAMPLE_SERVER_EVENTS", "example-server-events")
ROOM_MEMBERS = os.environ.get("EXAMPLE_ROOM_MEMBERS", "example-room-members")
CHAT = os.environ.get("EXAMPLE_CHAT", "example-chat")
BOT = os.environ.get("EXAMPLE_BOT", "example-bot")
HOOK_APP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "hook_app.py")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)


class Server(Process):
    """presence-server, or an example server: each tells its address on its first line."""

    def __init__(self, program=SERVER, *args):
        super().__init__([program, "--port", "0", *args])
        self.url = "ws://127.0.0.1:" + self.expect_prefix("").rsplit(":", 1)[1]


class Chat(Process):
    def __init__(self, server, name):
        super().__init__([CHAT, server.url, name])
        self.name = name
        self.id = self.expect_prefix("you are ").removeprefix("you are ")

    def joined(self, room):
        """The line that says this member entered `room`."""
        return f"[{room}] {self.name} ({self.id}) joined"


class ExamplesTest(ProcessTest):
    def test_chat_with_a_bot_and_an_invitation(self):
        server = self.start(Server)
        alice = self.start(Chat, server, "alice")
        alice.send("/join lobby")
        alice.expect_line(alice.joined("lobby"))
        bot = self.start(Process, [BOT, server.url, "bot", "lobby"])
        bot.expect_line("answering in lobby")
        alice.expect_prefix("[lobby] bot (")
        alice.send("ping")
        alice.expect_line("[lobby] <alice> ping")
        alice.expect_line("[lobby] <bot> pong")
        alice.send("time")
        alice.expect_match(r"\[lobby\] <bot> \d\d:\d\d:\d\d")

        bob = self.start(Chat, server, "bob")
        # The session comes before the join the client sends after it: once an answer to a
        # later request of bob's comes, the server knows bob as a member and may invite him.
        bob.send("/members lobby")
        bob.expect_prefix("[lobby] members:")
        alice.send(f"/invite lobby {bob.id}")
        bob.expect_line(f"alice ({alice.id}) invites you to lobby: accepted")
        bob.expect_line(bob.joined("lobby"))
        alice.expect_line(f"[lobby] bob ({bob.id}) accepted your invitation")
        bob.send("hello from bob")
        alice.expect_line("[lobby] <bob> hello from bob")
        alice.expect_line("[lobby] <bot> you said: hello from bob")
        # The bot answers in the order messages reach it: had it answered its own "pong",
        # that answer would have come before this one.
        self.assertNotIn("[lobby] <bot> you said: pong", alice.seen)

        bob.send("/members lobby")
        members = bob.expect_prefix("[lobby] members:")
        for member in (alice, bob):
            self.assertIn(f" {member.name} ({member.id})", members)
        bob.send("/quit")
        self.assertEqual(bob.exit_code(), 0)
        alice.expect_line(f"[lobby] bob ({bob.id}) left")
        bot.interrupt()
        self.assertEqual(bot.exit_code(), 0)
        alice.proc.stdin.close()  # the end of input quits as /quit does
        self.assertEqual(alice.exit_code(), 0)

    def test_room_members_lists_who_is_there(self):
        server = self.start(Server)
        alice = self.start(Chat, server, "alice")
        alice.send("/join lobby")
        alice.expect_line(alice.joined("lobby"))
        done = subprocess.run([ROOM_MEMBERS, server.url, "carol", "lobby"], capture_output=True, text=True,
                              timeout=2 * WAIT)
        self.assertEqual(done.returncode, 0, done.stderr)
        lines = done.stdout.splitlines()
        self.assertEqual(lines[0], "members of lobby:")
        self.assertIn(f"  alice ({alice.id})", lines)
        self.assertEqual(sorted(line.split(" (")[0].strip() for line in lines[1:]), ["alice", "carol"])

    def test_embedded_server_applies_its_rules(self):
        server = self.start(Server, EMBEDDED_SERVER)
        admin = self.start(Chat, server, "admin-eve")
        admin.expect_prefix("[everyone] error 2: ")
        alice = self.start(Chat, server, "alice")
        server.expect_line(f"alice ({alice.id}) is here")
        alice.send("/join private-plans")
        alice.expect_prefix("[private-plans] error 10: ")
        alice.send("/join lobby")
        alice.expect_line(alice.joined("lobby"))
        server.expect_line("alice joined lobby")
        server.interrupt()
        alice.expect_prefix("disconnected: 1001")
        self.assertEqual(server.exit_code(), 0)

    def test_hook_app_decides_for_presence_server(self):
        app = self.start(Process, [sys.executable, HOOK_APP, "--port", "0", "--secret", "s3cret"])
        url = app.expect_prefix("hook application listening on ").rsplit(" ", 1)[1] + "decide"
        server = self.start(Server, SERVER, "--hook-url", url, "--hook-secret", "s3cret")
        admin = self.start(Chat, server, "admin-eve")
        admin.expect_line("[everyone] error 2: that name is reserved")
        alice = self.start(Chat, server, "alice")
        alice.send("/join private-plans")
        alice.expect_line("[private-plans] error 10: private channels are by invitation")
        alice.send("/join locked-vault")
        alice.expect_line("[locked-vault] error 6: locked channels are opened by the staff")
        alice.send("/join lobby")
        alice.expect_line(alice.joined("lobby"))

    def test_server_events_tick_into_the_clock_room(self):
        server = self.start(Server, SERVER_EVENTS)
        alice = self.start(Chat, server, "alice")
        alice.send("/join clock")
        alice.expect_line(alice.joined("clock"))
        alice.expect_match(r"\[clock\] <server> tick \d\d:\d\d:\d\d")
        server.proc.send_signal(signal.SIGTERM)
        self.assertEqual(server.exit_code(), 0)


if __name__ == "__main__":
    unittest.main()
