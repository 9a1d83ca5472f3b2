# SPDX-License-Identifier: Apache-2.0
"""Server hooks over HTTP: presence-server asks an application whether to allow each join,
subscribe, publish, member list and invitation (--hook-url; docs/operations.md, Server
hooks over HTTP).

The application here is Python's http.server on 127.0.0.1 (a free port), in threads: it
checks every POST's signature as docs/operations.md tells applications to, and answers
what the test's rule says; a rule may hold its answer until the test releases it. The
requests come from hand-written WebSocket clients (presence_harness). Waits are for a
frame, a POST or a figure, each bounded; none for a duration.
"""

import asyncio
import http.server
import json
import queue
import signal
import socket
import threading
import time
import unittest

import jwt

from presence_harness import (
    CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH, GET_MEMBERS, INVITATION, MEMBER_NEW,
    PUBLISH, SEND_MEMBERS, TIMEOUT, PresenceTestCase, ServerProcess, frame, member_obj, sgc_error)
from test_operations_http import scrape, wait_until
from test_webhooks import verified

SECRET = "hook test secret"
# A bound on waits for something a test has caused (a decision, a figure).
EVENTUAL = 15.0


def allow_all(request):
    return {"allow": True}


class Application:
    """A hook application in threads. `rule(request)` gives the JSON answer to each POST;
    one that returns HOLD answers only once the test calls `release()` (or at the end of
    the test), a rule that returns a (status, bytes) pair answers that as is."""

    HOLD = object()

    def __init__(self, test, rule=allow_all):
        self.rule = rule
        self.posts = queue.Queue()
        self.held = queue.Queue()        # one entry per POST that waits for release
        self.released = threading.Event()
        self.finished = threading.Event()  # the end of the test releases everything
        application = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 60  # a bound on a connection's thread

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                signed = verified(SECRET.encode(), self.headers.get("X-Presence-Timestamp", ""),
                                  self.headers.get("X-Presence-Signature", ""), body)
                request = json.loads(body)
                application.posts.put((request, signed))
                answer = application.rule(request)
                if answer is Application.HOLD:
                    application.held.put(request)
                    application.released.wait(60)
                    answer = application.rule_after_hold(request)
                    if application.finished.is_set():
                        self.close_connection = True
                        return
                status, data = answer if isinstance(answer, tuple) else (200, json.dumps(answer).encode())
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                """Connections the presence server abandons."""

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/decide"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        test.addCleanup(self.close)

    def rule_after_hold(self, request):
        return {"allow": True}

    def release(self):
        self.released.set()

    async def next_post(self, timeout=TIMEOUT):
        """The next POST's request, checked to be signed."""
        loop = asyncio.get_running_loop()
        try:
            request, signed = await loop.run_in_executor(None, self.posts.get, True, timeout)
        except queue.Empty:
            raise AssertionError(f"no POST within {timeout}s") from None
        assert signed, f"a POST without a valid signature: {request}"
        return request

    async def next_held(self):
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(None, self.held.get, True, EVENTUAL)
        except queue.Empty:
            raise AssertionError(f"no POST held within {EVENTUAL}s") from None

    def all_posts(self):
        got = []
        while not self.posts.empty():
            got.append(self.posts.get_nowait())
        return got

    def close(self):
        self.finished.set()
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    """A port on 127.0.0.1 where nothing listens (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sample(server, name, **labels):
    m = scrape(server.port)
    return m.samples.get((name, frozenset(labels.items())), 0)


class HookTestCase(PresenceTestCase):
    """One server whose hooks go to `self.app`, made from RULE, with HOOK_ARGS."""

    HOOK_ARGS = ()

    def rule(self, request):
        return {"allow": True}

    def start_servers(self):
        self.app = Application(self, lambda request: self.rule(request))
        server = ServerProcess("--hook-url", self.app.url, "--hook-secret", SECRET, *self.HOOK_ARGS)
        self.addCleanup(server.stop)
        return [server]

    async def wait_sample(self, value, name, **labels):
        await asyncio.get_running_loop().run_in_executor(
            None, wait_until, lambda: sample(self.server, name, **labels) == value,
            f"{name}{labels} == {value}", EVENTUAL)


class Requests(HookTestCase):
    """What the application is asked, and an allow: the request goes on as without hooks."""

    async def test_each_event_is_posted_with_its_fields_and_allowed(self):
        a = await self.joined("alice", "a-info")
        request = await self.app.next_post()
        self.assertEqual(request["event"], "join")
        self.assertEqual(request["member"], {"id": a.session_id, "name": "alice", "info": "a-info"})
        self.assertEqual(request["namespace"], "")
        self.assertRegex(request["address"], r"^127\.0\.0\.1:\d+$")
        self.assertIsNone(request["token"])
        self.assertIsInstance(request["time_ms"], int)
        self.assertNotIn("channel", request)

        await a.subscribe("room")
        request = await self.app.next_post()
        self.assertEqual((request["event"], request["channel"], request["new_channel"]), ("subscribe", "room", True))
        self.assertEqual(request["member"], member_obj(a.member))

        await a.send(a.request(PUBLISH, channel="room", text="hello"))
        await a.expect(frame(PUBLISH, member=a.member, channel="room", text="hello"))
        request = await self.app.next_post()
        self.assertEqual((request["event"], request["channel"], request["message"]), ("publish", "room", "hello"))

        await a.send(a.request(GET_MEMBERS, channel="room"))
        await a.expect(frame(SEND_MEMBERS, member=a.member, channel="room", members=[a.member]))
        request = await self.app.next_post()
        self.assertEqual((request["event"], request["channel"]), ("get-members", "room"))

        b = await self.joined("bob", others=[a])
        await self.app.next_post()
        await a.send(a.request(INVITATION, channel="room", members=[{"id": b.session_id}, {"id": "nobody"}]))
        await b.expect(frame(INVITATION, member=a.member, channel="room"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": "nobody", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        request = await self.app.next_post()
        self.assertEqual(request["event"], "invite")
        self.assertEqual(request["invitees"], [member_obj(b.member), {"id": "nobody"}])

    async def test_requests_the_service_refuses_anyway_are_not_posted(self):
        c = await self.connect("carol")
        await c.send(frame(PUBLISH, member={"id": c.session_id}, channel="", text="x"))
        await c.expect(frame(ERROR_PUBLISH, member={"id": c.session_id, "name": "", "info": ""},
                             channel="", text="x", error=sgc_error(3)))
        await c.join("carol")
        request = await self.app.next_post()
        self.assertEqual(request["event"], "join")  # the first POST: the publish was never asked


class Refusals(HookTestCase):
    """A refusal is the request's sgc error frame, with the application's code where it
    fits and its text."""

    def rule(self, request):
        if request["event"] == "join" and request["member"]["name"] == "mallory":
            return {"allow": False, "text": "not you"}
        if request["event"] == "subscribe" and request["channel"] == "new":
            return {"allow": False, "code": 6}
        if request["event"] == "subscribe" and request["channel"] == "odd":
            return {"allow": False, "code": 20, "text": "odd"}
        if request["event"] == "publish":
            return {"allow": False, "code": 20, "text": "no shouting"}
        if request["event"] == "get-members":
            return {"allow": False}
        if request["event"] == "invite":
            return {"allow": False, "text": "no invitations"}
        return {"allow": True}

    async def test_each_refusal_is_the_error_frame_of_its_request(self):
        m = await self.connect("mallory")
        await m.send_join("mallory")
        await m.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": m.session_id, "name": "mallory", "info": ""},
                             channel="", error={"code": 2, "text": "not you"}))
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="new"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="new", error=sgc_error(6)))
        # A code that does not fit the request: the request's own.
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="odd"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="odd",
                             error={"code": 10, "text": "odd"}))
        await a.send(a.request(PUBLISH, channel="room", text="HELLO"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="room", text="HELLO",
                             error={"code": 20, "text": "no shouting"}))
        await a.send(a.request(GET_MEMBERS, channel="room"))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=a.member, channel="room", error=sgc_error(30)))
        await a.send(a.request(INVITATION, channel="room", members=[{"id": b.session_id}]))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error={"code": 40, "text": "no invitations"}))
        await b.barrier()  # b was invited to nothing
        self.assertEqual(sample(self.server, "presence_hook_requests_total", event="publish", result="denied"), 1)

    async def test_a_refused_request_is_acknowledged(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.send(frame(PUBLISH, member=a.member, channel="room", text="x", id="p1"))
        await a.expect({"jsonrpc": "2.0", "method": "sgc@presence@acknowledgment", "id": "p1"})
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="room", text="x",
                             error={"code": 20, "text": "no shouting"}))


class Renaming(HookTestCase):
    """An allowed join may come with the name and info the member is to have instead."""

    def rule(self, request):
        if request["event"] == "join":
            return {"allow": True, "name": request["member"]["name"] + " (guest)", "info": "checked"}
        return {"allow": True}

    async def test_the_replacement_is_what_everyone_sees(self):
        a = await self.connect("alice")
        await a.send_join("alice", "anything")
        a.member = {"id": a.session_id, "name": "alice (guest)", "info": "checked"}
        await a.expect(frame(MEMBER_NEW, member=a.member))
        b = await self.connect("bob")
        await b.send_join("bob", "whatever")
        renamed = {"id": b.session_id, "name": "bob (guest)", "info": "checked"}
        await b.expect(frame(MEMBER_NEW, member=renamed))
        await a.expect(frame(MEMBER_NEW, member=renamed))


class Tokens(PresenceTestCase):
    """The claims of the connection's token go with each request; a name the token fixes
    is not replaced."""

    def start_servers(self):
        self.app = Application(self, lambda r: {"allow": True, "name": "renamed", "info": "new info"})
        server = ServerProcess("--hook-url", self.app.url, "--hook-secret", SECRET,
                               "--auth-hs256-secret", "token secret")
        self.addCleanup(server.stop)
        return [server]

    async def test_claims_are_posted_and_fixed_fields_stay(self):
        token = jwt.encode({"name": "Ursula", "channels": ["room", "team:*"],
                            "exp": int(time.time()) + 600}, "token secret", algorithm="HS256")
        c = await self.connect("ursula", url=self.server.url + "?token=" + token)
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": "x"}))
        await c.expect(frame(MEMBER_NEW, member={"id": c.session_id, "name": "Ursula", "info": "new info"}))
        request = await self.app.next_post()
        self.assertNotIn("sub", request["token"])
        self.assertEqual(request["token"]["name"], "Ursula")
        self.assertEqual(request["token"]["channels"], ["room", "team:*"])
        self.assertIsInstance(request["token"]["exp"], int)
        self.assertEqual(request["member"]["name"], "Ursula")


class Ordering(HookTestCase):
    """A member's requests wait for its pending decision; other members' do not."""

    def rule(self, request):
        held = request["member"]["name"] == "alice" and request["event"] == "subscribe"
        return Application.HOLD if held else {"allow": True}

    async def test_a_members_next_request_waits_for_its_decision(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await self.app.next_post()
        await self.app.next_post()
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.app.next_held()
        # Right behind it, a publish to the channel the subscription is for: decided
        # before the subscription, it would find no subscription (error 12).
        await a.send(a.request(PUBLISH, channel="room", text="after"))
        # Another member meanwhile: asked and answered while alice's decision waits.
        await b.subscribe("hall")
        self.assertEqual((await self.app.next_post())["event"], "subscribe")  # alice's
        self.assertEqual((await self.app.next_post())["channel"], "hall")     # bob's
        self.assertTrue(self.app.posts.empty(), "alice's publish was posted before her subscription was decided")
        self.app.release()
        await a.expect(frame(CHANNEL_MEMBER_NEW, member=a.member, channel="room"))
        await a.expect(frame(PUBLISH, member=a.member, channel="room", text="after"))
        self.assertEqual((await self.app.next_post())["event"], "publish")

    async def test_a_connection_closed_while_its_decision_waits(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.app.next_held()
        # Its close frame waits behind the subscription, read once that is decided.
        closing = asyncio.ensure_future(a.close())
        self.app.release()
        await closing
        self.clients.remove(a)
        await b.expect(frame("sgc@presence@member@remove", member=a.member))
        await self.wait_sample(1, "presence_hook_requests_total", event="subscribe", result="allowed")
        await b.subscribe("room")
        await self.wait_sample(0, "presence_hook_in_flight")
        await self.assert_serving()


class Stopping(HookTestCase):
    """A server that closes a connection does not wait for its decision."""

    HOOK_ARGS = ("--hook-timeout", "60")

    def rule(self, request):
        return Application.HOLD if request["event"] == "subscribe" else {"allow": True}

    async def test_a_stop_ends_a_connection_whose_decision_waits(self):
        a = await self.joined("alice")
        await a.send(a.request(CHANNEL_MEMBER_NEW, channel="room"))
        await self.app.next_held()
        self.expect_server_alive = False
        self.server.proc.send_signal(signal.SIGTERM)
        await a.expect_closed(1001)
        loop = asyncio.get_running_loop()
        code = await asyncio.wait_for(loop.run_in_executor(None, self.server.proc.wait), EVENTUAL)
        self.assertEqual(code, 0, self.server.stderr_text())


class SlowApplication(HookTestCase):
    """A slow application: past --hook-timeout the failure policy decides."""

    def rule(self, request):
        return Application.HOLD if request["event"] == "publish" else {"allow": True}


class Timeouts(SlowApplication):
    HOOK_ARGS = ("--hook-timeout", "0.3")

    async def test_a_slow_decision_is_a_refusal(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.send(a.request(PUBLISH, channel="room", text="slow"))
        await a.expect(frame(ERROR_PUBLISH, member=a.member, channel="room", text="slow",
                             error={"code": 20, "text": "no decision"}))
        self.assertEqual(sample(self.server, "presence_hook_failures_total", reason="timeout"), 1)
        self.assertEqual(sample(self.server, "presence_hook_requests_total", event="publish", result="failed"), 1)
        self.assertIn("hooks: no decision within 300 ms; requests are refused", self.server.stderr_text())


class TimeoutsAllowed(SlowApplication):
    HOOK_ARGS = ("--hook-timeout", "0.3", "--hook-failure", "allow")

    async def test_a_slow_decision_is_an_allow_when_so_configured(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.send(a.request(PUBLISH, channel="room", text="slow"))
        await a.expect(frame(PUBLISH, member=a.member, channel="room", text="slow"))
        self.assertEqual(sample(self.server, "presence_hook_failures_total", reason="timeout"), 1)


class DeadApplication(PresenceTestCase):
    """Nobody listens at the hook URL: each decision fails at once."""

    def start_servers(self):
        server = ServerProcess("--hook-url", f"http://127.0.0.1:{closed_port()}/", "--hook-secret", SECRET)
        self.addCleanup(server.stop)
        return [server]

    async def test_requests_are_refused_and_counted(self):
        c = await self.connect("carol")
        await c.send_join("carol")
        await c.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": c.session_id, "name": "carol", "info": ""},
                             channel="", error={"code": 2, "text": "no decision"}))
        self.assertEqual(sample(self.server, "presence_hook_failures_total", reason="error"), 1)
        self.assertEqual(sample(self.server, "presence_hook_requests_total", event="join", result="failed"), 1)


class BadAnswers(HookTestCase):
    def rule(self, request):
        return (200, b"yes") if request["member"]["name"] == "text" else (500, b"{}")

    async def test_no_decision_in_the_answer_is_a_failure(self):
        for name, reason in (("text", "bad_answer"), ("status", "error")):
            c = await self.connect(name)
            await c.send_join(name)
            await c.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": c.session_id, "name": name, "info": ""},
                                 channel="", error={"code": 2, "text": "no decision"}))
            self.assertEqual(sample(self.server, "presence_hook_failures_total", reason=reason), 1)


class InFlight(HookTestCase):
    """Past --hook-max-in-flight decisions, a request fails at once."""

    HOOK_ARGS = ("--hook-max-in-flight", "1")

    def rule(self, request):
        return Application.HOLD if request["member"]["name"] == "alice" else {"allow": True}

    async def test_a_decision_past_the_cap_fails(self):
        a = await self.connect("alice")
        await a.send_join("alice")
        await self.app.next_held()
        b = await self.connect("bob")
        await b.send_join("bob")
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": b.session_id, "name": "bob", "info": ""},
                             channel="", error={"code": 2, "text": "no decision"}))
        self.assertEqual(sample(self.server, "presence_hook_failures_total", reason="overloaded"), 1)
        self.app.release()
        await a.expect(frame(MEMBER_NEW, member={"id": a.session_id, "name": "alice", "info": ""}))


class EventSubset(HookTestCase):
    """Only the events of --hook-events are posted."""

    HOOK_ARGS = ("--hook-events", "publish")

    async def test_other_events_are_not_posted(self):
        a = await self.joined("alice")
        await a.subscribe("room")
        await a.send(a.request(GET_MEMBERS, channel="room"))
        await a.expect(frame(SEND_MEMBERS, member=a.member, channel="room", members=[a.member]))
        await a.send(a.request(PUBLISH, channel="room", text="x"))
        await a.expect(frame(PUBLISH, member=a.member, channel="room", text="x"))
        request = await self.app.next_post()
        self.assertEqual(request["event"], "publish")  # the first POST of all
        self.assertTrue(self.app.posts.empty())


class Configuration(unittest.TestCase):
    def test_bad_options_are_refused_at_start(self):
        for args, complaint in ((("--hook-url", "http://127.0.0.1:1/"), "http_hooks.secret is required"),
                                (("--hook-url", "ftp://x/", "--hook-secret", "s"), "http_hooks.url must be"),
                                (("--hook-url", "http://127.0.0.1:1/", "--hook-secret", "s",
                                  "--hook-events", "join,leave"), 'no event "leave"')):
            with self.assertRaises(RuntimeError) as caught:
                ServerProcess(*args)
            self.assertIn(complaint, str(caught.exception))


if __name__ == "__main__":
    unittest.main()
