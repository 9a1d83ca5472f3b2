# SPDX-License-Identifier: Apache-2.0
"""Shared helpers for multi-node tests: a real redis-server, presence-server nodes sharing
it, /healthz and /readyz, and frame waits with the one timing bound a feature promises.

Used by tests/cluster (cross-node behaviours) and by tests/interop in the pair topology
(PRESENCE_TOPOLOGY=pair, see presence_harness.py). The frames, clients and rules are those
of tests/interop/presence_harness.py, imported from there:
- every await is bounded;
- no sleeps for synchronisation: waits are for a frame (or, for /readyz, a status) with
  a bound; the only bounds that are not TIMEOUT are those a feature promises (a dead
  node's members are announced gone within the node timeout and a margin; a node is back
  within its reconnection backoff), and the tests assert that the frames arrive within a
  generous bound, never how fast;
- loopback only, free ports, every process killed afterwards.
"""

import asyncio
import http.client
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
INTEROP = os.path.normpath(os.path.join(HERE, "..", "interop"))
if INTEROP not in sys.path:
    sys.path.insert(0, INTEROP)

import presence_harness as ph  # noqa: E402  (after the path above)
from presence_harness import (  # noqa: E402
    CHANNEL_MEMBER_REMOVE, MEMBER_REMOVE, START_TIMEOUT, TIMEOUT, ServerProcess, kill_and_reap)

# A bound on waits for what a node promises to do on its own, later: announce a dead
# node's members gone (node timeout 1 or 2 s in these tests, about 1.2 x that promised),
# reconnect to Redis (backoff at most 2 s) and rebuild the shared view.
EVENTUAL = 15.0


def redis_path():
    """REDIS_SERVER, or redis-server on PATH, or /usr/bin/redis-server."""
    path = os.environ.get("REDIS_SERVER")
    if path:
        return path
    for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin"]:
        candidate = os.path.join(d, "redis-server")
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return "redis-server"


def free_port():
    """A free loopback port below the kernel's ephemeral range, for a server told its port
    in advance (redis-server, restarted on the same port; an admin address). Below that
    range no connection is handed it as its local port: while Redis is down, a node
    retrying to connect to it could otherwise get that very port (a TCP self-connect) and
    keep Redis from binding it again."""
    low = 32768
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    for _ in range(200):
        port = random.randint(max(1024, low - 12000), low - 1)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port")


def _resp_command(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _resp_reply(f):
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise RuntimeError(f"redis: truncated reply {line!r}")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError("redis: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2].decode("utf-8", "replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_resp_reply(f) for _ in range(n)]
    raise RuntimeError(f"redis: unexpected reply {line!r}")


class RedisProcess:
    """One redis-server on 127.0.0.1, no persistence, on a free port that it keeps across
    restart(). Always close() it (tests: addCleanup(redis.close))."""

    def __init__(self, port=None):
        self.proc = None
        self.log = tempfile.TemporaryFile()
        self.port = port
        try:
            for _ in range(1 if port else 5):
                if not port:
                    self.port = free_port()
                if self._launch():
                    return
            raise RuntimeError(f"redis-server did not start: {self.log_text()}")
        except BaseException:
            self.close()
            raise

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def _launch(self):
        self.proc = subprocess.Popen(
            [redis_path(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False          # e.g. the port was taken meanwhile
            if self.ping():
                return True
            time.sleep(0.02)          # polling for PING to answer, bounded above
        self.kill()
        return False

    def ping(self):
        try:
            return self.command("PING") == "PONG"
        except (OSError, RuntimeError):
            return False

    def command(self, *args):
        """One command on a fresh connection; the decoded reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as s:
            s.sendall(_resp_command(*args))
            with s.makefile("rb") as f:
                return _resp_reply(f)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL, reaped."""
        if self.proc is not None:
            kill_and_reap(self.proc)

    def stop(self):
        """SIGTERM, reaped (SIGKILL after 10 s)."""
        if self.running():
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self):
        """Kills it if it runs, starts it again on the same port (empty: no persistence)
        and waits until it answers PING."""
        self.kill()
        if not self._launch():
            raise RuntimeError(f"redis-server did not restart on port {self.port}: "
                               f"{self.log_text()[-2000:]}")

    def log_text(self):
        try:
            self.log.seek(0)
            return self.log.read().decode("utf-8", "replace")
        except (ValueError, OSError):
            return ""

    def close(self):
        self.kill()
        try:
            self.log.close()
        except OSError:
            pass


# --- /healthz and /readyz --------------------------------------------------------------

def probe(server, path):
    """(HTTP status, decoded JSON body) of GET `path` (/healthz or /readyz) on `server`,
    over https for a node with TLS (whose test certificate is not checked here)."""
    if "--tls-cert" in server.args:
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=TIMEOUT,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("GET", path)
        res = conn.getresponse()
        body = res.read()
        return res.status, json.loads(body)
    finally:
        conn.close()


def healthz(server):
    """/healthz: 200 for as long as the process serves."""
    return probe(server, "/healthz")


def readyz(server):
    """/readyz: 200 when connected to Redis with the shared view built, else 503."""
    return probe(server, "/readyz")


def wait_ready(server, status, timeout=START_TIMEOUT):
    """Polls /readyz until it answers `status` (bounded); returns the body."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = readyz(server)
        if last[0] == status:
            return last[1]
        if time.monotonic() >= deadline or not server.alive():
            raise AssertionError(f"{server.label}: /readyz answered {last} instead of "
                                 f"{status} for {timeout}s; stderr:\n{server.stderr_text()}")
        time.sleep(0.05)              # polling a status, bounded above


async def await_ready(server, status, timeout=EVENTUAL):
    """wait_ready from a coroutine (the event loop keeps running)."""
    loop = asyncio.get_running_loop()
    return await asyncio.wait_for(
        loop.run_in_executor(None, wait_ready, server, status, timeout), timeout + TIMEOUT)


# --- nodes -----------------------------------------------------------------------------

def start_deployment(test, nodes, args=(), redis=None, prefix=None, node_timeout=None,
                     deployment="main"):
    """`nodes` presence-server nodes n1, n2, ... sharing `redis` (a new RedisProcess when
    None, kept as test.redis) under one key prefix (a fresh one when None). Every process
    is killed at cleanup. Returns once each node answers /readyz with 200: connected to
    Redis, its shared view built."""
    if redis is None:
        redis = RedisProcess()
        test.addCleanup(redis.close)
        test.redis = redis
    if prefix is None:
        prefix = f"presence-test-{uuid.uuid4().hex[:8]}:"
    servers = []
    for i in range(nodes):
        node_args = [*args, "--engine", redis.url, "--node-id", f"n{i + 1}",
                     "--redis-prefix", prefix]
        if node_timeout is not None:
            node_args += ["--node-timeout", str(node_timeout)]
        server = ServerProcess(*node_args)
        test.addCleanup(server.stop)
        server.node_id = f"n{i + 1}"
        server.deployment = deployment
        server.prefix = prefix
        servers.append(server)
    for server in servers:
        wait_ready(server, 200)
    return servers


class ClusterTestCase(ph.PresenceTestCase):
    """NODES nodes sharing one fresh redis-server (self.redis), all with NODE_ARGS (the
    presence options must be the same on every node) and NODE_TIMEOUT (seconds; None: the
    server's default). connect(..., node=i) picks the node; without it clients alternate."""

    NODES = 2
    NODE_ARGS = ()
    NODE_TIMEOUT = None

    def start_servers(self):
        return start_deployment(self, self.NODES, self.NODE_ARGS,
                                node_timeout=self.NODE_TIMEOUT)

    # --- waits ------------------------------------------------------------------------
    async def expect_frames(self, client, expected, timeout=EVENTUAL):
        """The next len(expected) frames of `client` are exactly `expected`, in any order
        (each with the wire's key order), all within `timeout`. Returns them in the order
        they came."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        remaining = [json.dumps(f, sort_keys=True) for f in expected]
        by_key = {json.dumps(f, sort_keys=True): f for f in expected}
        got = []
        while remaining:
            left = deadline - loop.time()
            try:
                if left <= 0:
                    raise AssertionError("bound reached")
                f = await client.recv(timeout=left)
            except AssertionError as e:
                self.fail(f"{client.name}: within {timeout}s, got {got}, still missing "
                          f"{[json.loads(k) for k in remaining]} ({e})")
            key = json.dumps(f, sort_keys=True)
            self.assertIn(key, remaining,
                          f"{client.name}: unexpected frame {f}; got before it {got}; still "
                          f"expected {[json.loads(k) for k in remaining]}")
            self.assertEqual(json.dumps(f), json.dumps(by_key[key]),
                             f"{client.name}: keys out of the wire's order")
            remaining.remove(key)
            got.append(f)
        return got

    def assert_before(self, got, first, then, who=""):
        """In the frames `got`, `first` came before `then`."""
        self.assertLess(got.index(first), got.index(then),
                        f"{who}: {first} must come before {then}; got {got}")

    async def members_of(self, client, channel=""):
        """get@members on the client's node; asserts the answer's form and that no member
        is listed twice; returns the members sorted by id."""
        await client.send(client.request(ph.GET_MEMBERS, channel=channel))
        got = await client.recv()
        self.assertEqual(got.get("method"), ph.SEND_MEMBERS, f"{client.name}: {got}")
        self.assertEqual(got["member"], client.member)
        self.assertEqual(got["channel"], {"name": channel})
        members = got["members"]
        for m in members:
            self.assertEqual(list(m.keys()), ["id", "name", "info"], got)
        ids = [m["id"] for m in members]
        self.assertEqual(len(ids), len(set(ids)),
                         f"{client.name} ({client.server.label}): a member listed twice: {got}")
        return sorted(members, key=lambda m: m["id"])

    async def assert_members(self, client, channel, expected_clients):
        """get@members lists exactly these members, once each, with name and info."""
        got = await self.members_of(client, channel)
        self.assertEqual(got, sorted((c.member for c in expected_clients), key=lambda m: m["id"]),
                         f"{client.name} ({client.server.label}): get@members {channel!r}")


def departures(member, channels):
    """What a member's departure looks like to someone in `channels` (of its channels)."""
    return ([ph.frame(CHANNEL_MEMBER_REMOVE, member=member, channel=ch) for ch in channels]
            + [ph.frame(MEMBER_REMOVE, member=member)])

