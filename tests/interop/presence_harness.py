# SPDX-License-Identifier: Apache-2.0
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

Topology (environment variable PRESENCE_TOPOLOGY):
- "single" (the default): one presence-server per test;
- "pair": per test, one redis-server and two presence-server nodes sharing it
  (tests/cluster/cluster_harness.py); the test's clients alternate between the nodes:
  first client on node 1, second on node 2, third on node 1, ...
  Cross-node delivery is asynchronous, so in this topology a client first catches up
  with the other nodes (`Client.sync`) before a barrier and before each request whose
  outcome depends on what its node knows of the other nodes (join, subscribe,
  unsubscribe, publish to a channel, get@members, invitation). See
  tests/interop/README.md, "Cross-node asynchrony".
"""

import asyncio
import base64
import collections
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

SUPPORT_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "support"))
if SUPPORT_DIR not in sys.path:
    sys.path.insert(0, SUPPORT_DIR)
from fault_proxy import FaultProxy  # noqa: E402  (tests/support, found through SUPPORT_DIR)

TIMEOUT = 5.0          # bound on every single await
START_TIMEOUT = 15.0   # bound on the server printing its port
PROTOCOL = "presence.esegece.com"
B64 = "sgc@b64:"

TOPOLOGY = os.environ.get("PRESENCE_TOPOLOGY", "single") or "single"
if TOPOLOGY not in ("single", "pair"):
    raise RuntimeError(f"PRESENCE_TOPOLOGY must be 'single' or 'pair', not {TOPOLOGY!r}")
# Modules that only make sense against one process (see tests/interop/README.md):
# skipped in the pair topology.
SINGLE_NODE_MODULES = {
    "test_shutdown": "signals stop one process; what its clients see is per process",
}
# The channel of the invitations that carry Client.sync across nodes (short enough for
# the smallest --max-channel-bytes a test uses).
SYNC_CHANNEL = "~sync"

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
# What our server's hello answer lists, with its default options.
SERVER_FEATURES = "invitation-response,heartbeat,resume"
INVITATION_RESPONSE = "ext@presence@channel@invitation@response"
PING = "ext@presence@ping"
PONG = "ext@presence@pong"

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
    41: "Too many requests: over the rate limit.",
    42: "Too many channels for one member.",
    43: "Too many invitations: over the rate limit.",
    44: "The channel is full.",
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


def kill_and_reap(proc):
    """SIGKILL unless it has exited already, then reaps it (bounded)."""
    if proc.poll() is None:
        proc.kill()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        pass


class ServerProcess:
    """One presence-server on 127.0.0.1, any free port; `preexec_fn` runs in the child
    before the server starts (to lower a resource limit, say)."""

    def __init__(self, *args, preexec_fn=None):
        self.args = [server_path(), "--host", "127.0.0.1", "--port", "0", *args]
        # Multi-node tests (tests/cluster/cluster_harness.py) set these: the node's id, the
        # deployment it belongs to (nodes sharing one Redis key prefix), and whether the
        # test killed it on purpose.
        self.node_id = None
        self.deployment = None
        self.killed = False
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.stderr, preexec_fn=preexec_fn)
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
        scheme = "wss" if "--tls-cert" in self.args else "ws"
        return f"{scheme}://127.0.0.1:{self.port}/"

    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """SIGKILL (a node that dies without warning); the test expects it dead."""
        self.killed = True
        kill_and_reap(self.proc)

    @property
    def label(self):
        return f"node {self.node_id}" if self.node_id else "server"

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
        kill_and_reap(self.proc)
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


def _parsed(data):
    """The decoded JSON object of one received text frame, or None."""
    if not isinstance(data, str):
        return None
    try:
        obj = decode_all(json.loads(data))
    except Exception:  # not JSON, bad Base64...: for the test to judge, not the harness
        return None
    return obj if isinstance(obj, dict) else None


def _name_of(value):
    return value.get("name") if isinstance(value, dict) else None


class Client:
    """One raw WebSocket connection speaking hand-written Presence frames."""

    def __init__(self, test, ws, name, server=None):
        self.t = test
        self.ws = ws
        self.name = name
        self.server = server        # the ServerProcess (node) this client is connected to
        self.session_id = None
        self.member = None          # the member object as the server announces it
        self.decode = False         # decode sgc@b64: strings of received frames
        self.raw = []               # every text frame received, as received
        self.wire = []              # every frame off the socket, the harness's own included
        # Frames read off the socket by the harness (Client.sync) but not yet by the test:
        # recv_raw returns them first, in the order they came.
        self.stash = collections.deque()
        # What the frames read so far say (tracked for Client.sync): the session id, this
        # connection's member as its own member@new announced it (None when not a member),
        # and the ids of the members its node has announced to it with member@new.
        self.seen_session = None
        self.announced = None
        self.known = set()
        # Several nodes, a join on a node where no member is connected yet: ids of members
        # that joined elsewhere before it, whose member@new this node may hand this client
        # after its own join (see _note_lonely_join); such a late member@new is passed over.
        self.catch_up = set()
        self.passed_over = set()

    @property
    def own_id(self):
        return self.session_id or self.seen_session

    # --- sending -----------------------------------------------------------------
    async def send_raw(self, data):
        await asyncio.wait_for(self.ws.send(data), TIMEOUT)

    async def send(self, obj):
        if self._depends_on_other_nodes(obj):
            await self.sync()
        self._note_lonely_join(obj)
        await self.send_raw(json.dumps(obj))

    async def send_text_bytes(self, payload):
        """A text frame whose payload is `payload` as is (may be invalid UTF-8)."""
        await asyncio.wait_for(self.ws.write_frame(True, Opcode.TEXT, payload), TIMEOUT)

    # --- receiving ---------------------------------------------------------------
    async def _read_ws(self, timeout=TIMEOUT):
        """The next frame off the socket (not the stash), observed for Client.sync."""
        while True:
            try:
                data = await asyncio.wait_for(self.ws.recv(), timeout)
            except asyncio.TimeoutError:
                raise AssertionError(f"{self.name}: no frame within {timeout}s") from None
            except ConnectionClosed as e:
                raise AssertionError(f"{self.name}: connection closed while waiting for a "
                                     f"frame ({self.ws.close_code} {self.ws.close_reason!r})") from e
            self.wire.append(data)
            self._observe(data)
            if not await self._passed_over(data):
                return data

    async def recv_raw(self, timeout=TIMEOUT):
        data = self.stash.popleft() if self.stash else await self._read_ws(timeout)
        self.t.assertIsInstance(data, str, f"{self.name}: expected a text frame")
        self.raw.append(data)
        return data

    async def recv(self, timeout=TIMEOUT):
        data = await self.recv_raw(timeout)
        obj = json.loads(data)
        return decode_all(obj) if self.decode else obj

    async def expect(self, expected, msg=None, timeout=TIMEOUT):
        """The next frame equals `expected`, keys in the same order (the wire's key order:
        jsonrpc, method, member, channel, message, error, members, id; id, name, info)."""
        got = await self.recv(timeout)
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
            await self.send_raw(json.dumps(frame(GET_MEMBERS, channel="", id=self.probe_id)))
        except ConnectionClosed:
            pass

    async def expect_closed(self, code, timeout=TIMEOUT):
        """Reads until the server closes (each read bounded by `timeout`); returns the frames
        that came first."""
        frames = []
        probe = getattr(self, "probe_id", None)
        while True:
            if self.stash:
                data = self.stash.popleft()
            else:
                try:
                    data = await asyncio.wait_for(self.ws.recv(), timeout)
                except asyncio.TimeoutError:
                    raise AssertionError(f"{self.name}: not closed within {timeout}s") from None
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

    async def barrier(self, cross_node=True):
        """Proves that nothing else is pending for this client: sends a get@members with a
        fresh id; the very next frame must be its acknowledgment, then its answer.
        Frames are handled by the server in order and queued per connection in order, so
        anything caused earlier would have arrived before the acknowledgment.
        With several nodes this holds for what this client's own node caused; for what the
        other nodes caused, Client.sync comes first (cross_node=False: this node only,
        e.g. while Redis is down)."""
        if cross_node:
            await self.sync()
        token = "barrier-" + str(uuid.uuid4())
        await self.send_raw(json.dumps(frame(GET_MEMBERS, channel="", id=token)))
        got = await self.recv()
        self.t.assertEqual(got, ack_frame(token),
                           f"{self.name}: a frame arrived that should not have")
        answer = await self.recv()
        self.t.assertIn(answer.get("method"), (SEND_MEMBERS, ERROR_MEMBER_CHANNEL),
                        f"{self.name}: barrier answer {answer}")
        return answer

    # --- several nodes: catching up with the others ---------------------------------
    def _observe(self, data):
        f = _parsed(data)
        if f is None:
            return
        method = f.get("method")
        if method == SESSION and self.seen_session is None:
            message = f.get("message")
            if isinstance(message, dict) and isinstance(message.get("text"), str):
                self.seen_session = message["text"]
            return
        member = f.get("member")
        if not isinstance(member, dict) or not isinstance(member.get("id"), str):
            return
        if method == MEMBER_NEW:
            self.known.add(member["id"])
            if member["id"] == self.own_id:
                self.announced = member
        elif method == MEMBER_REMOVE:
            self.known.discard(member["id"])
            self.catch_up.discard(member["id"])
            if member["id"] == self.own_id:
                self.announced = None

    def _note_lonely_join(self, obj):
        """Several nodes: a join sent on a node where no other member is connected. No
        protocol frame can tell when such a node has applied what the other nodes did
        before (Client.sync needs a member there), so it may apply another node's earlier
        join only after this one, and then announce that member to this client with a
        member@new that one node would never send. Such frames, for members that had
        joined elsewhere before this join was sent, are passed over (once each)."""
        if len(self.t.servers) < 2 or self._usable():
            return
        try:
            method = decode_all(obj).get("method") if isinstance(obj, dict) else None
        except Exception:
            return
        if method != MEMBER_NEW:
            return
        if any(c is not self and c.server is self.server and c._usable()
               for c in self.t.clients):
            return
        self.catch_up = {c.own_id for c in self.t.clients
                         if c.server is not self.server
                         and c.server.deployment == self.server.deployment and c._usable()}

    async def _passed_over(self, data):
        """True for a late member@new of a member in `catch_up` (see _note_lonely_join),
        and for a re-send of one (--ack); such a frame with an id is acknowledged."""
        if data in self.passed_over:
            return True
        if not self.catch_up or self.announced is None:
            return False
        f = _parsed(data)
        if (f is None or f.get("method") != MEMBER_NEW or not isinstance(f.get("member"), dict)
                or f["member"].get("id") not in self.catch_up):
            return False
        self.catch_up.discard(f["member"]["id"])
        self.passed_over.add(data)
        if isinstance(f.get("id"), str) and f["id"]:
            await self.send_raw(json.dumps(ack_frame(f["id"])))
        return True

    def _depends_on_other_nodes(self, obj):
        """Requests whose outcome depends on what this node knows of the other nodes: the
        answers of get@members, unsubscribe (error 5 or 12), publish to a channel (5 or 12)
        and invitation (3); and join and subscribe, after which this connection would be
        told of earlier changes that its node had not applied yet (a member@new of someone
        who joined before, or a channel@member@new of someone already in the channel)."""
        if not isinstance(obj, dict):
            return False
        try:
            obj = decode_all(obj)
        except Exception:
            return False
        method = obj.get("method")
        if method in (MEMBER_NEW, CHANNEL_MEMBER_NEW, GET_MEMBERS, CHANNEL_MEMBER_REMOVE,
                      INVITATION):
            return True
        return method == PUBLISH and bool(_name_of(obj.get("channel")))

    def _usable(self):
        return (self.announced is not None and self.ws.open and not self.server.killed
                and self.server.alive())

    def _sync_partners(self):
        """For each other live node of this client's deployment, one member connected there
        (preferably one that its node has told of this client)."""
        partners = []
        for server in self.t.servers:
            if (server is self.server or server.deployment != self.server.deployment
                    or server.killed or not server.alive()):
                continue
            there = [c for c in self.t.clients if c.server is server and c._usable()]
            if there:
                there.sort(key=lambda c: self.own_id not in c.known)
                partners.append(there[0])
        return partners

    async def sync(self):
        """Several nodes: returns once this client's node has applied everything the other
        nodes of its deployment did before now, so that what the test saw happen there is
        known here too. No-op on one node, and when the test turned it off (servers with
        --ack, whose every frame would need acknowledging; Redis down).

        How: a member P on each other node invites a member M of this node to SYNC_CHANNEL
        (M is this client when it is a member, else another member connected to this node;
        with none, there is nothing to do it with: see tests/interop/README.md). Each node
        publishes its events in order on one Redis channel and a node hands frames to a
        connection in order, so when the invitation reaches M, this node has applied every
        earlier event of P's node. Frames read meanwhile are stashed for the test, in
        order; a barrier then finds them (so, for a barrier, the proof of absence covers
        the other nodes too)."""
        if not self.t.sync_enabled() or not self.ws.open:
            return
        if self._usable():
            target = self
        else:
            here = [c for c in self.t.clients
                    if c is not self and c.server is self.server and c._usable()]
            if not here:
                return
            target = here[0]
        for partner in target._sync_partners():
            await partner._invite_for_sync(target)
            while True:
                data = await target._read_ws()
                f = _parsed(data)
                if (f is not None and f.get("method") == INVITATION
                        and _name_of(f.get("channel")) == SYNC_CHANNEL
                        and isinstance(f.get("member"), dict)
                        and f["member"].get("id") == partner.own_id):
                    break
                target.stash.append(data)
        # Every other node's earlier events are applied here now: no late member@new to
        # pass over any more.
        target.catch_up.clear()

    async def _invite_for_sync(self, target):
        """Invites `target` to SYNC_CHANNEL. If this node has not applied `target`'s join yet
        (error 3), it will: invites again a moment later, until it has (bounded). (Waiting
        for this member to be told of `target` would not do: a connection that said hello
        with diffs or users is not told of every join.)"""
        deadline = time.monotonic() + TIMEOUT
        while True:
            token = "sync-" + str(uuid.uuid4())
            await self.send_raw(json.dumps(frame(INVITATION, member={"id": self.own_id},
                                                 channel=SYNC_CHANNEL,
                                                 members=[{"id": target.own_id}])))
            # A ping marks the end of the invitation's answers; unlike a list request, it
            # does not make the server send a diff the test may be waiting for.
            await self.send_raw(json.dumps(frame(PING, id=token)))
            unknown = False
            while True:
                data = await self._read_ws()
                f = _parsed(data)
                if f == ack_frame(token):
                    break
                error = f.get("error") if f else None
                if (f is not None and f.get("method") == ERROR_MEMBER_CHANNEL
                        and _name_of(f.get("channel")) == SYNC_CHANNEL
                        and isinstance(error, dict) and error.get("code") == 3
                        and isinstance(f.get("member"), dict)
                        and f["member"].get("id") == target.own_id):
                    unknown = True
                    continue
                self.stash.append(data)
            answer = _parsed(await self._read_ws())
            self.t.assertEqual((answer or {}).get("method"), PONG,
                               f"{self.name}: answer to the sync's ping: {answer}")
            if not unknown:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {self.server.label} kept answering that "
                                     f"{target.name} is no member for {TIMEOUT}s")
            await asyncio.sleep(0.02)  # polling the node's view of the other node, bounded above

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


def _cluster_harness():
    """tests/cluster/cluster_harness.py (imported on demand: it imports this module)."""
    here = os.path.dirname(os.path.abspath(__file__))
    cluster = os.path.normpath(os.path.join(here, "..", "cluster"))
    if cluster not in sys.path:
        sys.path.insert(0, cluster)
    import cluster_harness
    return cluster_harness


class PresenceTestCase(unittest.IsolatedAsyncioTestCase):
    """Fresh servers per test (one, or a pair of nodes: see TOPOLOGY); clients are closed
    and the servers killed afterwards, and every test also checks that no server died
    under it."""

    SERVER_ARGS = ()
    maxDiff = None

    def setUp(self):
        if TOPOLOGY == "pair" and type(self).__module__ in SINGLE_NODE_MODULES:
            self.skipTest("single node only: " + SINGLE_NODE_MODULES[type(self).__module__])
        self.clients = []
        self.expect_server_alive = True
        self.cross_node = True      # Client.sync on; a test turns it off while Redis is down
        self._connections = 0
        self.servers = self.start_servers()
        self.server = self.servers[0]

    def start_servers(self):
        """The servers of this test, the first one being `self.server`."""
        if TOPOLOGY == "pair":
            return _cluster_harness().start_deployment(self, 2, self.SERVER_ARGS)
        server = ServerProcess(*self.SERVER_ARGS)
        self.addCleanup(server.stop)
        return [server]

    def sync_enabled(self):
        return (self.cross_node and len(self.servers) > 1
                and not any("--ack" in s.args for s in self.servers))

    async def asyncTearDown(self):
        for c in self.clients:
            await c.close()
        if self.expect_server_alive:
            for server in self.servers:
                if not server.killed:
                    self.assertTrue(server.alive(),
                                    f"{server.label} died: " + server.stderr_text())
        for server in self.servers:
            self.assert_no_sanitizer_report(server)

    def assert_no_sanitizer_report(self, server=None):
        """With a sanitized server (build-sanitize), a report on stderr fails the test."""
        text = (server or self.server).stderr_text()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, text, "sanitizer report from the server:\n" + text)

    async def connect(self, name="client", subprotocols=(PROTOCOL,), read_session=True,
                      node=None, url=None, ssl=None):
        """A new connection: to self.servers[node], or by default to the next server in
        turn (first connection to the first server, second to the second, ...). `url`
        replaces the server's (a proxy in front of it); `ssl` is the client's context for
        wss://."""
        if node is None:
            node = self._connections % len(self.servers)
        self._connections += 1
        server = self.servers[node]
        ws = await asyncio.wait_for(
            websockets.connect(url or server.url,
                               subprotocols=list(subprotocols) if subprotocols else None,
                               open_timeout=TIMEOUT, close_timeout=TIMEOUT,
                               ping_interval=None, max_size=None, ssl=ssl),
            TIMEOUT)
        c = Client(self, ws, name, server)
        self.clients.append(c)
        if read_session:
            await c.read_session()
        return c

    def fault_proxy(self, server=None):
        """A fault proxy (tests/support/fault_proxy.py) in front of `server`, by default
        the first; stopped after the test. Clients reach the server through `proxy.url`."""
        proxy = FaultProxy((server or self.server).port)
        self.addCleanup(proxy.stop)
        return proxy

    async def joined(self, name, info="", others=(), node=None):
        """A connected client that joined as `name`; `others` consume the announcement."""
        c = await self.connect(name, node=node)
        await c.join(name, info, others)
        return c

    async def assert_serving(self):
        """The servers are alive and a new connection still gets its session."""
        for server in self.servers:
            if not server.killed:
                self.assertTrue(server.alive(), server.stderr_text())
        c = await self.connect("probe")
        answer = await c.barrier()
        self.assertEqual(answer["error"]["code"], 3, answer)
        await c.close()
        self.clients.remove(c)
