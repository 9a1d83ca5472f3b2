"""Shared helpers for the interop suite.

The suite speaks the raw JSON frames of the sgcWebSockets Presence protocol
(docs/protocol.md) by hand, with
Python's `websockets` (Debian's python3-websockets 10.4, legacy asyncio API),
against the real presence-server process. Nothing here shares code with the
C++ client or server, so both cannot agree on a shared mistake.

Rules kept throughout:
- every await is bounded by asyncio.wait_for(..., TIMEOUT);
- no sleeps for synchronisation: to prove that a frame was NOT received, a
  client sends a later request whose answer must arrive (`barrier`) and checks
  that nothing else came first;
- each test runs against its own server process (port 0), always killed.
"""

import asyncio
import base64
import json
import os
import re
import select
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

TIMEOUT = 5.0          # bound on every single await
START_TIMEOUT = 15.0   # bound on the server printing its port
PROTOCOL = "presence.esegece.com"
B64 = "sgc@b64:"

GUID_RE = re.compile(
    r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$")

# Methods
SESSION = "sgc@presence@session"
MEMBER_NEW = "sgc@presence@member@new"
MEMBER_REMOVE = "sgc@presence@member@remove"
CHANNEL_MEMBER_NEW = "sgc@presence@channel@member@new"
CHANNEL_MEMBER_REMOVE = "sgc@presence@channel@member@remove"
PUBLISH = "sgc@presence@publish@msg"
GET_MEMBERS = "sgc@presence@get@members"
SEND_MEMBERS = "sgc@presence@send@members"
INVITATION = "sgc@presence@channel@invitation"
ERROR_MEMBER_CHANNEL = "sgc@presence@error@member@channel"
ERROR_PUBLISH = "sgc@presence@error@publish@msg"
ACK = "sgc@presence@acknowledgment"
HELLO = "ext@presence@hello"
INVITATION_RESPONSE = "ext@presence@channel@invitation@response"

# sgc error codes and texts
ERROR_TEXTS = {
    1: "Member already exists.",
    2: "Create New Member request has been denied.",
    3: "Member not exists.",
    5: "Channel not exists",
    6: "Create New Channel request has been denied.",
    10: "Create Subscription request has been denied.",
    11: "Subscription already exists.",
    12: "Subscription not exists.",
    20: "Publish Message request has been denied.",
    30: "Send Members request has been denied.",
    40: "Invitation request has been denied.",
}
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602


def server_path():
    path = os.environ.get("PRESENCE_SERVER")
    if not path:
        here = os.path.dirname(os.path.abspath(__file__))
        path = os.path.join(here, "..", "..", "build", "src", "tools", "presence-server")
    return os.path.abspath(path)


def b64(text):
    """sgc's EncodeBase64 form of one string."""
    return B64 + base64.b64encode(text.encode("utf-8")).decode("ascii")


def unb64(value):
    """Strict decoding of one "sgc@b64:..." string."""
    assert isinstance(value, str) and value.startswith(B64), value
    return base64.b64decode(value[len(B64):], validate=True).decode("utf-8")


def decode_all(value):
    """Decodes every string that starts with sgc@b64:, recursively (as a receiver must)."""
    if isinstance(value, dict):
        return {k: decode_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_all(v) for v in value]
    if isinstance(value, str) and value.startswith(B64):
        return unb64(value)
    return value


def strings_of(value, path=""):
    """(path, string) for every string value in a decoded JSON frame."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings_of(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from strings_of(v, f"{path}[{i}]")
    elif isinstance(value, str):
        yield path, value


def member_obj(member):
    """A member object exactly as the server writes it: id, name, info, all present."""
    return {"id": member["id"], "name": member.get("name", ""), "info": member.get("info", "")}


def frame(method, member=None, channel=None, text=None, error=None, members=None, id=None):
    """A frame in the wire's key order: jsonrpc, method, member, channel, message, error,
    members, id. Only the given parts are present."""
    f = {"jsonrpc": "2.0", "method": method}
    if member is not None:
        f["member"] = member
    if channel is not None:
        f["channel"] = {"name": channel}
    if text is not None:
        f["message"] = {"text": text}
    if error is not None:
        f["error"] = error
    if members is not None:
        f["members"] = members
    if id is not None:
        f["id"] = id
    return f


def sgc_error(code):
    return {"code": code, "text": ERROR_TEXTS[code]}


def ack_frame(id):
    return {"jsonrpc": "2.0", "method": ACK, "id": id}


class ServerProcess:
    """One presence-server on 127.0.0.1, any free port."""

    def __init__(self, *args):
        self.args = [server_path(), "--host", "127.0.0.1", "--port", "0", *args]
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr)
        self.stdout_lines = []
        try:
            line = self._read_first_line()
            m = re.fullmatch(r"presence-server listening on 127\.0\.0\.1:(\d+)", line)
            if not m:
                raise RuntimeError(f"unexpected first line from the server: {line!r}")
            self.port = int(m.group(1))
        except BaseException:
            self.stop()
            raise
        # Keep draining stdout so the server can never block on a full pipe.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _read_first_line(self):
        fd = self.proc.stdout.fileno()
        data = b""
        deadline = time.monotonic() + START_TIMEOUT
        while b"\n" not in data:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"server printed no port within {START_TIMEOUT}s: {data!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise RuntimeError(
                        f"server exited before listening (rc={self.proc.wait(5)}): "
                        f"{data!r} {self.stderr_text()!r}")
                data += chunk
        first, _, rest = data.partition(b"\n")
        if rest:
            self.stdout_lines.append(rest)
        return first.decode("utf-8", "replace").rstrip("\r")

    def _drain(self):
        fd = self.proc.stdout.fileno()
        try:
            while True:
                chunk = os.read(fd, 4096)
                if not chunk:
                    return
                self.stdout_lines.append(chunk)
        except OSError:
            return

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/"

    def alive(self):
        return self.proc.poll() is None

    def stderr_text(self):
        try:
            self.stderr.seek(0)
            return self.stderr.read().decode("utf-8", "replace")
        except (ValueError, OSError):
            return ""

    def catches(self, *sigs):
        """True when the process has a handler installed for each of `sigs` (Linux:
        the SigCgt mask of /proc/<pid>/status)."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith("SigCgt:"):
                        mask = int(line.split()[1], 16)
                        return all(mask & (1 << (int(s) - 1)) for s in sigs)
        except OSError:
            pass
        return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        # The drainer sees end-of-file once the server is gone; only then may the
        # descriptor be closed (and its number reused).
        drainer = getattr(self, "_drainer", None)
        if drainer is not None:
            drainer.join(TIMEOUT)
        if self.proc.stdout:
            try:
                self.proc.stdout.close()
            except OSError:
                pass
        self.stderr.close()


class Client:
    """One raw WebSocket connection speaking hand-written Presence frames."""

    def __init__(self, test, ws, name):
        self.t = test
        self.ws = ws
        self.name = name
        self.session_id = None
        self.member = None          # the member object as the server announces it
        self.decode = False         # decode sgc@b64: strings of received frames
        self.raw = []               # every text frame received, as received

    # --- sending -----------------------------------------------------------------
    async def send_raw(self, data):
        await asyncio.wait_for(self.ws.send(data), TIMEOUT)

    async def send(self, obj):
        await self.send_raw(json.dumps(obj))

    async def send_text_bytes(self, payload):
        """A text frame whose payload is `payload` as is (may be invalid UTF-8)."""
        await asyncio.wait_for(self.ws.write_frame(True, Opcode.TEXT, payload), TIMEOUT)

    # --- receiving ---------------------------------------------------------------
    async def recv_raw(self):
        try:
            data = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: no frame within {TIMEOUT}s") from None
        except ConnectionClosed as e:
            raise AssertionError(f"{self.name}: connection closed while waiting for a frame "
                                 f"({self.ws.close_code} {self.ws.close_reason!r})") from e
        self.t.assertIsInstance(data, str, f"{self.name}: expected a text frame")
        self.raw.append(data)
        return data

    async def recv(self):
        data = await self.recv_raw()
        obj = json.loads(data)
        return decode_all(obj) if self.decode else obj

    async def expect(self, expected, msg=None):
        """The next frame equals `expected`, keys in the same order (the wire's key order:
        jsonrpc, method, member, channel, message, error, members, id; id, name, info)."""
        got = await self.recv()
        self.t.assertEqual(got, expected, msg or f"{self.name}: unexpected frame")
        self.t.assertEqual(json.dumps(got), json.dumps(expected),
                           f"{self.name}: keys out of the wire's order")
        return got

    async def expect_set(self, expected_frames, msg=None):
        """The next len(expected_frames) frames, in any order."""
        got = [await self.recv() for _ in expected_frames]
        key = lambda f: json.dumps(f, sort_keys=True)
        self.t.assertEqual(sorted(map(key, got)), sorted(map(key, expected_frames)),
                           msg or f"{self.name}: unexpected frames")
        return got

    async def send_probe(self):
        """After a frame that must make the server close: a valid request with a fresh id
        that the server must not answer. If it answers, the close is missing, and
        expect_closed fails at once instead of waiting out a timeout."""
        self.probe_id = "probe-" + str(uuid.uuid4())
        try:
            await self.send(frame(GET_MEMBERS, channel="", id=self.probe_id))
        except ConnectionClosed:
            pass

    async def expect_closed(self, code):
        """Reads until the server closes; returns the frames that came first."""
        frames = []
        probe = getattr(self, "probe_id", None)
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.name}: not closed within {TIMEOUT}s") from None
            except ConnectionClosed:
                break
            f = json.loads(data) if isinstance(data, str) else data
            if probe is not None and f == ack_frame(probe):
                raise AssertionError(
                    f"{self.name}: expected close {code}, but the server went on and answered "
                    f"a later request (frames before it: {frames})")
            frames.append(f)
        await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)
        self.t.assertEqual(self.ws.close_code, code,
                           f"{self.name}: close code (reason {self.ws.close_reason!r})")
        return frames

    async def barrier(self):
        """Proves that nothing else is pending for this client: sends a get@members with a
        fresh id; the very next frame must be its acknowledgment, then its answer.
        Frames are handled by the server in order and queued per connection in order, so
        anything caused earlier would have arrived before the acknowledgment."""
        token = "barrier-" + str(uuid.uuid4())
        await self.send(frame(GET_MEMBERS, channel="", id=token))
        got = await self.recv()
        self.t.assertEqual(got, ack_frame(token),
                           f"{self.name}: a frame arrived that should not have")
        answer = await self.recv()
        self.t.assertIn(answer.get("method"), (SEND_MEMBERS, ERROR_MEMBER_CHANNEL),
                        f"{self.name}: barrier answer {answer}")
        return answer

    # --- protocol steps ----------------------------------------------------------
    async def read_session(self):
        f = await self.recv()
        self.t.assertEqual(f.get("method"), SESSION, f"{self.name}: first frame {f}")
        sid = f["message"]["text"]
        self.t.assertRegex(sid, GUID_RE)
        self.session_id = sid
        return f

    def request(self, method, **kw):
        """A request carrying this client's own member, as an sgc client sends it."""
        return frame(method, member=self.member or {"id": self.session_id}, **kw)

    async def send_join(self, name, info="", id=None):
        member = {"id": self.session_id if id is None else id, "name": name, "info": info}
        await self.send(frame(MEMBER_NEW, member=member))

    async def join(self, name, info="", others=()):
        """member@new; consumes the announcement here and at each of `others`."""
        await self.send_join(name, info)
        self.member = {"id": self.session_id, "name": name, "info": info}
        expected = frame(MEMBER_NEW, member=self.member)
        await self.expect(expected)
        for other in others:
            await other.expect(expected)
        return self.member

    async def subscribe(self, channel, others=()):
        """channel@member@new; consumes the announcement here and at each of `others`."""
        await self.send(self.request(CHANNEL_MEMBER_NEW, channel=channel))
        expected = frame(CHANNEL_MEMBER_NEW, member=self.member, channel=channel)
        await self.expect(expected)
        for other in others:
            await other.expect(expected)

    async def close(self):
        try:
            await asyncio.wait_for(self.ws.close(), TIMEOUT)
        except (asyncio.TimeoutError, ConnectionClosed, OSError):
            pass


class PresenceTestCase(unittest.IsolatedAsyncioTestCase):
    """A fresh server per test; clients are closed and the server killed afterwards, and
    every test also checks that the server did not die under it."""

    SERVER_ARGS = ()
    maxDiff = None

    def setUp(self):
        self.server = ServerProcess(*self.SERVER_ARGS)
        self.addCleanup(self.server.stop)
        self.clients = []
        self.expect_server_alive = True

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()
        if self.expect_server_alive:
            self.assertTrue(self.server.alive(),
                            "the server process died: " + self.server.stderr_text())
        self.assert_no_sanitizer_report()

    def assert_no_sanitizer_report(self, server=None):
        """With a sanitized server (build-sanitize), a report on stderr fails the test."""
        text = (server or self.server).stderr_text()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, text, "sanitizer report from the server:\n" + text)

    async def connect(self, name="client", subprotocols=(PROTOCOL,), read_session=True):
        ws = await asyncio.wait_for(
            websockets.connect(self.server.url,
                               subprotocols=list(subprotocols) if subprotocols else None,
                               open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                               ping_interval=None, max_size=None),
            TIMEOUT)
        c = Client(self, ws, name)
        self.clients.append(c)
        if read_session:
            await c.read_session()
        return c

    async def joined(self, name, info="", others=()):
        """A connected client that joined as `name`; `others` consume the announcement."""
        c = await self.connect(name)
        await c.join(name, info, others)
        return c

    async def assert_serving(self):
        """The server process is alive and a new connection still gets its session."""
        self.assertTrue(self.server.alive(), self.server.stderr_text())
        c = await self.connect("probe")
        answer = await c.barrier()
        self.assertEqual(answer["error"]["code"], 3, answer)
        await c.close()
        self.clients.remove(c)
