# SPDX-License-Identifier: Apache-2.0
"""15. Namespaces (Guid) and the Broker framing (issue 7).

A namespace is an independent presence instance named by a Guid; the server declares its
own with `--namespace GUID`, besides the default one (empty Guid). Its endpoint id is
`<Guid>.presence.esegece.com` (the default's `presence.esegece.com`).

- A plain connection offers `<Guid>.presence.esegece.com` (or `presence.esegece.com`) and
  belongs to that namespace, or to the default one when the Guid is not declared.
- A broker connection offers `broker.esegece.com` and reaches every namespace at once:
  each message, both ways, is `NNN` + endpoint id + one Presence frame (NNN: the id's
  length in 3 zero-padded digits). It gets one session per namespace, default first.
  Badly framed messages are answered on the default namespace's endpoint.

The broker side is spoken by hand here too (`Broker`): one raw connection, its messages
split by endpoint id into one harness `Client` per namespace (`Broker.view`), whose
frames are then checked as on a plain connection. A message with any other framing fails
the test.
"""

import asyncio
import collections
import json
import unittest

from websockets.exceptions import ConnectionClosed

from presence_harness import (
    CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, GET_MEMBERS, GUID_RE,
    HELLO, INVALID_PARAMS, MEMBER_NEW, MEMBER_REMOVE, PARSE_ERROR, PROTOCOL, PUBLISH,
    SEND_MEMBERS, SERVER_FEATURES, SESSION, TIMEOUT, TOPOLOGY, Client, PresenceTestCase,
    frame, sgc_error)

BROKER = "broker.esegece.com"
SALES = "sales"
SUPPORT = "support"
DEFAULT = ""
# The namespaces of the server, in the order the broker gets their sessions.
NAMESPACES = (DEFAULT, SALES, SUPPORT)
SERVER_ARGS = ("--namespace", SALES, "--namespace", SUPPORT)

RESUME = "ext@presence@resume"
RESUME_TOKEN = "ext@presence@resume@token"


def endpoint_id(guid):
    """A namespace's endpoint id: `<Guid>.presence.esegece.com`, or `presence.esegece.com`."""
    return f"{guid}.{PROTOCOL}" if guid else PROTOCOL


def prefix(guid):
    """What precedes each frame of `guid` on a broker connection: NNN + the endpoint id."""
    id = endpoint_id(guid)
    return f"{len(id):03d}{id}"


def anonymous(session_id):
    """The member object of a connection that has not joined."""
    return {"id": session_id, "name": "", "info": ""}


def sorted_members(members):
    return sorted(members, key=lambda m: m["id"])


class _EndpointSocket:
    """What a harness Client needs of a WebSocket, for one namespace of a broker
    connection: sends go out framed with the namespace's id, receives come from the
    broker's split of the incoming messages."""

    def __init__(self, broker, guid):
        self.broker = broker
        self.guid = guid

    async def send(self, data):
        await self.broker.ws.send(prefix(self.guid) + data)

    async def recv(self):
        return await self.broker.next_for(self.guid)

    async def close(self):
        await self.broker.ws.close()

    async def wait_closed(self):
        await self.broker.ws.wait_closed()

    @property
    def open(self):
        return self.broker.ws.open

    @property
    def close_code(self):
        return self.broker.ws.close_code

    @property
    def close_reason(self):
        return self.broker.ws.close_reason


class Broker:
    """One broker connection, its incoming messages split per namespace. `log` holds every
    message as received, `(guid, payload)`, in order."""

    def __init__(self, test, raw):
        self.t = test
        self.raw = raw              # the harness Client of the connection (closed at teardown)
        self.ws = raw.ws
        self.name = raw.name
        self.queues = {guid: collections.deque() for guid in NAMESPACES}
        self.log = []
        self.views = {}

    def split(self, data):
        """(guid, payload) of one incoming message; anything but one of the server's
        namespace prefixes fails the test."""
        self.t.assertIsInstance(data, str, f"{self.name}: expected a text message")
        digits = data[:3]
        self.t.assertRegex(digits, r"^[0-9]{3}$", f"{self.name}: unframed message {data!r}")
        id = data[3:3 + int(digits)]
        for guid in NAMESPACES:
            if id == endpoint_id(guid) and data.startswith(prefix(guid)):
                return guid, data[len(prefix(guid)):]
        raise AssertionError(f"{self.name}: message framed with an unknown id: {data!r}")

    async def read(self):
        """The next message off the socket, split (bounded)."""
        try:
            data = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
        except asyncio.TimeoutError:
            raise AssertionError(f"{self.name}: no message within {TIMEOUT}s") from None
        guid, payload = self.split(data)
        self.log.append((guid, payload))
        return guid, payload

    async def next_for(self, guid):
        """The next payload of namespace `guid`; payloads of the others read meanwhile are
        kept for their views, in order."""
        queue = self.queues[guid]
        while not queue:
            got, payload = await self.read()
            self.queues[got].append(payload)
        return queue.popleft()

    async def read_sessions(self):
        """The first three messages: one session per namespace, the default first, then the
        declared ones in the order declared, each with its own session id."""
        ids = []
        for guid in NAMESPACES:
            got, payload = await self.read()
            self.t.assertEqual(got, guid, f"{self.name}: session frames out of order: {self.log}")
            f = json.loads(payload)
            self.t.assertEqual(list(f.keys()), ["jsonrpc", "method", "message"], payload)
            self.t.assertEqual(f["jsonrpc"], "2.0")
            self.t.assertEqual(f["method"], SESSION, payload)
            self.t.assertEqual(list(f["message"].keys()), ["text"], payload)
            self.t.assertRegex(f["message"]["text"], GUID_RE)
            ids.append(f["message"]["text"])
        self.t.assertEqual(len(set(ids)), len(ids), f"{self.name}: session ids repeat: {ids}")
        for guid, sid in zip(NAMESPACES, ids):
            view = Client(self.t, _EndpointSocket(self, guid), f"{self.name}[{guid or 'default'}]",
                          self.raw.server)
            view.session_id = sid
            self.views[guid] = view

    def view(self, guid):
        """The harness Client of namespace `guid` on this connection."""
        return self.views[guid]

    async def send_raw(self, data):
        """A message as is, framed or not."""
        await asyncio.wait_for(self.ws.send(data), TIMEOUT)

    async def barrier(self):
        """Nothing pending in any namespace of this connection: a barrier in each, and no
        payload left over for any of them."""
        for guid in NAMESPACES:
            await self.views[guid].barrier()
        self.t.assertEqual({g: list(q) for g, q in self.queues.items() if q}, {},
                           f"{self.name}: frames that should not have come")

    async def close(self):
        await self.raw.close()

    async def expect_closed(self, code):
        """Reads until the server closes; returns what came first (kept ones included),
        as (guid, payload)."""
        came = [(g, p) for g, q in self.queues.items() for p in q]
        for q in self.queues.values():
            q.clear()
        while True:
            try:
                came.append(await self.read())
            except ConnectionClosed:
                break
        await asyncio.wait_for(self.ws.wait_closed(), TIMEOUT)
        self.t.assertEqual(self.ws.close_code, code,
                           f"{self.name}: close code (reason {self.ws.close_reason!r})")
        return came


class NamespaceCase(PresenceTestCase):

    SERVER_ARGS = SERVER_ARGS

    def setUp(self):
        if TOPOLOGY == "pair":
            self.skipTest("namespaces are tested on one node")
        super().setUp()

    async def plain(self, name, guid, subprotocol=None):
        """A plain connection offering `subprotocol` (by default `guid`'s endpoint id)."""
        c = await self.connect(name, subprotocols=[subprotocol or endpoint_id(guid)])
        self.assertEqual(c.ws.subprotocol, subprotocol or endpoint_id(guid))
        return c

    async def member(self, name, guid, others=(), subprotocol=None):
        """A plain connection to `guid` that joined as `name`; `others` consume the
        announcement."""
        c = await self.plain(name, guid, subprotocol)
        await c.join(name, others=others)
        return c

    async def broker(self, name="broker", subprotocols=(BROKER,)):
        """A broker connection, its three sessions read."""
        raw = await self.connect(name, subprotocols=subprotocols, read_session=False)
        self.assertEqual(raw.ws.subprotocol, BROKER)
        b = Broker(self, raw)
        await b.read_sessions()
        return b

    async def watchers(self):
        """One joined plain member per namespace."""
        return {guid: await self.member(f"watcher-{guid or 'default'}", guid)
                for guid in NAMESPACES}

    async def nothing_more(self, *clients):
        for c in clients:
            await c.barrier()


# --- 1. plain connections ------------------------------------------------------------
class PlainConnections(NamespaceCase):

    async def test_a_declared_guid_is_echoed_and_its_connection_lands_in_that_namespace(self):
        w = await self.watchers()
        s = await self.plain("s", SALES)
        await s.join("sam", others=[w[SALES]])
        await self.nothing_more(w[DEFAULT], w[SUPPORT], w[SALES], s)
        await s.send(s.request(GET_MEMBERS, channel=""))
        got = await s.recv()
        self.assertEqual(got["method"], SEND_MEMBERS, got)
        self.assertEqual(sorted_members(got["members"]), sorted_members([w[SALES].member, s.member]))

    async def test_the_default_id_lands_in_the_default_namespace(self):
        w = await self.watchers()
        d = await self.plain("d", DEFAULT)
        await d.join("dan", others=[w[DEFAULT]])
        await self.nothing_more(w[SALES], w[SUPPORT], w[DEFAULT], d)

    async def test_an_undeclared_guid_is_echoed_and_lands_in_the_default_namespace(self):
        w = await self.watchers()
        o = await self.plain("o", None, subprotocol="other.presence.esegece.com")
        await o.join("otto", others=[w[DEFAULT]])
        await self.nothing_more(w[SALES], w[SUPPORT], w[DEFAULT], o)
        await o.send(o.request(GET_MEMBERS, channel=""))
        got = await o.recv()
        self.assertEqual(sorted_members(got["members"]), sorted_members([w[DEFAULT].member, o.member]))

    async def test_offering_no_presence_name_lands_in_the_default_namespace(self):
        w = await self.watchers()
        n = await self.connect("n", subprotocols=None)
        self.assertIsNone(n.ws.subprotocol)
        await n.join("nick", others=[w[DEFAULT]])
        c = await self.connect("c", subprotocols=["chat"])
        self.assertIsNone(c.ws.subprotocol)
        await c.join("chad", others=[w[DEFAULT], n])
        await self.nothing_more(w[SALES], w[SUPPORT], w[DEFAULT], n, c)

    async def test_the_first_offered_presence_name_decides(self):
        w = await self.watchers()
        c = await self.connect("c", subprotocols=["chat", endpoint_id(SUPPORT), endpoint_id(SALES)])
        self.assertEqual(c.ws.subprotocol, endpoint_id(SUPPORT))
        await c.join("carl", others=[w[SUPPORT]])
        # Before the broker's name: a plain connection (its first frame is unframed).
        p = await self.connect("p", subprotocols=[endpoint_id(SALES), BROKER])
        self.assertEqual(p.ws.subprotocol, endpoint_id(SALES))
        await p.join("pia", others=[w[SALES]])
        await self.nothing_more(w[DEFAULT], w[SALES], w[SUPPORT], c, p)

    async def test_session_ids_differ_across_namespaces(self):
        ids = [(await self.plain(f"c{i}", guid)).session_id
               for i, guid in enumerate(NAMESPACES * 2)]
        self.assertEqual(len(set(ids)), len(ids), ids)

    async def test_same_channel_name_is_a_different_channel_in_each_namespace(self):
        a = await self.member("ann", SALES)
        b = await self.member("bob", SALES, others=[a])
        c = await self.member("cid", SUPPORT)
        d = await self.member("dee", DEFAULT)
        # Subscriptions: announced to the namespace's channel only.
        await a.subscribe("room")
        await c.subscribe("room")
        await d.subscribe("room")
        await b.subscribe("room", others=[a])
        await self.nothing_more(a, b, c, d)
        # A publish to the channel, and one to everyone: within the namespace only.
        await b.send(b.request(PUBLISH, channel="room", text="sales only"))
        msg = frame(PUBLISH, member=b.member, channel="room", text="sales only")
        await b.expect(msg)
        await a.expect(msg)
        await c.send(c.request(PUBLISH, channel="", text="support, everyone"))
        await c.expect(frame(PUBLISH, member=c.member, channel="", text="support, everyone"))
        await d.send(d.request(PUBLISH, channel="room", text="default room"))
        await d.expect(frame(PUBLISH, member=d.member, channel="room", text="default room"))
        await self.nothing_more(a, b, c, d)
        # get@members: the namespace's own members only.
        await a.send(a.request(GET_MEMBERS, channel="room"))
        got = await a.recv()
        self.assertEqual(got, frame(SEND_MEMBERS, member=a.member, channel="room",
                                    members=got.get("members")))
        self.assertEqual(sorted_members(got["members"]), sorted_members([a.member, b.member]))
        for x in (c, d):
            await x.send(x.request(GET_MEMBERS, channel="room"))
            await x.expect(frame(SEND_MEMBERS, member=x.member, channel="room", members=[x.member]))
            await x.send(x.request(GET_MEMBERS, channel=""))
            await x.expect(frame(SEND_MEMBERS, member=x.member, channel="", members=[x.member]))
        # Leaving the channel: announced in the namespace only.
        await c.send(c.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await c.expect(frame(CHANNEL_MEMBER_REMOVE, member=c.member, channel="room"))
        await self.nothing_more(a, b, c, d)


# --- 2. broker connections -----------------------------------------------------------
class BrokerConnections(NamespaceCase):

    async def test_broker_is_echoed_and_gets_one_session_per_namespace_in_order(self):
        b = await self.broker()
        self.assertEqual([g for g, _ in b.log], [DEFAULT, SALES, SUPPORT])
        # Exactly three: nothing else is pending in any namespace.
        await b.barrier()
        # The sessions are the namespaces' own: not joined anywhere yet.
        for guid in NAMESPACES:
            v = b.view(guid)
            await v.send(v.request(GET_MEMBERS, channel=""))
            await v.expect(frame(ERROR_MEMBER_CHANNEL, member=anonymous(v.session_id),
                                 channel="", error=sgc_error(3)))

    async def test_the_prefixes_are_exact(self):
        self.assertEqual(prefix(DEFAULT), "020presence.esegece.com")
        self.assertEqual(prefix(SALES), "026sales.presence.esegece.com")
        self.assertEqual(prefix(SUPPORT), "028support.presence.esegece.com")
        raw = await self.connect("raw", subprotocols=[BROKER], read_session=False)
        for guid in NAMESPACES:
            data = await asyncio.wait_for(raw.ws.recv(), TIMEOUT)
            self.assertTrue(data.startswith(prefix(guid) + '{"jsonrpc":"2.0","method":"'
                                            + SESSION + '"'), data)

    async def test_the_broker_name_decides_when_offered_first(self):
        b = await self.broker(subprotocols=["chat", BROKER, endpoint_id(SALES)])
        await b.barrier()

    async def test_one_connection_joins_as_a_member_in_two_namespaces(self):
        w = await self.watchers()
        b = await self.broker()
        bs, bt = b.view(SALES), b.view(SUPPORT)
        await bs.join("b-sales", others=[w[SALES]])
        await bt.join("b-support", others=[w[SUPPORT]])
        self.assertNotEqual(bs.member["id"], bt.member["id"])
        await self.nothing_more(w[DEFAULT], w[SALES], w[SUPPORT])
        await b.barrier()
        # Each namespace lists its own members: the plain ones see only their namespace's.
        s = w[SALES]
        await s.send(s.request(GET_MEMBERS, channel=""))
        got = await s.recv()
        self.assertEqual(got, frame(SEND_MEMBERS, member=s.member, channel="",
                                    members=got.get("members")))
        self.assertEqual(sorted_members(got["members"]), sorted_members([s.member, bs.member]))
        # get@members through the broker, in sales: sales members, framed with the sales id.
        await bs.send(bs.request(GET_MEMBERS, channel=""))
        got = await bs.recv()
        self.assertEqual(got, frame(SEND_MEMBERS, member=bs.member, channel="",
                                    members=got.get("members")))
        self.assertEqual(sorted_members(got["members"]), sorted_members([s.member, bs.member]))
        self.assertEqual(b.log[-1][0], SALES)
        await bt.send(bt.request(GET_MEMBERS, channel=""))
        got = await bt.recv()
        self.assertEqual(sorted_members(got["members"]), sorted_members([w[SUPPORT].member, bt.member]))
        self.assertEqual(b.log[-1][0], SUPPORT)
        # The default namespace: the broker is no member there.
        bd = b.view(DEFAULT)
        await bd.send(bd.request(GET_MEMBERS, channel=""))
        await bd.expect(frame(ERROR_MEMBER_CHANNEL, member=anonymous(bd.session_id), channel="",
                              error=sgc_error(3)))
        await b.barrier()

    async def test_a_session_id_is_only_good_in_its_own_namespace(self):
        s = await self.member("sam", SALES)
        b = await self.broker()
        bs = b.view(SALES)
        for other in (DEFAULT, SUPPORT):
            await bs.send(frame(MEMBER_NEW, member={"id": b.view(other).session_id,
                                                    "name": "impostor", "info": ""}))
            await bs.expect(frame(ERROR_MEMBER_CHANNEL, member=anonymous(bs.session_id),
                                  channel="", error=sgc_error(3)))
        await s.barrier()
        await b.barrier()

    async def test_publishes_come_framed_with_their_namespaces_id(self):
        w = await self.watchers()
        b = await self.broker()
        bs, bt, bd = b.view(SALES), b.view(SUPPORT), b.view(DEFAULT)
        await bs.join("b-sales", others=[w[SALES]])
        await bt.join("b-support", others=[w[SUPPORT]])
        await bd.join("b-default", others=[w[DEFAULT]])
        for guid in NAMESPACES:
            await w[guid].subscribe("room")
            await b.view(guid).subscribe("room", others=[w[guid]])
        # Each watcher publishes in its namespace's "room": the broker gets it framed with
        # that namespace's id, and nobody else hears it.
        for guid in (SUPPORT, SALES, DEFAULT):
            x = w[guid]
            text = f"from {guid or 'default'}"
            await x.send(x.request(PUBLISH, channel="room", text=text))
            msg = frame(PUBLISH, member=x.member, channel="room", text=text)
            await x.expect(msg)
            await b.view(guid).expect(msg)
            self.assertEqual(b.log[-1], (guid, json.dumps(msg, separators=(",", ":"))))
        # The broker publishes in sales, to everyone: sales members only.
        await bs.send(bs.request(PUBLISH, channel="", text="sales news"))
        msg = frame(PUBLISH, member=bs.member, channel="", text="sales news")
        await bs.expect(msg)
        await w[SALES].expect(msg)
        # And in support, to the channel.
        await bt.send(bt.request(PUBLISH, channel="room", text="support room"))
        msg = frame(PUBLISH, member=bt.member, channel="room", text="support room")
        await bt.expect(msg)
        await w[SUPPORT].expect(msg)
        await self.nothing_more(*w.values())
        await b.barrier()

    async def test_two_brokers_meet_in_a_namespace(self):
        b1 = await self.broker("b1")
        b2 = await self.broker("b2")
        t = await self.member("tess", SUPPORT)
        one = await b1.view(SUPPORT).join("one", others=[t])
        await b2.view(SUPPORT).join("two", others=[b1.view(SUPPORT), t])
        # Neither joined sales or the default namespace: nothing there.
        await b1.barrier()
        await b2.barrier()
        await t.barrier()
        v = b2.view(SUPPORT)
        await v.send(v.request(GET_MEMBERS, channel=""))
        got = await v.recv()
        self.assertEqual(sorted_members(got["members"]), sorted_members([one, v.member, t.member]))


# --- 3. closing a broker connection --------------------------------------------------
class ClosingBroker(NamespaceCase):

    async def test_close_announces_member_remove_in_each_namespace_joined(self):
        w = await self.watchers()
        b = await self.broker()
        bs, bt = b.view(SALES), b.view(SUPPORT)
        await bs.join("b-sales", others=[w[SALES]])
        await bt.join("b-support", others=[w[SUPPORT]])
        await w[SALES].subscribe("room")
        await bs.subscribe("room", others=[w[SALES]])
        await b.close()
        await w[SALES].expect(frame(CHANNEL_MEMBER_REMOVE, member=bs.member, channel="room"))
        await w[SALES].expect(frame(MEMBER_REMOVE, member=bs.member))
        await w[SUPPORT].expect(frame(MEMBER_REMOVE, member=bt.member))
        # Not joined in the default namespace: nothing there.
        await self.nothing_more(*w.values())
        for guid in (SALES, SUPPORT):
            x = w[guid]
            await x.send(x.request(GET_MEMBERS, channel=""))
            await x.expect(frame(SEND_MEMBERS, member=x.member, channel="", members=[x.member]))

    async def test_a_lost_connection_leaves_each_member_as_a_plain_one_would(self):
        """Lost without a closing handshake: in sales, where it asked to resume, the member
        stays and resumes on a new (plain) connection; in support, where it did not, it
        leaves at once."""
        w = await self.watchers()
        b = await self.broker()
        bs, bt = b.view(SALES), b.view(SUPPORT)
        await bs.send(frame(HELLO, text="invitation-response,resume"))
        await bs.expect(frame(HELLO, text=SERVER_FEATURES))
        token = await bs.recv()
        self.assertEqual(token["method"], RESUME_TOKEN, token)
        await bs.join("b-sales", others=[w[SALES]])
        await bt.join("b-support", others=[w[SUPPORT]])
        received = 1                     # counted frames since the token: its own member@new
        b.ws.transport.abort()
        await w[SUPPORT].expect(frame(MEMBER_REMOVE, member=bt.member))
        s = await self.plain("again", SALES)
        await s.send(frame(RESUME, text=f"{token['message']['text']}:{received}"))
        await s.expect(frame(RESUME, member=bs.member, text="resumed"))
        s.member = bs.member
        await self.nothing_more(s, *w.values())


# --- 4. badly framed messages --------------------------------------------------------
class BadFraming(NamespaceCase):

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.w = await self.watchers()
        self.b = await self.broker()
        await self.b.view(SALES).join("b-sales", others=[self.w[SALES]])

    async def refused(self, data, code, text=None, text_prefix=None, member=None):
        """`data`, sent as is by the broker, is answered on the default namespace's endpoint
        with an error@member@channel of `code`; nobody else sees anything, and the broker
        is still served in every namespace."""
        b = self.b
        d = b.view(DEFAULT)
        await b.send_raw(data)
        got = await d.recv()
        self.assertEqual(b.log[-1][0], DEFAULT, f"answer framed with the default id: {b.log[-1]}")
        got_text = got.get("error", {}).get("text") if isinstance(got.get("error"), dict) else None
        if text is not None:
            self.assertEqual(got_text, text, got)
        else:
            self.assertIsInstance(got_text, str, got)
            self.assertTrue(got_text.startswith(text_prefix), got)
        expected = frame(ERROR_MEMBER_CHANNEL, member=member or anonymous(d.session_id),
                         channel="", error={"code": code, "text": got_text})
        self.assertEqual(got, expected, f"for {data!r}")
        self.assertEqual(json.dumps(got), json.dumps(expected), "keys out of the wire's order")
        await self.nothing_more(*self.w.values())
        await b.barrier()
        return got

    async def malformed(self, data, **kw):
        return await self.refused(data, PARSE_ERROR, text_prefix="bad broker frame:", **kw)

    async def test_shorter_than_three_bytes(self):
        for data in ("", "0", "02"):
            await self.malformed(data)

    async def test_length_that_is_not_three_digits(self):
        body = PROTOCOL + json.dumps(frame(GET_MEMBERS, channel=""))
        for data in ("0x1" + body, "02a" + body, " 20" + body, "-20" + body, "+20" + body,
                     "abc", "2" + body):
            await self.malformed(data)

    async def test_length_of_zero(self):
        await self.malformed("000" + json.dumps(frame(GET_MEMBERS, channel="")))
        await self.malformed("000")

    async def test_id_longer_than_the_rest(self):
        await self.malformed("030" + PROTOCOL)
        await self.malformed("021" + PROTOCOL)
        await self.malformed("999" + "x" * 100)
        await self.malformed("001")

    async def test_unknown_endpoint_id(self):
        payload = json.dumps(frame(GET_MEMBERS, channel=""))
        for id in ("nothere", "nope.presence.esegece.com", "nope.presence.esegece.co",
                   ".presence.esegece.com", "sales", "sales.presence.esegece.com.",
                   BROKER, "xpresence.esegece.com"):
            await self.refused(f"{len(id):03d}{id}{payload}", INVALID_PARAMS,
                               text=f'no namespace for the endpoint id "{id}"')

    async def test_the_id_is_taken_at_its_stated_length(self):
        # 024 cuts "nope.presence.esegece.com" (25 bytes) one short.
        await self.refused("024nope.presence.esegece.com{}", INVALID_PARAMS,
                           text='no namespace for the endpoint id "nope.presence.esegece.co"')
        # 024 cuts a sales frame's id (26 bytes) inside: "sales.presence.esegece.c" + "om{...}".
        await self.refused("024sales.presence.esegece.com" + json.dumps(frame(GET_MEMBERS, channel="")),
                           INVALID_PARAMS,
                           text='no namespace for the endpoint id "sales.presence.esegece.c"')

    async def test_the_error_names_the_default_member_once_joined(self):
        d = self.b.view(DEFAULT)
        await d.join("b-default", others=[self.w[DEFAULT]])
        await self.malformed("ab", member=d.member)
        await self.refused("007nothere{}", INVALID_PARAMS,
                           text='no namespace for the endpoint id "nothere"', member=d.member)

    async def test_the_connection_goes_on_after_bad_frames(self):
        b = self.b
        bs = b.view(SALES)
        for data in ("ab", "0x1" + PROTOCOL, "000{}", "030" + PROTOCOL, "007nothere{}"):
            await b.send_raw(data)
        for _ in range(5):
            got = await b.view(DEFAULT).recv()
            self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL, got)
        # A valid framed request in sales still works, and is seen by sales.
        await bs.subscribe("room")
        await bs.send(bs.request(PUBLISH, channel="", text="still here"))
        msg = frame(PUBLISH, member=bs.member, channel="", text="still here")
        await bs.expect(msg)
        await self.w[SALES].expect(msg)
        await self.nothing_more(*self.w.values())
        await b.barrier()

    async def test_a_well_framed_message_with_a_bad_payload_is_answered_by_its_namespace(self):
        b = self.b
        bs, bt = b.view(SALES), b.view(SUPPORT)
        await b.send_raw(prefix(SALES) + "not json")
        got = await bs.recv()
        self.assertEqual(b.log[-1][0], SALES)
        self.assertEqual(got["error"]["code"], PARSE_ERROR, got)
        self.assertIsInstance(got["error"]["text"], str)
        self.assertEqual(got, frame(ERROR_MEMBER_CHANNEL, member=bs.member, channel="",
                                    error={"code": PARSE_ERROR, "text": got["error"]["text"]}))
        # Not joined in support: its session's anonymous member.
        await b.send_raw(prefix(SUPPORT) + '{"jsonrpc":"2.0","method":')
        got = await bt.recv()
        self.assertEqual(got, frame(ERROR_MEMBER_CHANNEL, member=anonymous(bt.session_id),
                                    channel="", error={"code": PARSE_ERROR,
                                                       "text": got["error"]["text"]}))
        # An empty payload after the default id: the default namespace's parse error.
        await b.send_raw(prefix(DEFAULT))
        got = await b.view(DEFAULT).recv()
        self.assertEqual(got["error"]["code"], PARSE_ERROR, got)
        self.assertEqual(b.log[-1][0], DEFAULT)
        await self.nothing_more(*self.w.values())
        await b.barrier()


class BadFramingLimit(NamespaceCase):

    MAX_INVALID = 2
    SERVER_ARGS = SERVER_ARGS + ("--max-invalid-frames", str(MAX_INVALID))

    async def joined_broker(self, w):
        b = await self.broker()
        bs, bt = b.view(SALES), b.view(SUPPORT)
        await bs.join("b-sales", others=[w[SALES]])
        await bt.join("b-support", others=[w[SUPPORT]])
        return b

    async def closes_after(self, bad, answered_in):
        """The broker, a member in sales and support, sends MAX_INVALID + 1 `bad` messages in
        a row: each of the first MAX_INVALID is answered in `answered_in`, the next closes
        the connection with 1008, and its members leave, each in its namespace."""
        w = await self.watchers()
        b = await self.joined_broker(w)
        members = {g: b.view(g).member for g in (SALES, SUPPORT)}
        for _ in range(self.MAX_INVALID):
            await b.send_raw(bad)
            got = await b.view(answered_in).recv()
            self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL, got)
        await b.send_raw(bad)
        came = await b.expect_closed(1008)
        # At most the answer to the last one came first.
        self.assertLessEqual(len(came), 1, came)
        for guid, payload in came:
            self.assertEqual(guid, answered_in)
            self.assertEqual(json.loads(payload)["method"], ERROR_MEMBER_CHANNEL, payload)
        await w[SALES].expect(frame(MEMBER_REMOVE, member=members[SALES]))
        await w[SUPPORT].expect(frame(MEMBER_REMOVE, member=members[SUPPORT]))
        await self.nothing_more(*w.values())
        await self.assert_serving()

    async def test_bad_frames_in_a_row_close_with_1008_and_the_members_leave(self):
        await self.closes_after("0x1" + PROTOCOL + "{}", DEFAULT)

    async def test_unknown_ids_in_a_row_close_with_1008(self):
        await self.closes_after("007nothere{}", DEFAULT)

    async def test_bad_payloads_in_a_row_in_one_namespace_close_with_1008(self):
        await self.closes_after(prefix(SALES) + "not json", SALES)

    async def test_as_many_as_allowed_keep_the_connection(self):
        w = await self.watchers()
        b = await self.joined_broker(w)
        d = b.view(DEFAULT)
        for _ in range(3):
            for _ in range(self.MAX_INVALID):
                await b.send_raw("ab")
                got = await d.recv()
                self.assertEqual(got["error"]["code"], PARSE_ERROR, got)
            # A valid request in the default namespace ends the row.
            await d.barrier()
        await self.nothing_more(*w.values())
        await b.barrier()


if __name__ == "__main__":
    unittest.main()
