# SPDX-License-Identifier: Apache-2.0
"""What a token grants, end to end (docs/security.md): a grant ends with its token, even for
a peer that answers the close with a reset; a resume takes the grant of the new
connection's credentials; a member whose token lists channels hears only of those
channels; a forbidden channel answers the same whether it exists or not; and the user a
token gives cannot be declared otherwise. Tokens are made with PyJWT, the wire spoken by
Python's `websockets` and, for the reset, by a bare socket written here."""

import asyncio
import base64
import json
import os
import socket
import struct
import time
import unittest

import jwt
import websockets

from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH, GET_MEMBERS,
    HELLO, INVALID_PARAMS, MEMBER_NEW, MEMBER_REMOVE, PROTOCOL, PUBLISH, TIMEOUT, Client,
    PresenceTestCase, frame, sgc_error)

SECRET = "correct horse battery staple"
RESUME = "ext@presence@resume"
RESUME_TOKEN = "ext@presence@resume@token"
UPDATE = "ext@presence@member@update"
UNCOUNTED = (RESUME, RESUME_TOKEN)


def hs256(**claims):
    claims.setdefault("exp", int(time.time()) + 600)
    return jwt.encode(claims, SECRET, algorithm="HS256")


def ending_soon(**claims):
    """A token accepted within the server's 30 s clock leeway: it ends 2 to 3 seconds from now."""
    return hs256(exp=int(time.time()) - 27, **claims)


def counted(client):
    """How many frames `client` read after its resume token, as the resume extension counts them."""
    frames = [json.loads(f)["method"] for f in client.raw]
    start = max(i for i, method in enumerate(frames) if method == RESUME_TOKEN) + 1
    return sum(1 for method in frames[start:] if method not in UNCOUNTED)


class ResettingPeer:
    """A WebSocket client on a bare socket that answers the server's close frame with a TCP
    reset instead of a close frame, as a peer that vanishes at that moment does."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.close_code = None
        self.frames = []  # every text frame received, decoded

    @classmethod
    async def connect(cls, port, token):
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET /?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      f"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: {PROTOCOL}\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        if not head.startswith(b"HTTP/1.1 101"):
            raise AssertionError(f"upgrade refused: {head!r}")
        return cls(reader, writer)

    async def send(self, obj):
        payload = json.dumps(obj).encode()
        size = len(payload)
        header = bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0x80 | 126]) + struct.pack("!H", size)
        mask = os.urandom(4)
        self.writer.write(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        await asyncio.wait_for(self.writer.drain(), TIMEOUT)

    async def recv(self):
        """The next text frame, decoded; None once the server closed, which was answered with
        a reset."""
        while True:
            head = await asyncio.wait_for(self.reader.readexactly(2), TIMEOUT)
            size = head[1] & 0x7F
            if size == 126:
                size = struct.unpack("!H", await self.reader.readexactly(2))[0]
            elif size == 127:
                size = struct.unpack("!Q", await self.reader.readexactly(8))[0]
            payload = await asyncio.wait_for(self.reader.readexactly(size), TIMEOUT)
            opcode = head[0] & 0x0F
            if opcode == 0x8:
                self.close_code = struct.unpack("!H", payload[:2])[0]
                self.reset()
                return None
            if opcode == 0x1:
                self.frames.append(json.loads(payload))
                return self.frames[-1]

    def reset(self):
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    def counted(self):
        """Frames received after the resume token, as the resume extension counts them."""
        start = max(i for i, f in enumerate(self.frames) if f["method"] == RESUME_TOKEN) + 1
        return sum(1 for f in self.frames[start:] if f["method"] not in UNCOUNTED)


class GrantCase(PresenceTestCase):

    SERVER_ARGS = ("--auth-hs256-secret", SECRET, "--auth-allow-anonymous",
                   "--auth-public-channels", "lobby", "--resume-grace", "30")

    async def connect_with(self, name, token=None):
        url = self.server.url + (f"?token={token}" if token else "")
        ws = await asyncio.wait_for(
            websockets.connect(url, subprotocols=[PROTOCOL], open_timeout=TIMEOUT,
                               close_timeout=TIMEOUT, ping_interval=None), TIMEOUT)
        c = Client(self, ws, name, self.server)
        self.clients.append(c)
        session = await c.recv()
        self.assertEqual(session["method"], "sgc@presence@session", session)
        c.session_id = session["message"]["text"]  # the token's subject, when it has one
        return c

    async def member_with(self, name, token=None, hello=None):
        """A connection that joined as `name`; with `hello`, it said hello with it first and,
        when it asked to resume, returns its resume token too."""
        c = await self.connect_with(name, token)
        resume_token = None
        if hello:
            await c.send(frame(HELLO, text=hello))
            self.assertEqual((await c.recv())["method"], HELLO)
            if "resume" in hello:
                resume_token = (await c.recv())["message"]["text"]
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": name}))
        c.member = (await c.recv())["member"]
        self.assertEqual(c.member["id"], c.session_id)
        return (c, resume_token) if hello and "resume" in hello else c


class TheEndOfAGrant(GrantCase):

    async def watcher(self):
        w = await self.member_with("watcher", hs256(sub="watcher", channels=["*"]))
        await w.subscribe("room")
        return w

    async def resettable_member(self, token):
        """A member on a bare socket, in "room", that asked to resume."""
        p = await ResettingPeer.connect(self.server.port, token)
        session = (await p.recv())["message"]["text"]
        await p.send(frame(HELLO, text="resume"))
        self.assertEqual((await p.recv())["method"], HELLO)
        resume_token = (await p.recv())["message"]["text"]
        await p.send(frame(MEMBER_NEW, member={"id": session, "name": "alice"}))
        member = (await p.recv())["member"]
        await p.send(frame(CHANNEL_MEMBER_NEW, member=member, channel="room"))
        self.assertEqual((await p.recv())["method"], CHANNEL_MEMBER_NEW)
        return p, member, resume_token

    async def test_a_member_whose_token_ends_is_gone_even_if_it_answers_with_a_reset(self):
        w = await self.watcher()
        p, member, resume_token = await self.resettable_member(ending_soon(name="alice", channels=["*"]))
        # The token has no subject: nothing but the resume token tells whose member this is.
        await w.expect(frame(MEMBER_NEW, member=member))
        await w.expect(frame(CHANNEL_MEMBER_NEW, member=member, channel="room"))
        while await p.recv() is not None:
            pass
        self.assertEqual(p.close_code, 1008)
        self.assertEqual([f["method"] for f in p.frames[-2:]], [CHANNEL_MEMBER_REMOVE, MEMBER_REMOVE],
                         "its departure comes before the close")
        await w.expect(frame(CHANNEL_MEMBER_REMOVE, member=member, channel="room"))
        await w.expect(frame(MEMBER_REMOVE, member=member))

        anonymous = await self.connect_with("anonymous")
        await anonymous.send(frame(RESUME, text=f"{resume_token}:{p.counted()}"))
        await anonymous.expect(frame(RESUME, text="expired"))
        await w.barrier()

    # The narrower token of the same subject: the member leaves the channels it no longer
    # allows, may no longer publish to everyone, and ends with that token.
    async def test_a_resume_takes_the_grant_of_the_new_token(self):
        w = await self.watcher()
        a, resume_token = await self.member_with("alice", hs256(sub="alice", channels=["*"]), hello="resume")
        await w.expect(frame(MEMBER_NEW, member=a.member))
        await a.subscribe("room", others=[w])
        await a.subscribe("lobby")
        a.ws.transport.abort()  # lost, not closed: alice may resume
        await w.barrier()

        again = await self.connect_with("again", ending_soon(sub="alice", channels=["lobby"]))
        await again.send(frame(RESUME, text=f"{resume_token}:{counted(a)}"))
        await again.expect(frame(RESUME, member=a.member, text="resumed"))
        again.member = a.member
        await again.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await w.expect(frame(CHANNEL_MEMBER_REMOVE, member=a.member, channel="room"))
        await again.send(again.request(PUBLISH, channel="", text="to all"))
        await again.expect(frame(ERROR_PUBLISH, member=a.member, channel="", text="to all", error=sgc_error(20)))
        await w.expect(frame(MEMBER_REMOVE, member=a.member))
        await again.expect_closed(1008)

    async def test_another_user_cannot_resume(self):
        a, resume_token = await self.member_with("alice", hs256(user="alice", channels=["*"]), hello="resume")
        a.ws.transport.abort()
        for token in (hs256(user="bob", channels=["*"]), None):
            c = await self.connect_with("other", token)
            await c.send(frame(RESUME, text=f"{resume_token}:0"))
            await c.expect(frame(RESUME, text="expired"))


class RestrictedMembers(GrantCase):

    async def test_a_member_whose_token_lists_channels_hears_only_of_them(self):
        r = await self.member_with("restricted", hs256(sub="r", channels=["team:*"]), hello="updates")
        await r.subscribe("team:a")
        b = await self.member_with("bob", hs256(sub="bob", channels=["*"]), hello="updates")
        await b.send(frame(UPDATE, member={"info": "away"}))
        bob_updated = (await b.recv())["member"]
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="team:a"))
        await r.expect(frame(CHANNEL_MEMBER_NEW, member=bob_updated, channel="team:a"))
        await b.close()
        await r.expect(frame(CHANNEL_MEMBER_REMOVE, member=bob_updated, channel="team:a"))
        answer = await r.barrier()  # nothing else came: no member@new, update or member@remove
        self.assertEqual(answer["error"]["code"], 30)

    async def test_a_forbidden_channel_answers_the_same_whether_it_exists_or_not(self):
        b = await self.member_with("bob", hs256(sub="bob", channels=["*"]))
        await b.subscribe("staff")
        r = await self.member_with("restricted", hs256(sub="r", channels=["team:*"]))
        for method, code, more in ((CHANNEL_MEMBER_NEW, 10, {}), ("sgc@presence@channel@member@remove", 12, {}),
                                   (GET_MEMBERS, 30, {})):
            for channel in ("staff", "nowhere"):
                await r.send(r.request(method, channel=channel, **more))
                await r.expect(frame(ERROR_MEMBER_CHANNEL, member=r.member, channel=channel,
                                     error=sgc_error(code)), f"{method} {channel}")
        for channel in ("staff", "nowhere"):
            await r.send(r.request(PUBLISH, channel=channel, text="hi"))
            await r.expect(frame(ERROR_PUBLISH, member=r.member, channel=channel, text="hi",
                                 error=sgc_error(20)))


class DeclaredUsers(GrantCase):

    async def test_a_token_user_cannot_be_declared_otherwise(self):
        c = await self.connect_with("alice", hs256(user="alice", channels=["*"]))
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": "a", "user": "bob"}))
        error = await c.recv()
        self.assertEqual((error["method"], error["error"]["code"]), (ERROR_MEMBER_CHANNEL, INVALID_PARAMS))
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": "a", "user": "alice"}))
        await c.expect(frame(MEMBER_NEW, member={"id": c.session_id, "name": "a", "info": "", "user": "alice"}))

    async def users_from_tokens(self):
        """Whether this server makes every grant carry a user: the token's `user`, else its
        subject, and none for an anonymous connection."""
        c = await self.connect_with("probe", hs256(sub="probe-subject"))
        await c.send(frame(MEMBER_NEW, member={"id": c.session_id, "name": "p"}))
        fixed = (await c.recv())["member"].get("user") == "probe-subject"
        await c.close()
        self.clients.remove(c)
        return fixed

    async def test_without_a_user_claim_the_subject_is_the_user(self):
        if not await self.users_from_tokens():
            self.skipTest("needs grants that carry the token's subject as the user")
        c = await self.connect_with("bob", hs256(sub="bob"))
        await c.send(frame(MEMBER_NEW, member={"id": "bob", "name": "b", "user": "mallory"}))
        self.assertEqual((await c.recv())["error"]["code"], INVALID_PARAMS)
        anonymous = await self.connect_with("anonymous")
        await anonymous.send(frame(MEMBER_NEW, member={"id": anonymous.session_id, "name": "x", "user": "bob"}))
        self.assertEqual((await anonymous.recv())["error"]["code"], INVALID_PARAMS)


if __name__ == "__main__":
    unittest.main()
