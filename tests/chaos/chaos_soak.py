# SPDX-License-Identifier: Apache-2.0
"""Chaos soak: hundreds of misbehaving clients against one real presence-server.

One presence-server (port 0, small limits so that the fault paths are taken) serves N
clients for about D seconds, in rounds. During a round every client does random
operations as fast as the server answers them: join, leave, subscribe and unsubscribe
among ten channels, publish to a channel or to everyone (also a frame of exactly the
size limit), list members, invite, requests that are wrong but valid (joining twice,
leaving someone else), garbage (not JSON, not an object, wrong types, unknown or
server-only methods, a channel name over the limit), frames the server must close the
connection for (over the size limit, by one byte or more: 1009, binary: 1003, bad
UTF-8: 1007, too many malformed requests in a row: 1008), dropping the TCP connection
without a closing handshake, closing cleanly, and connecting again.

Checked all along, on every frame every client receives (the server handles the frames
of one connection in order and queues what it sends to one connection in order, so each
connection's frames can be checked exactly):
- every request is acknowledged (each carries an `id`) and answered as the client's own
  state predicts: its own announcement, the member list, or exactly the error code the
  rules give (where the answer depends on other clients, e.g. error 5 or 12, either);
  an error frame that answers no request of this client fails the test;
- a connection that did nothing wrong is never closed by the server; a fault is closed
  with its own code, and a request the offender sends right after it (before it can
  know) is never answered;
- events arrive only where they should (channel events to the channel's members, member
  events and publications to everyone to members), announce each member once, and a
  published message or an invitation comes from whoever sent it, as it was sent.

At the end of each round the clients stop, each one's answers are all in (a get@members
round trip), and then:
1. the server's member list (get@members from an observer client that only watches)
   equals the members the test knows to be joined and connected; members whose socket
   was dropped disappear as soon as the server has seen the TCP connection end (polled,
   bounded);
2. each channel's member list equals the model;
3. each client's own view, built only from the events it received since it joined (and
   the member lists it asked for when it joined or subscribed), equals the server's lists;
4. the server is alive and /healthz answers 200 with "connections" equal to the number of
   live connections.
After the first round and at the end every client closes, the server must list nobody
and count no connection, and its resident memory is read (/proc/PID/status). At the end
the server is stopped with SIGTERM and must exit 0 (with a sanitized build this is where
LeakSanitizer reports) with no sanitizer report.

Every wait is bounded (TIMEOUT); polling the server's lists and /healthz is how the test
waits for a departure it cannot be told about. Each connection's reader ends with its
connection, and the whole run is bounded (RUN_BOUND).

Environment:
    PRESENCE_SERVER  the presence-server binary (set by CTest)
    CHAOS_CLIENTS    number of clients (default 200; the server takes up to 1000
                     connections from one address)
    CHAOS_SECONDS    length of the soak in seconds (default 45)
    CHAOS_SEED       seed of the random choices; printed at the start of every run.
                     The same seed gives every client the same sequence of operations;
                     how the clients interleave still depends on timing.

Longer by hand, from this folder:
    PRESENCE_SERVER=<build>/src/tools/presence-server CHAOS_CLIENTS=500 CHAOS_SECONDS=180 \\
        /usr/bin/python3 -m unittest -v chaos_soak
"""

import asyncio
import collections
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest
import uuid

import websockets
from websockets.exceptions import ConnectionClosed
from websockets.frames import Opcode

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.normpath(os.path.join(HERE, "..", "interop"))
if INTEROP not in sys.path:
    sys.path.insert(0, INTEROP)
from presence_harness import (  # noqa: E402  (after the path above)
    ACK, CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH,
    ERROR_TEXTS, GET_MEMBERS, INVALID_PARAMS, INVALID_REQUEST, INVITATION, MEMBER_NEW,
    MEMBER_REMOVE, METHOD_NOT_FOUND, PARSE_ERROR, PROTOCOL, PUBLISH, SANITIZER_MARKERS,
    SEND_MEMBERS, SESSION, ServerProcess, frame)

CLIENTS = int(os.environ.get("CHAOS_CLIENTS") or 200)
SECONDS = float(os.environ.get("CHAOS_SECONDS") or 45)
SEED = int(os.environ.get("CHAOS_SEED") or random.SystemRandom().randrange(1 << 32))

CHANNELS = [f"room-{i}" for i in range(10)]
MAX_MESSAGE = 4096
MAX_INVALID = 4
MAX_CHANNEL = 64
# Rate limits off: a refusal for going too fast would depend on timing, and every answer
# here must follow from the requests alone. Resuming needs a hello, which these clients
# never send, so a dropped connection ends its member at once.
SERVER_ARGS = ("--max-message-bytes", str(MAX_MESSAGE), "--max-invalid-frames", str(MAX_INVALID),
               "--max-channel-bytes", str(MAX_CHANNEL), "--max-requests-per-second", "0",
               "--max-invitations-per-minute", "0")

# What members are told of one another; a client's own event answers its own request.
EVENTS = (MEMBER_NEW, MEMBER_REMOVE, CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, PUBLISH)

ROUND_SECONDS = 6.0    # operations per round; then the checks
TIMEOUT = 20.0         # bound on every single wait (an answer, a connect, a close, convergence)
STOP_TIMEOUT = 30.0    # bound on the server's exit after SIGTERM (LeakSanitizer takes a while)
# The whole run: the rounds, the checks after the last one, closing everyone, and slack.
RUN_BOUND = SECONDS + 6 * TIMEOUT
# Freed memory is kept by the allocator for reuse rather than returned to the system, so
# resident memory after a busy round is no exact measure of what the server holds. The
# bound only catches growth far beyond that caching: a real leak across thousands of
# connections, or state that grows without end. Exact leaks are LeakSanitizer's job, in
# the sanitized build, where this bound does not apply: AddressSanitizer holds freed
# memory back on purpose (its quarantine, 256 MiB by default).
MEMORY_GROWTH_BOUND = 64 * 1024 * 1024


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def name_of(value):
    return value.get("name") if isinstance(value, dict) else None


def text_of(f):
    message = f.get("message")
    return message.get("text") if isinstance(message, dict) else None


def members_of(f):
    """{id: member} of a send@members frame."""
    return {m["id"]: m for m in f.get("members") or []}


class Answer:
    """A frame that answers a request: its method, and where given its channel, error
    codes (any of), member id and message text."""

    def __init__(self, method, channel=None, codes=(), member_id=None, text=None):
        self.method = method
        self.channel = channel
        self.codes = tuple(codes)
        self.member_id = member_id
        self.text = text

    def matches(self, f):
        if f.get("method") != self.method:
            return False
        if self.channel is not None and name_of(f.get("channel")) != self.channel:
            return False
        error = f.get("error")
        if bool(self.codes) != isinstance(error, dict):
            return False
        if self.codes and error.get("code") not in self.codes:
            return False
        member = f.get("member") if isinstance(f.get("member"), dict) else {}
        if self.member_id is not None and member.get("id") != self.member_id:
            return False
        return self.text is None or text_of(f) == self.text

    def __repr__(self):
        parts = [self.method.removeprefix("sgc@presence@")]
        if self.channel is not None:
            parts.append(f"channel={self.channel!r}")
        if self.codes:
            parts.append("error " + "|".join(map(str, self.codes)))
        if self.member_id is not None:
            parts.append(f"member={self.member_id[:8]}")
        return "<" + " ".join(parts) + ">"


class AnyOf:
    """One frame, any of several answers."""

    def __init__(self, *answers):
        self.answers = answers

    def matches(self, f):
        return any(a.matches(f) for a in self.answers)

    def __repr__(self):
        return " or ".join(map(repr, self.answers))


class Request:
    """A request sent and what must come back for it, in order: its acknowledgment (when
    it has an id), then `groups` one after the other (the frames of a group in any order).
    `optional` answers may come too (an invitee that is no member any more)."""

    def __init__(self, label, id, groups=(), optional=(), on_answer=None):
        self.label = label
        self.id = id
        self.groups = [list(g) for g in groups if g]
        self.optional = list(optional)
        self.acked = id is None
        self.on_answer = on_answer
        self.done = asyncio.get_running_loop().create_future()

    def complete(self):
        return self.acked and not self.groups

    def take(self, f):
        if self.groups:
            for answer in self.groups[0]:
                if answer.matches(f):
                    self.groups[0].remove(answer)
                    if not self.groups[0]:
                        self.groups.pop(0)
                    return True
        for answer in self.optional:
            if answer.matches(f):
                self.optional.remove(answer)
                return True
        return False

    def expecting(self):
        if not self.acked:
            return f"its acknowledgment {self.id}"
        return repr(self.groups[0]) if self.groups else "nothing more"

    def settle(self, ok=True):
        if not self.done.done() and (self.complete() or not ok):
            self.done.set_result(ok)


class Figures:
    def __init__(self):
        self.ops = collections.Counter()
        self.faults = collections.Counter()
        self.checks = collections.Counter()
        self.errors = collections.Counter()   # error codes received, all expected
        self.frames = 0
        self.rounds = 0
        self.memory = {}                      # label -> (VmRSS, VmHWM) in bytes

    def report(self, clients, seconds, seed, elapsed):
        def block(title, counter):
            lines = [f"  {title} ({sum(counter.values())}):"]
            lines += [f"    {n:>8}  {k}" for k, n in sorted(counter.items(), key=lambda kv: -kv[1])]
            return lines

        mib = lambda b: f"{b / (1024 * 1024):.1f} MiB"
        lines = ["", "=== chaos soak figures ===",
                 f"  seed {seed}, {clients} clients, {seconds:g} s asked, {elapsed:.1f} s run, "
                 f"{self.rounds} rounds, {self.frames} frames received"]
        lines += block("operations", self.ops)
        lines += block("faults injected", self.faults)
        lines += block("error answers received (all predicted)", self.errors)
        lines += block("invariant checks passed", self.checks)
        for label, (rss, hwm) in self.memory.items():
            lines.append(f"  server memory {label}: VmRSS {mib(rss)}, VmHWM (peak) {mib(hwm)}")
        lines.append("=== end of figures ===")
        print("\n".join(lines), flush=True)


class Conn:
    """One WebSocket connection of a client, and everything the test knows about it:
    - predicted (`p_*`): the connection's state once the server has handled every request
      sent so far; each request's expected answer follows from it;
    - confirmed: the state its own announcements told it (joined, channels);
    - view: the members and channel members, from the events received."""

    def __init__(self, soak, owner, ws, generation):
        self.soak = soak
        self.owner = owner
        self.ws = ws
        self.tag = f"{owner.name}.{generation}"
        self.seq = itertools.count(1)
        self.session_id = None
        self.member = None
        self.session = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self.pending = collections.deque()
        self.p_joined = False
        self.p_channels = set()
        self.p_invalid = 0            # malformed requests in a row, as the server counts them
        self.joined = False
        self.channels = set()
        self.view = {}                # id -> member
        self.view_synced = False      # the list asked for after joining has come
        self.channel_view = {}        # channel -> set of ids
        self.channel_synced = set()
        self.by_us = False            # we closed or dropped it
        self.expected_close = None    # the close code a fault of ours must get
        self.probe_id = None          # a request after such a fault, never to be answered
        self.history = collections.deque(maxlen=6)
        self.cause = None             # what ended the connection, when it was not a close frame
        self.reader = asyncio.create_task(self.read())

    @property
    def open(self):
        return not self.closed.done()

    def fail(self, what):
        self.soak.fail(f"{self.tag} ({(self.session_id or '?')[:8]}): {what}", self.owner)

    def note(self, operation):
        """Kept for the failure reports: this connection's last operations, and its client's."""
        self.history.append(operation)
        self.owner.history.append(f"{self.tag} {operation}")

    # --- sending ---------------------------------------------------------------------
    def me(self):
        return self.member or {"id": self.session_id}

    def next_id(self):
        return f"{self.tag}.{next(self.seq)}"

    async def request(self, label, f, groups=(), optional=(), on_answer=None):
        """Sends `f` with its id (a fresh one unless it has one); returns the Request once
        its answers are all in."""
        f.setdefault("id", self.next_id())
        r = Request(label, f["id"], groups, optional, on_answer)
        return await self.send(r, compact(f))

    async def send(self, r, data):
        """Registered before sending: the answer may be read before send() returns."""
        self.pending.append(r)
        self.note(r.label)
        try:
            await asyncio.wait_for(self.ws.send(data), TIMEOUT)
        except (ConnectionClosed, asyncio.TimeoutError) as e:
            if self.open and isinstance(e, asyncio.TimeoutError):
                self.fail(f"{r.label}: could not send within {TIMEOUT}s")
            return r
        await self.wait(r)
        return r

    async def wait(self, r):
        try:
            await asyncio.wait_for(asyncio.shield(r.done), TIMEOUT)
        except asyncio.TimeoutError:
            self.fail(f"{r.label}: no complete answer within {TIMEOUT}s, expecting {r.expecting()}")

    async def wait_closed(self):
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), TIMEOUT)
        except asyncio.TimeoutError:
            self.fail(f"not closed within {TIMEOUT}s (expected close {self.expected_close})")

    # --- receiving -------------------------------------------------------------------
    async def read(self):
        try:
            while True:
                data = await self.ws.recv()
                self.soak.figures.frames += 1
                try:
                    self.on_frame(data)
                except Exception as e:  # a defect of the test itself: never silent
                    self.fail(f"test error on {data!r}: {e!r}")
        except ConnectionClosed as e:
            self.cause = e.__cause__
        finally:
            self.on_closed()

    def on_frame(self, data):
        if not isinstance(data, str):
            return self.fail(f"a binary frame from the server: {data[:40]!r}")
        f = json.loads(data)
        method = f.get("method")
        if self.session_id is None:
            if method != SESSION:
                return self.fail(f"first frame is not the session: {data}")
            self.session_id = text_of(f)
            self.soak.sessions[self.session_id] = self
            return self.session.set_result(self.session_id)
        if method == ACK:
            return self.on_ack(f.get("id"))
        if method in (ERROR_MEMBER_CHANNEL, ERROR_PUBLISH):
            return self.on_error(f)
        if method == SEND_MEMBERS:
            return self.on_answer(f)
        if method in EVENTS:
            who = f.get("member") or {}
            if who.get("id") == self.session_id:
                return self.on_own_event(f)
            return self.on_event(f, who)
        if method == INVITATION:
            return self.on_invitation(f)
        self.fail(f"unexpected frame: {data}")

    def on_ack(self, id):
        if id is not None and id == self.probe_id:
            return self.fail(f"the server went on after a fault that must close: "
                             f"it acknowledged {id}")
        while self.pending:
            r = self.pending[0]
            if r.id == id:
                r.acked = True
                return r.settle()
            if not r.complete():
                self.fail(f"{r.label}: the acknowledgment of a later request ({id}) came "
                          f"while expecting {r.expecting()}")
                r.settle(ok=False)
            self.pending.popleft()
        self.fail(f"acknowledgment {id} of no pending request")

    def on_answer(self, f):
        """`f` answers a request of this connection: the oldest one still expecting it."""
        while self.pending:
            r = self.pending[0]
            if not r.acked:
                return self.fail(f"{r.label}: answered before its acknowledgment: {compact(f)}")
            if r.take(f):
                if r.on_answer:
                    r.on_answer(f)
                return r.settle()
            if not r.complete():
                return self.fail(f"{r.label}: got {compact(f)} while expecting {r.expecting()}")
            self.pending.popleft()
        self.fail(f"a frame that answers no request of this client: {compact(f)}")

    def on_error(self, f):
        error = f.get("error") or {}
        code = error.get("code")
        self.soak.figures.errors[f"error {code}"] += 1
        if code in ERROR_TEXTS and error.get("text") != ERROR_TEXTS[code]:
            self.fail(f"error {code} with text {error.get('text')!r}")
        if isinstance(code, int) and code < 0 and not error.get("text"):
            self.fail(f"error {code} without a description")
        self.on_answer(f)

    def on_own_event(self, f):
        """This connection's own announcement: an answer to its request, then the state
        and the view it changes."""
        if f.get("member") != self.member:
            self.fail(f"announced as {f.get('member')}, joined as {self.member}")
        self.on_answer(f)
        method, channel = f["method"], name_of(f.get("channel"))
        if method == MEMBER_NEW:
            self.joined = True
            self.view = {self.session_id: self.member}
            self.view_synced = False
        elif method == MEMBER_REMOVE:
            if self.channels:
                self.fail(f"member@remove before leaving channels {sorted(self.channels)}")
            self.joined = False
            self.view = {}
        elif method == CHANNEL_MEMBER_NEW:
            self.channels.add(channel)
            self.channel_view[channel] = {self.session_id}
            self.channel_synced.discard(channel)
        elif method == CHANNEL_MEMBER_REMOVE:
            self.channels.discard(channel)
            self.channel_view.pop(channel, None)
            self.channel_synced.discard(channel)

    def on_event(self, f, who):
        """Someone else's announcement or publication."""
        method, channel, id = f["method"], name_of(f.get("channel")), who.get("id")
        if method in (MEMBER_NEW, MEMBER_REMOVE) or (method == PUBLISH and channel == ""):
            if not self.joined:
                return self.fail(f"received {method} of {id} while not a member")
        elif channel not in self.channels:
            return self.fail(f"received {method} of {id} in {channel!r}, "
                             f"not a channel of this client")
        if method == MEMBER_NEW:
            if self.view_synced and id in self.view:
                self.fail(f"member@new of {self.soak.describe(id)}, already a member")
            self.view[id] = who
        elif method == MEMBER_REMOVE:
            if self.view_synced and id not in self.view:
                self.fail(f"member@remove of {self.soak.describe(id)}, who was no member")
            self.view.pop(id, None)
        elif method == CHANNEL_MEMBER_NEW:
            if channel in self.channel_synced and id in self.channel_view[channel]:
                self.fail(f"channel@member@new of {self.soak.describe(id)} in {channel}: "
                          f"already in it")
            if self.view_synced and id not in self.view:
                self.fail(f"{self.soak.describe(id)} subscribed to {channel} "
                          f"but was never announced")
            self.channel_view[channel].add(id)
        elif method == CHANNEL_MEMBER_REMOVE:
            if channel in self.channel_synced and id not in self.channel_view[channel]:
                self.fail(f"channel@member@remove of {self.soak.describe(id)} from {channel}: "
                          f"not in it")
            self.channel_view[channel].discard(id)
        else:
            self.on_publication(f, who, channel)

    def on_publication(self, f, who, channel):
        sent = self.soak.published.get(text_of(f))
        if sent != (who, channel):
            self.fail(f"publication {compact(f)[:200]} was sent as {sent}")
        synced = self.view_synced if channel == "" else channel in self.channel_synced
        among = self.view if channel == "" else self.channel_view[channel]
        if synced and who["id"] not in among:
            self.fail(f"publication in {channel!r} from {self.soak.describe(who['id'])}, "
                      f"who is not there in this client's view")

    def on_invitation(self, f):
        inviter, channel = f.get("member") or {}, name_of(f.get("channel"))
        if not self.joined:
            return self.fail(f"invitation while not a member: {compact(f)}")
        if self.soak.invitations.get((inviter.get("id"), self.session_id, channel)) != inviter:
            self.fail(f"invitation nobody sent: {compact(f)}")

    def on_closed(self):
        code, reason = self.ws.close_code, self.ws.close_reason
        for r in self.pending:
            r.settle(ok=False)
        if not self.by_us:
            if self.expected_close is None:
                self.fail(f"closed by the server with {code} {reason!r}, "
                          f"though it did nothing wrong")
            elif code != self.expected_close:
                lost = (f" (no close frame reached the client; {self.cause!r})"
                        if code == 1006 else "")
                self.fail(f"closed with {code} {reason!r}{lost} instead of {self.expected_close}")
            else:
                self.soak.figures.checks[f"fault closed with its code {code}"] += 1
            unanswered = [r for r in self.pending if not r.complete()]
            if unanswered:
                self.fail(f"closed before answering {[r.label for r in unanswered]}")
        if not self.session.done():
            self.session.set_result(None)
        self.closed.set_result(code)


class Client:
    """One of the soak's clients: a name, its own random choices, its connections one
    after the other."""

    def __init__(self, soak, name, rng):
        self.soak = soak
        self.name = name
        self.rng = rng
        self.conn = None
        self.generation = 0
        self.history = collections.deque(maxlen=12)

    # --- connections -----------------------------------------------------------------
    async def connect(self):
        self.soak.figures.ops["connect" if self.generation == 0 else "reconnect"] += 1
        self.generation += 1
        try:
            ws = await asyncio.wait_for(
                websockets.connect(self.soak.url, subprotocols=[PROTOCOL], open_timeout=TIMEOUT,
                                   close_timeout=TIMEOUT, ping_interval=None, max_size=None,
                                   compression=None),
                TIMEOUT)
        except (OSError, asyncio.TimeoutError, websockets.InvalidHandshake) as e:
            return self.soak.fail(f"{self.name}: connect failed: {e!r}", self)
        self.conn = Conn(self.soak, self, ws, self.generation)
        self.conn.note("connect")
        try:
            await asyncio.wait_for(asyncio.shield(self.conn.session), TIMEOUT)
        except asyncio.TimeoutError:
            self.conn.fail(f"no session frame within {TIMEOUT}s")
        if self.conn.session_id is None:
            self.conn = None

    async def drop(self):
        """Ends the TCP connection without a closing handshake."""
        self.soak.figures.faults["abrupt drop (no closing handshake)"] += 1
        c = self.conn
        c.by_us = True
        c.note("drop")
        c.ws.transport.abort()
        await c.wait_closed()
        self.conn = None

    async def close(self):
        self.soak.figures.ops["disconnect cleanly"] += 1
        await self.shut()

    async def shut(self):
        """Closes with the closing handshake."""
        c = self.conn
        c.by_us = True
        c.note("close")
        try:
            await asyncio.wait_for(c.ws.close(), TIMEOUT)
        except asyncio.TimeoutError:
            c.fail(f"clean close not done within {TIMEOUT}s")
        await c.wait_closed()
        self.conn = None

    # --- requests of the protocol ----------------------------------------------------
    async def join(self):
        c = self.conn
        if c.p_joined:
            self.soak.figures.ops["join again (error 1)"] += 1
            return await self.valid("join again", frame(MEMBER_NEW, member=c.me()),
                                    [[Answer(ERROR_MEMBER_CHANNEL, "", [1], c.session_id)]])
        self.soak.figures.ops["join"] += 1
        info = f"generation {self.generation}\r\nclient {self.name}"
        c.member = {"id": c.session_id, "name": self.name, "info": info}
        c.p_joined = True
        await self.valid("join", frame(MEMBER_NEW, member=c.member),
                         [[Answer(MEMBER_NEW, member_id=c.session_id)]])
        await self.sync_view("")

    async def sync_view(self, channel):
        """The member list right after joining or subscribing: the base the events build on."""
        c = self.conn

        def base(f):
            if channel:
                c.channel_view[channel] = set(members_of(f))
                c.channel_synced.add(channel)
            else:
                c.view = members_of(f)
                c.view_synced = True

        await self.valid(f"get@members {channel!r} (base of the view)",
                         frame(GET_MEMBERS, member=c.me(), channel=channel),
                         [[Answer(SEND_MEMBERS, channel, member_id=c.session_id)]], on_answer=base)

    async def leave(self):
        self.soak.figures.ops["leave"] += 1
        c = self.conn
        if not c.p_joined:
            return await self.valid("leave (error 3)", frame(MEMBER_REMOVE, member=c.me()),
                                    [[Answer(ERROR_MEMBER_CHANNEL, "", [3], c.session_id)]])
        groups = [[Answer(CHANNEL_MEMBER_REMOVE, x, member_id=c.session_id) for x in c.p_channels],
                  [Answer(MEMBER_REMOVE, member_id=c.session_id)]]
        c.p_joined = False
        c.p_channels = set()
        await self.valid("leave", frame(MEMBER_REMOVE, member=c.me()), groups)

    async def subscribe(self):
        c = self.conn
        channel = self.rng.choice(CHANNELS)
        self.soak.figures.ops["subscribe"] += 1
        label = f"subscribe {channel}"
        if not c.p_joined or channel in c.p_channels:
            code = 11 if c.p_joined else 3
            return await self.valid(f"{label} (error {code})",
                                    frame(CHANNEL_MEMBER_NEW, member=c.me(), channel=channel),
                                    [[Answer(ERROR_MEMBER_CHANNEL, channel, [code], c.session_id)]])
        c.p_channels.add(channel)
        await self.valid(label, frame(CHANNEL_MEMBER_NEW, member=c.me(), channel=channel),
                         [[Answer(CHANNEL_MEMBER_NEW, channel, member_id=c.session_id)]])
        await self.sync_view(channel)

    async def unsubscribe(self):
        c = self.conn
        channel = self.pick_channel()
        self.soak.figures.ops["unsubscribe"] += 1
        f = frame(CHANNEL_MEMBER_REMOVE, member=c.me(), channel=channel)
        if c.p_joined and channel in c.p_channels:
            c.p_channels.discard(channel)
            answer = Answer(CHANNEL_MEMBER_REMOVE, channel, member_id=c.session_id)
            return await self.valid(f"unsubscribe {channel}", f, [[answer]])
        # Not in it: whether the channel exists depends on the others.
        codes = [5, 12] if c.p_joined else [3]
        await self.valid(f"unsubscribe {channel} (error {codes})", f,
                         [[Answer(ERROR_MEMBER_CHANNEL, channel, codes, c.session_id)]])

    async def publish(self, channel=None, size=None):
        c = self.conn
        if channel is None:
            channel = self.pick_channel()
        id = c.next_id()
        text = f"{id} says hi"
        f = frame(PUBLISH, member=c.me(), channel=channel, text=text, id=id)
        if size is not None:
            f["message"]["text"] = text = text + "x" * (size - len(compact(f).encode("utf-8")))
        kind = ("publish at the size limit" if size else
                "publish to everyone" if channel == "" else "publish to a channel")
        self.soak.figures.ops[kind] += 1
        self.soak.published[text] = (c.me(), channel)
        if c.p_joined and (channel == "" or channel in c.p_channels):
            answer = Answer(PUBLISH, channel, member_id=c.session_id, text=text)
        else:
            codes = [5, 12] if c.p_joined else [3]
            answer = Answer(ERROR_PUBLISH, channel, codes, c.session_id, text)
        await self.valid(f"{kind} {channel!r}", f, [[answer]])

    async def get_members(self):
        c = self.conn
        channel = self.rng.choice([""] + CHANNELS)
        self.soak.figures.ops["get members"] += 1
        f = frame(GET_MEMBERS, member=c.me(), channel=channel)
        listed = Answer(SEND_MEMBERS, channel, member_id=c.session_id)
        if not c.p_joined:
            answer = Answer(ERROR_MEMBER_CHANNEL, channel, [3], c.session_id)
        elif channel == "" or channel in c.p_channels:
            answer = listed
        else:
            answer = AnyOf(listed, Answer(ERROR_MEMBER_CHANNEL, channel, [5], c.session_id))
        await self.valid(f"get@members {channel!r}", f, [[answer]])

    async def invite(self):
        c = self.conn
        channel = self.rng.choice(CHANNELS)
        self.soak.figures.ops["invite"] += 1
        known = self.soak.invitee_ids(self, self.rng.randint(1, 3))
        # At least one invitee: an empty list is a malformed request, not an invitation.
        unknown = [str(uuid.uuid4()) for _ in range(self.rng.randint(0 if known else 1, 1))]
        invitees = known + unknown
        self.rng.shuffle(invitees)
        f = frame(INVITATION, member=c.me(), channel=channel,
                  members=[{"id": id, "name": "", "info": ""} for id in invitees])
        if not c.p_joined:
            return await self.valid(f"invite to {channel} (error 3)", f,
                                    [[Answer(ERROR_MEMBER_CHANNEL, channel, [3], c.session_id)]])
        for id in known:
            self.soak.invitations[(c.session_id, id, channel)] = c.member
        # One error 3 answers the invitation, about the first invitee refused. Whether a
        # known invitee is a member right now depends on the others: the error is about the
        # first unknown one or about a known one before it.
        refused = [Answer(ERROR_MEMBER_CHANNEL, channel, [3], id) for id in invitees]
        first_unknown = next((i for i, id in enumerate(invitees) if id in unknown), None)
        if first_unknown is None:
            return await self.valid(f"invite {len(invitees)} to {channel}", f, [], optional=refused)
        await self.valid(f"invite {len(invitees)} to {channel}", f,
                         [[AnyOf(*refused[:first_unknown + 1])]])

    async def impersonate(self):
        """A request in another member's name: error 3, nothing changes for anyone."""
        c = self.conn
        victim = self.soak.invitee_ids(self, 1)
        if not victim:
            return await self.get_members()
        self.soak.figures.faults["request in another member's name (error 3)"] += 1
        other = {"id": victim[0], "name": "", "info": ""}
        channel = self.rng.choice(CHANNELS)
        method, error_method = self.rng.choice(
            [(MEMBER_REMOVE, ERROR_MEMBER_CHANNEL), (CHANNEL_MEMBER_NEW, ERROR_MEMBER_CHANNEL),
             (CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL), (PUBLISH, ERROR_PUBLISH)])
        f = frame(method, member=other, channel=channel)
        if method == MEMBER_REMOVE:
            del f["channel"]
            channel = ""
        if method == PUBLISH:
            f["message"] = {"text": "not mine"}
        await self.valid(f"{method.removeprefix('sgc@presence@')} as {victim[0][:8]} (error 3)", f,
                         [[Answer(error_method, channel, [3], c.session_id)]])

    async def valid(self, label, f, groups, optional=(), on_answer=None):
        """A well-formed request: the server's count of malformed ones starts again."""
        self.conn.p_invalid = 0
        return await self.conn.request(label, f, groups, optional, on_answer)

    def pick_channel(self):
        """A channel of this connection most of the time, any channel otherwise."""
        mine = sorted(self.conn.p_channels)
        if mine and self.rng.random() < 0.8:
            return self.rng.choice(mine)
        return self.rng.choice(CHANNELS)

    # --- garbage and faults ----------------------------------------------------------
    def garbage(self):
        """(kind, id, data, answer): a malformed request, its id when the server can read
        one, and the error it must get."""
        c = self.conn
        kinds = ["not JSON", "not an object", "jsonrpc not 2.0", "unknown method",
                 "server-only method", "wrong type"]
        if c.p_joined:
            kinds.append("channel name over the limit")
        kind = self.rng.choice(kinds)
        id = c.next_id()
        if kind == "not JSON":
            return kind, None, self.rng.choice(['{"jsonrpc":"2.0","method":', "hello", "{]"]), \
                Answer(ERROR_MEMBER_CHANNEL, "", [PARSE_ERROR], c.session_id)
        if kind == "not an object":
            return kind, None, self.rng.choice(["[1,2,3]", "42", '"text"', "null"]), \
                Answer(ERROR_MEMBER_CHANNEL, "", [INVALID_REQUEST], c.session_id)
        if kind == "jsonrpc not 2.0":
            return kind, id, compact({"jsonrpc": "1.0", "method": GET_MEMBERS, "id": id}), \
                Answer(ERROR_MEMBER_CHANNEL, None, [INVALID_REQUEST], c.session_id)
        if kind in ("unknown method", "server-only method"):
            method = "sgc@presence@no@such" if kind == "unknown method" else SEND_MEMBERS
            return kind, id, compact({"jsonrpc": "2.0", "method": method, "id": id}), \
                Answer(ERROR_MEMBER_CHANNEL, None, [METHOD_NOT_FOUND], c.session_id)
        if kind == "wrong type":
            method, bad, error_method = self.rng.choice([
                (CHANNEL_MEMBER_NEW, {"member": "Ann", "channel": {"name": "room-1"}},
                 ERROR_MEMBER_CHANNEL),
                (PUBLISH, {"channel": {"name": "room-1"}, "message": {"text": 7}}, ERROR_PUBLISH),
                (INVITATION, {"channel": {"name": "room-1"}, "members": {}}, ERROR_MEMBER_CHANNEL),
                (GET_MEMBERS, {"channel": {"name": 5}}, ERROR_MEMBER_CHANNEL)])
            return kind, id, compact({"jsonrpc": "2.0", "method": method, **bad, "id": id}), \
                Answer(error_method, None, [INVALID_PARAMS], c.session_id)
        channel = "r" * (MAX_CHANNEL + 1)
        data = compact(frame(CHANNEL_MEMBER_NEW, member=c.me(), channel=channel, id=id))
        return kind, id, data, Answer(ERROR_MEMBER_CHANNEL, channel, [INVALID_PARAMS], c.session_id)

    async def send_garbage(self):
        """One malformed request; over the limit in a row, the server answers it, then
        closes with 1008."""
        c = self.conn
        kind, id, data, answer = self.garbage()
        self.soak.figures.faults[kind] += 1
        c.p_invalid += 1
        if c.p_invalid <= MAX_INVALID:
            return await c.send(Request(kind, id, [[answer]]), data)
        self.soak.figures.faults["too many malformed in a row (1008)"] += 1
        r = Request(kind + " (the one too many)", id, [[answer]])
        c.pending.append(r)
        await self.fault(1008, Opcode.TEXT, data.encode("utf-8"), r.label)

    async def flood(self):
        while self.conn is not None:
            await self.send_garbage()

    async def fatal(self):
        """A frame the server answers by closing: too big, binary or bad UTF-8."""
        kind = self.rng.choice(["frame over the size limit (1009)", "binary frame (1003)",
                                "text frame of bad UTF-8 (1007)"])
        self.soak.figures.faults[kind] += 1
        if kind.endswith("(1009)"):
            f = frame(PUBLISH, member=self.conn.me(), channel="", text="")
            over = MAX_MESSAGE + self.rng.choice([1, 100, MAX_MESSAGE]) - len(compact(f))
            f["message"]["text"] = "x" * over
            await self.fault(1009, Opcode.TEXT, compact(f).encode("utf-8"), kind)
        elif kind.endswith("(1003)"):
            await self.fault(1003, Opcode.BINARY, b"\x00\x01binary", kind)
        else:
            await self.fault(1007, Opcode.TEXT, b'{"x":"\xc0\xaf"}', kind)

    async def fault(self, code, opcode, payload, label):
        """Sends a frame the server must close the connection for (with `code`) and, right
        behind it, a request that must never be answered; then waits for the close."""
        c = self.conn
        c.note(label)
        c.expected_close = code
        c.probe_id = f"{c.tag}.probe"
        probe = compact(frame(GET_MEMBERS, member=c.me(), channel="", id=c.probe_id))
        # Both frames are handed to the socket at once, before anything can come back: the
        # legacy websockets client, when it writes just as the server's close frame and end
        # of stream arrive, drops that close frame unread and reports 1006. That would be
        # the client's doing, not the server's.
        if c.ws.open:
            c.ws.write_frame_sync(True, opcode, payload)
            c.ws.write_frame_sync(True, Opcode.TEXT, probe.encode("utf-8"))
        await c.wait_closed()
        self.conn = None

    # --- the random walk -------------------------------------------------------------
    def choose(self):
        c = self.conn
        if c is None:
            return self.connect
        weighted = ([(self.subscribe, 16), (self.unsubscribe, 10), (self.publish, 16),
                     (self.publish_to_everyone, 3), (self.publish_big, 2),
                     (self.get_members, 8), (self.invite, 6), (self.impersonate, 3),
                     (self.leave, 4), (self.join, 1)]
                    if c.p_joined else
                    [(self.join, 40), (self.get_members, 2), (self.subscribe, 2), (self.publish, 2),
                     (self.leave, 2), (self.invite, 1), (self.impersonate, 1)])
        weighted += [(self.send_garbage, 6), (self.fatal, 1), (self.flood, 1),
                     (self.drop, 2), (self.close, 2)]
        ops, weights = zip(*weighted)
        return self.rng.choices(ops, weights)[0]

    async def publish_to_everyone(self):
        await self.publish(channel="")

    async def publish_big(self):
        mine = sorted(self.conn.p_channels)
        channel = self.rng.choice(mine) if mine else ""
        await self.publish(channel=channel, size=MAX_MESSAGE)

    async def play(self, until):
        while time.monotonic() < until and not self.soak.failures:
            try:
                await self.choose()()
            except ConnectionClosed:
                # Our connection went away under the operation; the reader has judged why.
                if self.conn is not None:
                    await self.conn.wait_closed()
                    self.conn = None
            if self.conn is not None and not self.conn.open:
                self.conn = None


class Soak:
    def __init__(self, server, clients, seconds, seed):
        self.server = server
        self.url = server.url
        self.seconds = seconds
        self.seed = seed
        master = random.Random(seed)
        self.clients = [Client(self, f"c{i}", random.Random(master.getrandbits(64)))
                        for i in range(clients)]
        self.observer = Client(self, "observer", random.Random(master.getrandbits(64)))
        self.figures = Figures()
        self.failures = []
        self.sessions = {}        # session id -> Conn, every connection so far
        self.published = {}       # text -> (sender member, channel)
        self.invitations = {}     # (inviter id, invitee id, channel) -> inviter member
        self.stage = "starting"

    # --- failures --------------------------------------------------------------------
    def fail(self, what, client=None):
        if client:
            what += f"\n      last operations of {client.name}: {list(client.history)}"
        self.failures.append(what)

    def describe(self, session_id):
        c = self.sessions.get(session_id)
        if c is None:
            return f"{session_id[:8]} (no client of this test)"
        state = ("open" if c.open else
                 "closed by the test" if c.by_us else f"closed by the server ({c.closed.result()})")
        return (f"{session_id[:8]} = {c.tag} [{state}, joined={c.joined}, "
                f"channels={sorted(c.channels)}; its last operations: {list(c.history)}]")

    def check(self, what):
        if self.failures:
            shown = "\n  - ".join(self.failures[:30])
            more = f"\n  ... and {len(self.failures) - 30} more" if len(self.failures) > 30 else ""
            raise AssertionError(f"{what}: {len(self.failures)} problem(s), seed {self.seed}:\n  - "
                                 f"{shown}{more}")

    # --- the model ---------------------------------------------------------------------
    def live(self):
        return [c.conn for c in self.clients + [self.observer]
                if c.conn is not None and c.conn.open]

    def model_members(self):
        return {c.session_id: c.member for c in self.live() if c.joined}

    def model_channel(self, channel):
        return {c.session_id for c in self.live() if c.joined and channel in c.channels}

    def invitee_ids(self, me, k):
        """Up to k ids of other clients' connections, current or past."""
        ids = set()
        for other in me.rng.sample(self.clients, min(len(self.clients), 2 * k)):
            if other is me or other.conn is None:
                continue
            ids.add(other.conn.session_id)
        if me.rng.random() < 0.2 and self.sessions:
            ids.add(me.rng.choice(list(self.sessions)))
        mine = me.conn.session_id if me.conn else None
        ids.discard(mine)
        ids.discard(None)
        return sorted(ids)[:k]

    # --- the run -----------------------------------------------------------------------
    async def run(self):
        end = time.monotonic() + self.seconds
        while True:
            self.figures.rounds += 1
            await self.play_round(min(time.monotonic() + ROUND_SECONDS, end))
            await self.check_round()
            if self.figures.rounds == 1:
                await self.close_everyone("after round 1")
            if time.monotonic() >= end:
                break
        await self.close_everyone("at the end")
        baseline = self.figures.memory["after round 1"][0]
        final = self.figures.memory["at the end"][0]
        if address_sanitized(self.server.proc.pid):
            print("resident memory not compared: AddressSanitizer's quarantine holds freed memory",
                  flush=True)
        elif final > baseline + MEMORY_GROWTH_BOUND:
            self.fail(f"server VmRSS grew from {baseline} to {final} bytes, more than "
                      f"{MEMORY_GROWTH_BOUND} over the baseline")
        self.check("memory")

    async def play_round(self, until):
        self.stage = f"round {self.figures.rounds}: operations"
        await self.ready_observer()
        self.check("observer")
        tasks = [asyncio.create_task(c.play(until)) for c in self.clients]
        _, stuck = await asyncio.wait(tasks, timeout=until - time.monotonic() + 3 * TIMEOUT)
        for t in stuck:
            t.cancel()
        if stuck:
            self.fail(f"{len(stuck)} clients did not finish their operation in time")
        for t in tasks:
            if t.done() and not t.cancelled() and t.exception():
                self.fail(f"test error: {t.exception()!r}")
        self.check(f"round {self.figures.rounds}")

    async def ready_observer(self):
        o = self.observer
        if o.conn is None:
            await o.connect()
            if o.conn is not None:
                await o.join()

    async def check_round(self):
        n = self.figures.rounds
        self.stage = f"round {n}: quiesce"
        await self.barriers()
        self.check(f"round {n}, answers")
        self.stage = f"round {n}: invariants"
        members = await self.converged_members()
        self.check(f"round {n}, invariant 1 (the server's member list)")
        channels = {x: await self.channel_members(x) for x in CHANNELS}
        self.check(f"round {n}, invariant 2 (channel member lists)")
        await self.barriers(members, channels)
        self.check(f"round {n}, invariant 3 (each client's view)")
        await self.wait_health(len(self.live()))
        self.check(f"round {n}, invariant 4 (health)")
        ops, faults = sum(self.figures.ops.values()), sum(self.figures.faults.values())
        print(f"round {n} checked: {len(self.live())} connections, {len(members)} members, "
              f"{ops} operations and {faults} faults so far", flush=True)

    async def barriers(self, members=None, channels=None):
        """A get@members round trip on every live connection: every answer of earlier
        requests is in once it returns. With the server's lists given, each client's
        view is compared with them, and with its own list at the same moment."""
        await asyncio.gather(*(self.barrier(c, members, channels) for c in self.live()))

    async def barrier(self, c, members, channels):
        seen = {}

        def keep(f):
            seen["answer"], seen["view"] = members_of(f), dict(c.view)

        answer = (Answer(SEND_MEMBERS, "", member_id=c.session_id) if c.p_joined else
                  Answer(ERROR_MEMBER_CHANNEL, "", [3], c.session_id))
        c.p_invalid = 0
        await c.request("barrier get@members ''", frame(GET_MEMBERS, member=c.me(), channel=""),
                        [[answer]], on_answer=keep)
        if members is None or not c.open:
            return
        if (c.joined, c.channels) != (c.p_joined, c.p_channels):
            c.fail(f"confirmed state (joined={c.joined}, {sorted(c.channels)}) differs from the "
                   f"predicted one (joined={c.p_joined}, {sorted(c.p_channels)})")
        if not c.joined:
            if c.view or c.channel_view:
                c.fail(f"not a member, yet its view holds {len(c.view)} members "
                       f"and channels {list(c.channel_view)}")
            return
        self.compare(c, "its own get@members", seen.get("answer"), seen.get("view"))
        self.compare(c, "the server's member list", members, c.view)
        for x in sorted(c.channels):
            self.compare(c, f"the server's list of {x}", channels[x], c.channel_view.get(x))
        self.figures.checks["client view = server lists"] += 1

    def compare(self, c, what, server, view):
        server_ids, view_ids = set(server or ()), set(view or ())
        if server_ids == view_ids and (not isinstance(server, dict) or server == view):
            return
        missing = [self.describe(id) for id in sorted(server_ids - view_ids)]
        extra = [self.describe(id) for id in sorted(view_ids - server_ids)]
        changed = [(server[id], view[id]) for id in sorted(server_ids & view_ids)
                   if isinstance(server, dict) and server[id] != view[id]]
        c.fail(f"its view (from the events it received) differs from {what}:"
               + lines("missing from the view", missing) + lines("extra in the view", extra)
               + lines("different (server, view)", changed))

    async def ask_members(self, channel):
        """The observer's get@members: {id: member}, or None when the channel does not exist."""
        o = self.observer.conn
        got = {}

        def keep(f):
            got["members"] = members_of(f) if f["method"] == SEND_MEMBERS else None

        answer = Answer(SEND_MEMBERS, channel, member_id=o.session_id)
        if channel:
            answer = AnyOf(answer, Answer(ERROR_MEMBER_CHANNEL, channel, [5]))
        await o.request(f"observer get@members {channel!r}",
                        frame(GET_MEMBERS, member=o.me(), channel=channel), [[answer]],
                        on_answer=keep)
        return got.get("members")

    async def converged_members(self):
        """Invariant 1. Departures the server has not seen yet (a dropped socket whose end it
        has not read) are waited for, bounded; polling get@members is that wait."""
        deadline = time.monotonic() + TIMEOUT
        while not self.failures:
            listed = await self.ask_members("") or {}
            expected = self.model_members()
            if listed == expected:
                self.figures.checks["server member list = model"] += 1
                return listed
            if time.monotonic() > deadline:
                missing = [self.describe(i) for i in expected.keys() - listed.keys()]
                ghosts = [self.describe(i) for i in listed.keys() - expected.keys()]
                different = [(listed[i], expected[i]) for i in listed.keys() & expected.keys()
                             if listed[i] != expected[i]]
                self.fail(f"the server's member list still differs from the model after {TIMEOUT}s:"
                          + lines("missing (joined and connected, not listed)", missing)
                          + lines("extra (listed, but left or disconnected: ghosts)", ghosts)
                          + lines("different (listed, model)", different))
        return {}

    async def channel_members(self, channel):
        """Invariant 2: once the member list has converged, nothing is in flight any more."""
        listed = set(await self.ask_members(channel) or ())
        expected = self.model_channel(channel)
        if listed != expected:
            self.fail(f"channel {channel}: the server's list differs from the model:"
                      + lines("missing", [self.describe(i) for i in expected - listed])
                      + lines("extra", [self.describe(i) for i in listed - expected]))
        else:
            self.figures.checks["channel member list = model"] += 1
        return listed

    async def health(self):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", self.server.port), TIMEOUT)
        try:
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = await asyncio.wait_for(reader.read(), TIMEOUT)
        finally:
            writer.close()
        head, _, body = data.partition(b"\r\n\r\n")
        return head.split(b"\r\n", 1)[0].decode(), json.loads(body)

    async def wait_health(self, connections):
        """Invariant 4: alive, healthy, counting exactly the live connections (a closed one
        is forgotten once the server has read its end: waited for, bounded)."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            if not self.server.alive():
                return self.fail("the server died: " + self.server.stderr_text()[-2000:])
            status, body = await self.health()
            if status.split()[1:2] == ["200"] and body.get("connections") == connections:
                self.figures.checks["/healthz 200, connections = live"] += 1
                return
            if time.monotonic() > deadline:
                return self.fail(f"/healthz: {status} {body}, "
                                 f"expected 200 with {connections} connections")

    async def close_everyone(self, label):
        """Every client closes; then nobody may be listed, no connection counted."""
        self.stage = f"closing everyone {label}"
        await asyncio.gather(*(c.shut() for c in self.clients + [self.observer]
                               if c.conn is not None and c.conn.open))
        self.check(f"closing everyone {label}")
        # The observer comes back alone: the model is then the observer and nobody else.
        await self.ready_observer()
        self.check(f"observer back {label}")
        await self.converged_members()
        self.check(f"nobody listed {label}")
        await self.observer.shut()
        await self.wait_health(0)
        self.check(f"everyone closed {label}")
        self.figures.memory[label] = memory_of(self.server.proc.pid)


def lines(title, items):
    """`items` under `title`, one a line, for a failure report; nothing when there are none."""
    if not items:
        return ""
    return f"\n      {title}:" + "".join(f"\n        {item}" for item in items)


def memory_of(pid):
    """(VmRSS, VmHWM) of a process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values["VmRSS"], values["VmHWM"]


def address_sanitized(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def stop_server(server):
    """SIGTERM, so that the server exits normally (and a sanitizer reports); its exit code."""
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None


class ChaosSoak(unittest.TestCase):

    def test_chaos_soak(self):
        print(f"\nchaos soak: seed {SEED} (CHAOS_SEED={SEED} replays it), {CLIENTS} clients, "
              f"{SECONDS:g} s", flush=True)
        server = ServerProcess(*SERVER_ARGS)
        self.addCleanup(server.stop)
        soak = Soak(server, CLIENTS, SECONDS, SEED)
        started = time.monotonic()
        try:
            asyncio.run(self.bounded(soak))
        finally:
            rc = stop_server(server)
            soak.figures.report(CLIENTS, SECONDS, SEED, time.monotonic() - started)
        stderr = server.stderr_text()
        for marker in SANITIZER_MARKERS:
            self.assertNotIn(marker, stderr,
                             "sanitizer report from the server:\n" + stderr[-20000:])
        self.assertEqual(rc, 0, f"server exit code after SIGTERM (None: still running after "
                                f"{STOP_TIMEOUT}s):\n{stderr[-5000:]}")

    async def bounded(self, soak):
        try:
            await asyncio.wait_for(soak.run(), RUN_BOUND)
        except asyncio.TimeoutError:
            soak.fail(f"the run did not end within {RUN_BOUND:g}s, during: {soak.stage}")
            soak.check("time")
        finally:
            for client in soak.clients + [soak.observer]:
                if client.conn is not None and client.conn.open:
                    client.conn.by_us = True
                    client.conn.ws.transport.abort()


if __name__ == "__main__":
    unittest.main()
