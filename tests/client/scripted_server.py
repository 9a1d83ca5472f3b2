#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A scripted sgcWebSockets Presence server for the C++ client tests.

Usage: scripted_server.py SCENARIO

Listens on 127.0.0.1, on any free port, and prints "PORT <n>". Serves the client by the
named scenario (one connection, or several when the scenario drops one), speaking raw
frames as the wire fact sheet describes them and checking every frame the client sends.
Then prints "PASS", or "FAIL: <why>", and exits with 0 or 1. Every wait is bounded; no
bound is a pass criterion.

Needs Debian's python3-websockets (10.4), so run it with /usr/bin/python3.
"""

import asyncio
import base64
import json
import sys
import uuid

import websockets

SUBPROTOCOL = "presence.esegece.com"
PATH = "/presence"
B64 = "sgc@b64:"
WAIT = 10  # seconds; bounds each wait for the client

# The people of every scenario; client_scripted_test.cpp uses the same values.
ALICE_NAME = "alice"
ALICE_INFO = "line one\nline two"
BOB = {"id": "bob-id", "name": "bob", "info": "bob's info"}
# The features of the client's hello, and those of our server's answer.
CLIENT_FEATURES = "invitation-response,heartbeat,resume"
SERVER_FEATURES = "invitation-response,heartbeat,resume"


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def method_name(method):
    return method if method.startswith("ext@") else "sgc@presence@" + method


def frame(method, member=None, channel=None, text=None, error=None, members=None, id=None):
    """One envelope, keys in the order the sgc writer uses."""
    m = {"jsonrpc": "2.0", "method": method_name(method)}
    if member is not None:
        m["member"] = member
    if channel is not None:
        m["channel"] = {"name": channel}
    if text is not None:
        m["message"] = {"text": text}
    if error is not None:
        m["error"] = {"code": error[0], "text": error[1]}
    if members is not None:
        m["members"] = members
    if id is not None:
        m["id"] = id
    return m


def ack(id):
    return frame("acknowledgment", id=id)


def b64(value):
    return B64 + base64.b64encode(value.encode()).decode()


def encoded(value, key=None):
    """`value` as an EncodeBase64 sender writes it: every non-empty string but jsonrpc."""
    if isinstance(value, dict):
        return {k: encoded(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [encoded(v) for v in value]
    if isinstance(value, str) and value and key != "jsonrpc":
        return b64(value)
    return value


def decoded(value):
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decoded(v) for v in value]
    if isinstance(value, str) and value.startswith(B64):
        return base64.b64decode(value[len(B64):], validate=True).decode()
    return value


def all_encoded(value, key=None):
    """Whether every non-empty string but jsonrpc carries the Base64 prefix."""
    if isinstance(value, dict):
        return all(all_encoded(v, k) for k, v in value.items())
    if isinstance(value, list):
        return all(all_encoded(v) for v in value)
    if isinstance(value, str) and value and key != "jsonrpc":
        return value.startswith(B64)
    return True


class Peer:
    """One connection of the client."""

    def __init__(self, ws, connections):
        self.ws = ws
        self.connections = connections
        self.session = str(uuid.uuid4())
        self.last_raw = None

    async def next_connection(self):
        """The client's next connection."""
        try:
            ws = await asyncio.wait_for(self.connections.get(), WAIT)
        except asyncio.TimeoutError:
            raise Failure("the client did not connect again")
        return Peer(ws, self.connections)

    def drop(self):
        """Ends the TCP connection at once, without a closing handshake: a pulled cable."""
        self.ws.transport.abort()

    def check_handshake(self):
        check(self.ws.subprotocol == SUBPROTOCOL, f"sub-protocol {self.ws.subprotocol!r}")
        check(self.ws.path == PATH, f"path {self.ws.path!r}")

    def alice(self):
        return {"id": self.session, "name": ALICE_NAME, "info": ALICE_INFO}

    async def send(self, message):
        await self.ws.send(json.dumps(message) if isinstance(message, dict) else message)

    async def next_raw(self):
        try:
            data = await asyncio.wait_for(self.ws.recv(), WAIT)
        except asyncio.TimeoutError:
            raise Failure("no frame from the client")
        except websockets.ConnectionClosed as e:
            raise Failure(f"connection closed ({e.code}) while a frame was expected")
        check(isinstance(data, str), "the client sent a binary frame")
        self.last_raw = data
        return data

    async def expect(self, method, **fields):
        """The next frame, Base64-decoded: it must be `method` and have `fields`
        (member, channel, text, members: as `frame` takes them)."""
        raw = await self.next_raw()
        try:
            m = decoded(json.loads(raw))
        except ValueError as e:
            raise Failure(f"client frame is not JSON or bad Base64 ({e}): {raw}")
        check(m.get("jsonrpc") == "2.0", f"jsonrpc is not 2.0: {raw}")
        check(m.get("method") == method_name(method), f"expected {method}, got {raw}")
        wanted = frame(method, **fields)
        for key in ("member", "channel", "message", "members"):
            if key in wanted:
                check(m.get(key) == wanted[key], f"{key} should be {wanted[key]!r} in {raw}")
        return m

    async def expect_ack(self, id):
        raw = await self.next_raw()
        check(json.loads(raw) == ack(id), f"expected the acknowledgment of {id}, got {raw}")

    async def join(self, answer_hello=True, features="invitation-response", token=None):
        """Session, then the client's hello and member@new, as the original sequence has it."""
        self.check_handshake()
        await self.send(frame("session", text=self.session))
        return await self.expect_join(answer_hello, features, token)

    async def expect_join(self, answer_hello=True, features="invitation-response", token=None):
        """The client's hello and member@new; the hello answered with `features`, and with
        a resume `token` after it when given."""
        hello = await self.expect("ext@presence@hello", text=CLIENT_FEATURES)
        check("id" not in hello, "the hello must not wait for an acknowledgment")
        if answer_hello:
            await self.send(frame("ext@presence@hello", text=features))
        if token:
            await self.send(frame("ext@presence@resume@token", text=token))
        join = await self.expect("member@new", member=self.alice())
        check("channel" not in join, "member@new carries no channel")
        return join

    async def close(self):
        await self.ws.close(4000, "scenario over")

    async def wait_client_close(self):
        try:
            await asyncio.wait_for(self.ws.wait_closed(), WAIT)
        except asyncio.TimeoutError:
            raise Failure("the client did not close the connection")
        check(self.ws.close_code == 1000, f"client closed with {self.ws.close_code}")


async def scenario_join(peer):
    await peer.join()
    await peer.send(frame("member@new", member=peer.alice()))
    await peer.wait_client_close()


async def scenario_events(peer):
    """Every event the server can cause, then every request the client can make."""
    await peer.join()
    alice = peer.alice()
    for message in (
        frame("member@new", member=BOB),
        frame("channel@member@new", member=BOB, channel="room"),
        frame("publish@msg", member=BOB, channel="room", text="hi room"),
        frame("publish@msg", member=BOB, channel="", text="hi all"),
        frame("send@members", member=alice, channel="room", members=[alice, BOB]),
        frame("error@member@channel", member=alice, channel="room", error=(12, "Subscription not exists.")),
        frame("error@publish@msg", member=alice, channel="room", text="lost",
              error=(20, "Publish Message request has been denied.")),
        frame("ext@presence@channel@invitation@response", member=BOB, channel="room", text="accepted"),
        frame("ext@presence@channel@invitation@response", member=BOB, channel="vip", text="accepted",
              error=(6, "Create New Channel request has been denied.")),
        frame("ext@presence@channel@invitation@response", member=BOB, channel="secret", text="refused"),
        frame("channel@member@remove", member=BOB, channel="room"),
        frame("member@remove", member=BOB),
    ):
        await peer.send(message)
    await peer.expect("channel@member@new", member=alice, channel="room")
    await peer.expect("channel@member@remove", member=alice, channel="room")
    await peer.expect("publish@msg", member=alice, channel="room", text="hello room")
    await peer.expect("publish@msg", member=alice, channel="", text="hello all")
    await peer.expect("get@members", member=alice, channel="")
    await peer.expect("get@members", member=alice, channel="room")
    invite = await peer.expect("channel@invitation", member=alice, channel="room")
    check([m.get("id") for m in invite.get("members", [])] == [BOB["id"]], f"invitees in {peer.last_raw}")
    raw = await peer.next_raw()
    check(raw == '{"jsonrpc":"2.0","method":"custom","n":1}', f"write_data sent {raw}")
    await peer.close()


async def scenario_base64(peer):
    """The client encodes all it sends and decodes all it gets, members[] and ids too."""
    check(peer.ws.subprotocol == SUBPROTOCOL, "sub-protocol")
    await peer.send(frame("session", text=peer.session))
    await peer.expect("ext@presence@hello", text=CLIENT_FEATURES)
    check(all_encoded(json.loads(peer.last_raw)), f"hello not encoded: {peer.last_raw}")
    await peer.send(encoded(frame("ext@presence@hello", text="invitation-response")))
    await peer.expect("member@new", member=peer.alice())
    check(all_encoded(json.loads(peer.last_raw)), f"member@new not encoded: {peer.last_raw}")
    alice = peer.alice()
    await peer.send(encoded(frame("member@new", member=BOB, id="b64-id-1")))
    await peer.expect_ack("b64-id-1")  # plain: an acknowledgment is never encoded
    await peer.send(encoded(frame("publish@msg", member=BOB, channel="room", text="héllo wörld ✓")))
    await peer.send(encoded(frame("send@members", member=alice, channel="room", members=[alice, BOB])))
    await peer.send(encoded(frame("error@member@channel", member=alice, channel="room",
                                  error=(5, "Channel not exists"))))
    await peer.expect("publish@msg", member=alice, channel="room", text="ünïcode ✓")
    check(all_encoded(json.loads(peer.last_raw)), f"publish not encoded: {peer.last_raw}")
    await peer.expect("publish@msg", member=alice, channel="", text="to all")
    sent = json.loads(peer.last_raw)
    check(sent["channel"] == {"name": ""}, f"an empty string stays empty: {peer.last_raw}")
    check(all_encoded(sent), f"publish not encoded: {peer.last_raw}")
    await peer.close()


async def scenario_ack_receive(peer):
    """The client acknowledges every frame with an id and acts on an id once."""
    await peer.join()
    bob_joins = frame("member@new", member=BOB, id="m-1")
    await peer.send(bob_joins)
    await peer.expect_ack("m-1")
    await peer.send(bob_joins)  # a re-send: acknowledged again, no second event
    await peer.expect_ack("m-1")
    await peer.send('{"jsonrpc":"2.0","method":"sgc@presence@publish@msg","member":"bob","id":"m-2"}')
    await peer.expect_ack("m-2")  # bad, but acknowledged: a re-send cannot help
    await peer.send(ack("never-sent"))  # an unknown acknowledgment is ignored
    await peer.send(frame("publish@msg", member=BOB, channel="room", text="after", id="m-3"))
    await peer.expect_ack("m-3")
    await peer.close()


async def scenario_ack_resend(peer):
    """With acknowledgment on (timeout 100 ms, 2 retries) the client re-sends the same
    bytes until acknowledged, then gives up; acknowledged messages are not re-sent."""
    await peer.send(frame("session", text=peer.session))
    hello = await peer.expect("ext@presence@hello")
    check("id" not in hello, "the hello must not wait for an acknowledgment")
    join = await peer.expect("member@new", member=peer.alice())
    first = peer.last_raw
    check(join.get("id"), "member@new carries no id")
    for attempt in (1, 2):
        check(await peer.next_raw() == first, f"re-send {attempt} differs: {peer.last_raw} vs {first}")
    # The client gives up now; the test publishes once it has reported that.
    published = await peer.expect("publish@msg", text="after give-up")
    check(published.get("id") and published["id"] != join["id"], "publish has no fresh id")
    acked = peer.last_raw
    await peer.send(ack(published["id"]))
    await peer.send(frame("publish@msg", member=BOB, channel="", text="acked"))
    # Copies of `acked` may cross our acknowledgment; none may follow "second".
    while (raw := await peer.next_raw()) == acked:
        pass
    second = json.loads(raw)
    check(second.get("message") == {"text": "second"}, f"expected the second publish, got {raw}")
    # Once "second" is due again, `acked` (older) would have been due first.
    check(await peer.next_raw() == raw, f"expected a re-send of the second publish, got {peer.last_raw}")
    await peer.send(ack(second["id"]))
    await peer.close()


async def scenario_invitation(peer):
    """Accepting subscribes; refusing is told to the inviter only after the hello answer."""
    await peer.join(answer_hello=False)
    await peer.send(frame("channel@invitation", member=BOB, channel="no-1"))
    await peer.send(frame("channel@invitation", member=BOB, channel="yes-1"))
    # The first frame after both: nothing was sent for the refusal.
    await peer.expect("channel@member@new", member=peer.alice(), channel="yes-1")
    await peer.send(frame("ext@presence@hello", text="history, invitation-response"))
    await peer.send(frame("channel@invitation", member=BOB, channel="no-2"))
    refusal = await peer.expect("ext@presence@channel@invitation@response", channel="no-2", text="refused")
    check(refusal.get("member", {}).get("id") == BOB["id"], f"refusal names {peer.last_raw}")
    await peer.send(frame("channel@invitation", member=BOB, channel="yes-2"))
    await peer.expect("channel@member@new", member=peer.alice(), channel="yes-2")
    await peer.close()


async def scenario_bad_frames(peer):
    """Nine bad frames, each to be reported once; the connection carries on."""
    await peer.join()
    for bad in (
        "not json",
        "[1, 2]",
        '{"jsonrpc":"1.0","method":"sgc@presence@member@new"}',
        '{"jsonrpc":"2.0","method":"sgc@presence@nope"}',
        '{"jsonrpc":"2.0","method":"sgc@presence@publish@msg","member":"bob"}',
        b"\x00\x01binary",
        '{"jsonrpc":"2.0","method":"sgc@presence@session"}',
        '{"jsonrpc":"2.0","method":"sgc@presence@get@members","channel":{"name":"x"}}',
    ):
        await peer.send(bad)
    await peer.send('{"jsonrpc":"2.0","method":"sgc@presence@publish@msg","message":{"text":"sgc@b64:!!"},"id":"bad-1"}')
    await peer.expect_ack("bad-1")
    await peer.send(frame("publish@msg", member=BOB, channel="", text="still alive"))
    await peer.wait_client_close()


async def resumable_join(peer):
    """Joins with a resume token, then sends two counted frames, the second one with an
    id: its acknowledgment shows that both have arrived. The token."""
    token = str(uuid.uuid4())
    await peer.join(features=SERVER_FEATURES, token=token)
    await peer.send(frame("member@new", member=peer.alice()))
    await peer.send(frame("member@new", member=BOB, id="m-1"))
    await peer.expect_ack("m-1")
    return token


async def reconnected(peer, token, received):
    """The client's next connection, which must ask to resume before anything else."""
    again = await peer.next_connection()
    again.check_handshake()
    await again.send(frame("session", text=again.session))
    resume = await again.expect("ext@presence@resume", text=f"{token}:{received}")
    check("id" not in resume, "the resume request must not wait for an acknowledgment")
    return again


async def scenario_resume(peer):
    """The connection drops; the client comes back with the token and the count of the
    frames it received, and goes on as the same member."""
    token = await resumable_join(peer)
    peer.drop()
    again = await reconnected(peer, token, 2)
    await again.send(frame("ext@presence@resume", member=peer.alice(), text="resumed"))
    await again.send(frame("publish@msg", member=BOB, channel="", text="missed"))
    await again.expect("publish@msg", member=peer.alice(), channel="", text="back")
    await again.close()


async def scenario_resume_expired(peer):
    """The server has forgotten the member: the client joins as a new member and enters
    again the channel it was in."""
    token = await resumable_join(peer)
    await peer.expect("channel@member@new", member=peer.alice(), channel="room")
    await peer.send(frame("channel@member@new", member=peer.alice(), channel="room", id="m-2"))
    await peer.expect_ack("m-2")
    peer.drop()
    again = await reconnected(peer, token, 3)
    await again.send(frame("ext@presence@resume", text="expired"))
    await again.expect_join(features=SERVER_FEATURES)
    await again.expect("channel@member@new", member=again.alice(), channel="room")
    await again.close()


def server_frame(payload, opcode=0x81):
    """One unmasked frame as a server writes it (payloads under 64 KiB)."""
    if len(payload) < 126:
        return bytes([opcode, len(payload)]) + payload
    return bytes([opcode, 126]) + len(payload).to_bytes(2, "big") + payload


async def scenario_close_crossing(peer):
    """Two frames and the server's own close frame arrive in one TCP segment, and the
    client closes on the first frame: its closing handshake crosses its reading of the
    close frame already buffered. Both must end the connection."""
    await peer.join()
    frames = (frame("member@new", member=BOB), frame("member@remove", member=BOB))
    segment = b"".join(server_frame(json.dumps(f).encode()) for f in frames)
    peer.ws.transport.write(segment + server_frame((1000).to_bytes(2, "big"), opcode=0x88))
    try:
        await asyncio.wait_for(peer.ws.wait_closed(), WAIT)
    except asyncio.TimeoutError:
        raise Failure("the connection did not end")


SCENARIOS = {name[len("scenario_"):]: f for name, f in globals().items() if name.startswith("scenario_")}


async def play(scenario, connections):
    try:
        await scenario(Peer(await connections.get(), connections))
    except Failure:
        raise
    except Exception as e:  # every failure becomes the verdict
        raise Failure(f"{type(e).__name__}: {e}")


async def serve(scenario):
    connections = asyncio.Queue()
    over = asyncio.get_running_loop().create_future()

    async def handler(ws):
        await connections.put(ws)
        await over  # the scenario uses the connection until then

    async with websockets.serve(handler, "127.0.0.1", 0, subprotocols=[SUBPROTOCOL], ping_interval=None) as server:
        print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
        try:
            await asyncio.wait_for(play(scenario, connections), WAIT * 3)
        finally:
            over.set_result(None)


async def serve_silently():
    """Accepts TCP and never answers the WebSocket handshake: the client must give up."""
    done = asyncio.get_running_loop().create_future()

    async def handler(reader, writer):
        request = await reader.read()  # until the client closes
        writer.close()
        if done.done():
            return
        if b"presence.esegece.com" in request:
            done.set_result(None)
        else:
            done.set_exception(Failure(f"no sub-protocol offered in {request!r}"))

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await asyncio.wait_for(done, WAIT * 3)


def main():
    name = sys.argv[1] if len(sys.argv) == 2 else ""
    if name != "silent" and name not in SCENARIOS:
        print(f"FAIL: unknown scenario {name!r}; known: silent, {', '.join(SCENARIOS)}", flush=True)
        return 1
    try:
        asyncio.run(serve_silently() if name == "silent" else serve(SCENARIOS[name]))
    except asyncio.TimeoutError:
        print("FAIL: the scenario did not finish in time", flush=True)
        return 1
    except Failure as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
