#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""presence-cli driven by a script against the real presence-server.

Run by ctest with PRESENCE_SERVER and PRESENCE_CLI naming the two binaries. Every
process gets its own server on a free port; every wait is bounded.
"""

import json
import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import jwt

SERVER = os.environ.get("PRESENCE_SERVER", "presence-server")
CLI = os.environ.get("PRESENCE_CLI", "presence-cli")
MAKE_TEST_CERT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support", "make_test_cert.sh")
PROJECT_VERSION = os.environ["PRESENCE_VERSION"]  # CMake's project version

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from line_process import WAIT, Process, ProcessTest  # noqa: E402  (tests/support)


def matches(value, wanted):
    """Whether `value` has everything `wanted` has (dicts compared key by key)."""
    if isinstance(wanted, dict):
        return isinstance(value, dict) and all(k in value and matches(value[k], v) for k, v in wanted.items())
    return value == wanted


class Server(Process):
    def __init__(self, *extra, scheme="ws"):
        super().__init__([SERVER, "--host", "127.0.0.1", "--port", "0", *extra])
        line = self.next_line()
        self.port = int(line.rsplit(":", 1)[1])
        self.url = f"{scheme}://127.0.0.1:{self.port}"


class TlsServer(Server):
    """A wss:// server with the certificate of make_test_cert.sh in `certs`."""

    def __init__(self, certs):
        super().__init__("--tls-cert", os.path.join(certs, "server.pem"),
                         "--tls-key", os.path.join(certs, "server.key"), scheme="wss")


class Cli(Process):
    def __init__(self, server, name, *extra):
        super().__init__([CLI, "--url", server.url, "--name", name, *extra])
        self.name = name



class JsonCli(Cli):
    def __init__(self, server, name, *extra):
        super().__init__(server, name, "--json", *extra)
        self.id = self.expect({"event": "session"})["id"]
        self.expect({"event": "member-join", "member": {"id": self.id, "name": name}})

    def expect(self, wanted):
        """Reads events until one has everything in `wanted`; every line must be JSON."""
        while True:
            line = self.next_line()
            try:
                event = json.loads(line)
            except ValueError:
                raise AssertionError(f"not a JSON line: {line!r}")
            if matches(event, wanted):
                return event


class CliTest(ProcessTest):
    def setUp(self):
        super().setUp()
        self.server = self.start(Server)

    def test_two_members_see_each_other_join_talk_and_leave(self):
        alice = self.start(JsonCli, self.server, "alice")
        alice.send("join room-42")
        alice.expect({"event": "channel-join", "channel": "room-42", "member": {"id": alice.id}})
        bob = self.start(JsonCli, self.server, "bob")
        alice.expect({"event": "member-join", "member": {"id": bob.id, "name": "bob"}})
        bob.send("join room-42")
        alice.expect({"event": "channel-join", "channel": "room-42", "member": {"id": bob.id, "name": "bob"}})
        bob.send("say room-42 hello there")
        alice.expect({"event": "publish", "channel": "room-42", "member": {"id": bob.id}, "text": "hello there"})
        bob.send("members room-42")
        members = bob.expect({"event": "members", "channel": "room-42"})["members"]
        self.assertEqual(sorted(m["name"] for m in members), ["alice", "bob"])

        bob.end_input()
        bob.expect({"event": "disconnect", "code": 1000})
        self.assertEqual(bob.exit_code(), 0)
        alice.expect({"event": "channel-leave", "channel": "room-42", "member": {"id": bob.id}})
        alice.expect({"event": "member-leave", "member": {"id": bob.id}})
        alice.send("quit")
        self.assertEqual(alice.exit_code(), 0)

    def test_readable_lines(self):
        alice = self.start(Cli, self.server, "alice")
        alice.send("join room-42")
        alice.expect_line("room-42: alice joined")
        bob = self.start(JsonCli, self.server, "bob")
        alice.expect_line(f"joined bob ({bob.id})")
        bob.send("join room-42")
        alice.expect_line("room-42: bob joined")
        bob.send("say room-42 hello there")
        alice.expect_line("room-42 <bob> hello there")
        bob.send("say * hi all")
        alice.expect_line("* <bob> hi all")
        alice.send("members room-42")
        line = alice.expect_prefix("members room-42: ")
        self.assertIn("alice (", line)
        self.assertIn(f"bob ({bob.id})", line)
        alice.send("leave nowhere")
        alice.expect_line("error nowhere: 5 Channel not exists")

    def test_end_of_input_waits_for_the_answers_due(self):
        alice = self.start(Cli, self.server, "alice", "--json")
        alice.send("join r")
        alice.send("say r one")
        alice.send("members r")
        alice.end_input()
        self.assertEqual(alice.exit_code(), 0)
        rest = []
        while (line := alice.lines.get(timeout=WAIT)) is not None:
            rest.append(json.loads(line))
        events = [e["event"] for e in rest]
        for wanted in ("channel-join", "publish", "members", "disconnect"):
            self.assertIn(wanted, events)
        self.assertEqual(events[-1], "disconnect")

    def test_invitations_are_accepted_unless_refused(self):
        alice = self.start(JsonCli, self.server, "alice")
        bob = self.start(JsonCli, self.server, "bob")
        carol = self.start(JsonCli, self.server, "carol", "--refuse-invitations")
        alice.send(f"invite vip {bob.id}")
        bob.expect({"event": "invitation", "channel": "vip", "member": {"id": alice.id}, "accepted": True})
        bob.expect({"event": "channel-join", "channel": "vip", "member": {"id": bob.id}})
        alice.expect({"event": "invitation-response", "channel": "vip", "member": {"id": bob.id}, "accepted": True})
        alice.send(f"invite vip {carol.id}")
        carol.expect({"event": "invitation", "channel": "vip", "accepted": False})
        alice.expect({"event": "invitation-response", "channel": "vip", "member": {"id": carol.id},
                      "accepted": False})

    def test_a_lost_server_ends_the_cli_with_status_1(self):
        alice = self.start(JsonCli, self.server, "alice")
        self.server.kill()
        alice.expect({"event": "disconnect"})
        self.assertEqual(alice.exit_code(), 1)

    def test_no_server_is_an_error(self):
        port = self.server.port
        self.server.kill()
        cli = self.start(Process, [CLI, "--url", f"ws://127.0.0.1:{port}", "--name", "alice", "--json"])
        event = json.loads(cli.next_line())
        self.assertEqual(event["event"], "error")
        self.assertEqual(cli.exit_code(), 1)


SECRET = "the server's secret"


def token(**claims):
    """A token made with PyJWT, a library we did not write."""
    claims.setdefault("exp", int(time.time()) + 600)
    return jwt.encode(claims, SECRET, algorithm="HS256")


class CliTokenTest(ProcessTest):
    """The token in the URL is never printed; a refused handshake shows its HTTP status."""

    def setUp(self):
        super().setUp()
        self.server = self.start(Server, "--auth-hs256-secret", SECRET, "--max-connections-per-address", "2")

    def url_with(self, token):
        return f"{self.server.url}/?token={token}"

    def assert_never_printed(self, cli, token):
        cli.end_input()
        self.assertIsNotNone(cli.exit_code())
        while (line := cli.lines.get(timeout=WAIT)) is not None:
            cli.seen.append(line)
        self.assertTrue(cli.seen)
        for line in cli.seen:
            self.assertNotIn(token, line)
            self.assertNotIn(token[-12:], line)  # nor any part of its signature

    def test_the_token_is_not_in_the_url_echoed_nor_in_any_event(self):
        secret_token = token(sub="alice", name="Alice", channels=["lobby"])
        readable = self.start(Process, [CLI, "--url", self.url_with(secret_token), "--name", "x"])
        readable.expect_line(f"connected to {self.server.url}/?token=[hidden]")
        readable.send("join lobby")
        readable.expect_line("lobby: Alice joined")
        self.assert_never_printed(readable, secret_token)

        as_json = self.start(Process, [CLI, "--url", self.url_with(secret_token), "--name", "x", "--json"])
        self.assertEqual(json.loads(as_json.next_line()),
                         {"event": "connect", "url": f"{self.server.url}/?token=[hidden]"})
        as_json.expect_line(json.dumps({"event": "session", "id": "alice"}, separators=(",", ":")))
        self.assert_never_printed(as_json, secret_token)

    def test_a_refused_handshake_shows_its_status_and_reason(self):
        expired = token(sub="alice", exp=int(time.time()) - 3600)
        cli = self.start(Process, [CLI, "--url", self.url_with(expired), "--name", "x"])
        cli.expect_match(r"error: 127\.0\.0\.1:\d+ refused the WebSocket handshake: "
                         r"HTTP 401 Unauthorized: token expired")
        self.assertEqual(cli.exit_code(), 1)
        self.assert_never_printed(cli, expired)

        cli = self.start(Process, [CLI, "--url", self.server.url, "--name", "x", "--json"])
        event = json.loads(cli.next_line())
        self.assertEqual(event["event"], "error")
        self.assertRegex(event["text"], r"refused the WebSocket handshake: HTTP 401 Unauthorized: token required$")
        self.assertEqual(cli.exit_code(), 1)

    def test_a_connection_limit_shows_429(self):
        valid = token(channels=["*"])
        for name in ("a", "b"):
            member = self.start(Process, [CLI, "--url", self.url_with(valid), "--name", name, "--json"])
            member.expect_prefix('{"event":"session"')
        third = self.start(Process, [CLI, "--url", self.url_with(valid), "--name", "c"])
        third.expect_match(r"error: 127\.0\.0\.1:\d+ refused the WebSocket handshake: "
                           r"HTTP 429 Too Many Requests: too many connections from this address")
        self.assertEqual(third.exit_code(), 1)


class Terminal:
    """presence-cli at a terminal: a pseudo-terminal whose output is kept as it comes."""

    def __init__(self, args):
        master, slave = pty.openpty()
        self.master = master
        env = {**os.environ, "TERM": "xterm", "LC_ALL": "C.UTF-8", "EDITRC": "/dev/null"}
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.output = ""
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the other end closed
                chunk = b""
            with self.changed:
                if not chunk:
                    self.output += "\0"  # the end
                    self.changed.notify_all()
                    return
                self.output += chunk.decode("utf-8", "replace")
                self.changed.notify_all()

    def type(self, keys):
        os.write(self.master, keys.encode())

    def wait_for(self, pattern, after=0):
        """Waits until the output from `after` on matches `pattern`; returns the match."""
        with self.changed:
            deadline = time.monotonic() + WAIT
            while not (found := re.compile(pattern, re.S).search(self.output, after)):
                left = deadline - time.monotonic()
                if left <= 0 or self.output.endswith("\0"):
                    raise AssertionError(f"not seen: {pattern!r} in {self.output[after:]!r}")
                self.changed.wait(left)
            return found

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        os.close(self.master)


class CliTerminalTest(ProcessTest):
    def setUp(self):
        super().setUp()
        self.server = self.start(Server)

    def terminal(self, name):
        t = Terminal([CLI, "--url", self.server.url, "--name", name])
        self.addCleanup(t.kill)
        return t

    def test_an_event_appears_above_the_line_being_typed_which_is_drawn_again(self):
        alice = self.terminal("alice")
        prompt = alice.wait_for(r"session [^\r\n]+\r?\n.*> ").end()
        alice.type("join room\r")
        at = alice.wait_for(r"room: alice joined", prompt).end()
        alice.type("say room hel")
        typed = alice.wait_for(r"say room hel", at).end()

        bob = self.start(JsonCli, self.server, "bob")
        event = alice.wait_for(rf"\r\x1b\[J(joined bob \({re.escape(bob.id)}\))\r*\n", typed)
        # The prompt and what was typed so far come back below the event, and the line
        # typed goes on from there.
        redrawn = alice.wait_for(r"> say room hel", event.end()).end()
        alice.type("lo\r")
        said = alice.wait_for(r"room <alice> hello", redrawn).end()

        # History: the line before (Ctrl-P) entered again.
        alice.type("\x10\r")
        alice.wait_for(r"room <alice> hello", said)

        alice.type("\x04")  # Ctrl-D at an empty line: the end of input
        self.assertEqual(alice.proc.wait(timeout=WAIT), 0)

    def test_control_characters_from_others_are_not_sent_to_the_terminal(self):
        alice = self.terminal("alice")
        alice.wait_for(r"session ")
        alice.type("join room\r")
        at = alice.wait_for(r"room: alice joined").end()
        bob = self.start(JsonCli, self.server, "bob")
        bob.send("join room")
        bob.send("say room \x1b[31mred\x07")
        alice.wait_for(r"room <bob> \?\[31mred\?", at)


class CliNamespaceTest(ProcessTest):
    def test_guid_chooses_the_namespace(self):
        server = self.start(Server, "--namespace", "sales")
        alice = self.start(JsonCli, server, "alice", "--guid", "sales")
        bob = self.start(JsonCli, server, "bob")
        carol = self.start(JsonCli, server, "carol", "--guid", "sales")
        alice.expect({"event": "member-join", "member": {"id": carol.id, "name": "carol"}})
        for cli in (alice, bob, carol):
            cli.send("join room")
            cli.expect({"event": "channel-join", "channel": "room", "member": {"id": cli.id}})
        bob.send("members room")
        self.assertEqual([m["name"] for m in bob.expect({"event": "members"})["members"]], ["bob"])
        carol.send("members room")
        members = carol.expect({"event": "members"})["members"]
        self.assertEqual(sorted(m["name"] for m in members), ["alice", "carol"])


class CliTlsTest(ProcessTest):
    def setUp(self):
        super().setUp()
        certs = tempfile.TemporaryDirectory()
        self.addCleanup(certs.cleanup)
        subprocess.run(["/bin/sh", MAKE_TEST_CERT, certs.name], check=True, capture_output=True, timeout=6 * WAIT)
        self.certs = certs.name
        self.server = self.start(TlsServer, self.certs)

    def test_wss_with_a_ca_file(self):
        alice = self.start(JsonCli, self.server, "alice", "--ca-file", os.path.join(self.certs, "ca.pem"))
        alice.send("join vault")
        alice.expect({"event": "channel-join", "channel": "vault", "member": {"id": alice.id}})
        alice.send("say vault over tls")
        alice.expect({"event": "publish", "channel": "vault", "member": {"id": alice.id}, "text": "over tls"})
        alice.end_input()
        alice.expect({"event": "disconnect", "code": 1000})
        self.assertEqual(alice.exit_code(), 0)

    def test_an_untrusted_certificate_is_an_error(self):
        cli = self.start(Cli, self.server, "alice", "--json", "--ca-file", os.path.join(self.certs, "other-ca.pem"))
        event = json.loads(cli.next_line())
        self.assertEqual(event["event"], "error")
        self.assertIn("certificate", event["text"])
        self.assertEqual(cli.exit_code(), 1)


class CliOptionsTest(unittest.TestCase):
    def run_cli(self, *args):
        return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=WAIT)

    def test_version_is_the_projects(self):
        for tool in (CLI, SERVER):
            done = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=WAIT)
            self.assertEqual(done.returncode, 0)
            self.assertEqual(done.stdout, f"{os.path.basename(tool)} {PROJECT_VERSION}\n")

    def test_help_lists_options_and_commands(self):
        done = self.run_cli("--help")
        self.assertEqual(done.returncode, 0)
        for text in ("--url", "wss://", "--ca-file", "--heartbeat-interval", "--heartbeat-timeout", "--json",
                     "--refuse-invitations", "join <room>", "say <room> <text...>"):
            self.assertIn(text, done.stdout)

    def test_name_is_required(self):
        self.assertEqual(self.run_cli("--url", "ws://127.0.0.1:1").returncode, 2)


if __name__ == "__main__":
    unittest.main()
