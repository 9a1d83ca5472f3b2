# SPDX-License-Identifier: Apache-2.0
"""Members on different nodes see one another exactly as on one node: joins and leaves,
subscriptions, publish, get@members, invitations (with the invitation-response
extension), acknowledgment, disconnects. Two nodes, then three; clients spread across
them."""

import json
import unittest

from cluster_harness import ClusterTestCase, departures
from presence_harness import (
    ACK, CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, ERROR_MEMBER_CHANNEL, ERROR_PUBLISH,
    GET_MEMBERS, GUID_RE, HELLO, INVITATION, INVITATION_RESPONSE, MEMBER_NEW, MEMBER_REMOVE,
    PUBLISH, SEND_MEMBERS, SERVER_FEATURES, SESSION, ack_frame, decode_all, frame, sgc_error)


class TwoNodes(ClusterTestCase):
    """NODES + 1 members, member i on node i % NODES: one node has two (local and remote
    recipients mixed), every other node one. m[0] said hello (invitation-response)."""

    NODES = 2

    async def asyncSetUp(self):
        await super().asyncSetUp()
        names = ["alice", "bob", "carol", "dave", "erin"]
        infos = ["desk 4", "line1\r\nline2", "\u00e9t\u00e9 \u2713", "", "i"]
        self.m = []
        for i in range(self.NODES + 1):
            c = await self.connect(names[i], node=i % self.NODES)
            if i == 0:
                await c.send(frame(HELLO, text="invitation-response"))
                await c.expect(frame(HELLO, text=SERVER_FEATURES))
            await c.join(names[i], infos[i], others=self.m)
            self.m.append(c)

    def where(self):
        return ", ".join(f"{c.name}@{c.server.node_id}" for c in self.m)

    # --- members -------------------------------------------------------------------
    async def test_every_node_lists_every_member_once_with_name_and_info(self):
        for c in self.m:
            await self.assert_members(c, "", self.m)
        for c in self.m:
            await c.barrier()

    async def test_member_remove_is_announced_on_every_node_and_the_member_may_rejoin(self):
        leaver, others = self.m[1], [self.m[0], *self.m[2:]]
        await leaver.subscribe("r1")
        await self.m[0].subscribe("r1", others=[leaver])
        await leaver.send(frame(MEMBER_REMOVE, member=leaver.member))
        for x in (leaver, self.m[0]):
            await x.expect(frame(CHANNEL_MEMBER_REMOVE, member=leaver.member, channel="r1"))
            await x.expect(frame(MEMBER_REMOVE, member=leaver.member))
        for x in self.m[2:]:
            await x.expect(frame(MEMBER_REMOVE, member=leaver.member))
        for x in self.m:
            await x.barrier()
        for x in others:
            await self.assert_members(x, "", others)
            await self.assert_members(x, "r1", [self.m[0]])
        # Joins again, with the same session id and another name: every node shows it.
        await leaver.join("bob again", "back", others=others)
        for x in self.m:
            await self.assert_members(x, "", self.m)
            await x.barrier()

    # --- channels ------------------------------------------------------------------
    async def test_subscribe_and_unsubscribe_are_announced_to_the_channel_on_every_node(self):
        *inside, outsider = self.m
        for i, c in enumerate(inside):
            await c.subscribe("room", others=inside[:i])
        await outsider.barrier()
        for x in self.m:
            await self.assert_members(x, "room", inside)
        leaver = inside[1]
        await leaver.send(leaver.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        for x in inside:
            await x.expect(frame(CHANNEL_MEMBER_REMOVE, member=leaver.member, channel="room"))
        for x in self.m:
            await x.barrier()
        rest = [c for c in inside if c is not leaver]
        for x in self.m:
            await self.assert_members(x, "room", rest)
        # Everyone leaves: the channel is gone on every node.
        for i, c in enumerate(rest):
            await c.send(c.request(CHANNEL_MEMBER_REMOVE, channel="room"))
            for x in rest[i:]:
                await x.expect(frame(CHANNEL_MEMBER_REMOVE, member=c.member, channel="room"))
        for x in self.m:
            await x.send(x.request(GET_MEMBERS, channel="room"))
            await x.expect(frame(ERROR_MEMBER_CHANNEL, member=x.member, channel="room",
                                 error=sgc_error(5)))

    async def test_errors_12_and_11_for_a_channel_whose_members_are_on_another_node(self):
        a, b = self.m[0], self.m[1]
        await a.subscribe("room")
        # The channel exists on b's node (it has a member elsewhere): b is not in it.
        await b.send(b.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(12)))
        await b.send(b.request(PUBLISH, channel="room", text="let me in"))
        await b.expect(frame(ERROR_PUBLISH, member=b.member, channel="room", text="let me in",
                             error=sgc_error(12)))
        await b.subscribe("room", others=[a])
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(11)))
        for x in self.m:
            await x.barrier()

    # --- publish -------------------------------------------------------------------
    async def test_publish_to_a_channel_reaches_its_members_on_every_node_only(self):
        *inside, outsider = self.m
        for i, c in enumerate(inside):
            await c.subscribe("room", others=inside[:i])
        for sender in inside:
            text = f"from {sender.name} \u20ac"
            await sender.send(sender.request(PUBLISH, channel="room", text=text))
            for x in inside:
                await x.expect(frame(PUBLISH, member=sender.member, channel="room", text=text))
        for x in self.m:
            await x.barrier()

    async def test_publish_to_everyone_reaches_every_member_on_every_node(self):
        for sender in self.m:
            await sender.send(sender.request(PUBLISH, channel="", text=f"all from {sender.name}"))
            for x in self.m:
                await x.expect(frame(PUBLISH, member=sender.member, channel="",
                                     text=f"all from {sender.name}"))
        for x in self.m:
            await x.barrier()

    async def test_the_order_of_one_senders_frames_is_kept_across_nodes(self):
        a = self.m[0]
        for i in range(20):
            await a.send(a.request(PUBLISH, channel="", text=str(i)))
        for x in self.m:
            for i in range(20):
                await x.expect(frame(PUBLISH, member=a.member, channel="", text=str(i)))
        for x in self.m:
            await x.barrier()

    # --- get@members ---------------------------------------------------------------
    async def test_get_members_of_channels_spread_over_nodes(self):
        # Each member in its own channel "own-i", every member in "all", m[0] and m[1] in
        # "pair": every node answers the same, each member once.
        for i, c in enumerate(self.m):
            await c.subscribe(f"own-{i}")
        for i, c in enumerate(self.m):
            await c.subscribe("all", others=self.m[:i])
        await self.m[0].subscribe("pair")
        await self.m[1].subscribe("pair", others=[self.m[0]])
        for x in self.m:
            await self.assert_members(x, "", self.m)
            await self.assert_members(x, "all", self.m)
            await self.assert_members(x, "pair", self.m[:2])
            for i, c in enumerate(self.m):
                await self.assert_members(x, f"own-{i}", [c])
        for x in self.m:
            await x.barrier()

    # --- invitations ----------------------------------------------------------------
    async def invite(self, inviter, invitees, channel="room"):
        await inviter.send(frame(INVITATION, member=inviter.member, channel=channel,
                                 members=[{"id": c.session_id} for c in invitees]))
        for c in invitees:
            await c.expect(frame(INVITATION, member=inviter.member, channel=channel))

    async def test_invitations_to_members_on_other_nodes_accepted_and_refused(self):
        a = self.m[0]
        remote = [c for c in self.m[1:] if c.server is not a.server]
        await self.invite(a, remote, "room")
        await self.invite(a, remote, "hall")
        inside = {"room": [], "hall": []}
        for i, c in enumerate(remote):
            accept, refuse = ("room", "hall") if i % 2 == 0 else ("hall", "room")
            await c.subscribe(accept, others=inside[accept])
            inside[accept].append(c)
            await a.expect(frame(INVITATION_RESPONSE, member=c.member, channel=accept,
                                 text="accepted"))
            await c.send(frame(INVITATION_RESPONSE, member={"id": a.session_id},
                               channel=refuse, text="refused"))
            await a.expect(frame(INVITATION_RESPONSE, member=c.member, channel=refuse,
                                 text="refused"))
        for x in self.m:
            await x.barrier()
        # Settled: subscribing again (error 11), or after refusing, tells the inviter nothing.
        c = remote[0]
        await c.send(c.request(CHANNEL_MEMBER_NEW, channel="room"))
        await c.expect(frame(ERROR_MEMBER_CHANNEL, member=c.member, channel="room",
                             error=sgc_error(11)))
        await c.subscribe("hall", others=inside["hall"])
        for x in self.m:
            await x.barrier()

    async def test_accepting_with_a_failing_subscribe_carries_the_error_across_nodes(self):
        a, b = self.m[0], self.m[1]
        await b.subscribe("room")
        await self.invite(a, [b])
        await b.send(b.request(CHANNEL_MEMBER_NEW, channel="room"))
        await b.expect(frame(ERROR_MEMBER_CHANNEL, member=b.member, channel="room",
                             error=sgc_error(11)))
        await a.expect(frame(INVITATION_RESPONSE, member=b.member, channel="room",
                             text="accepted", error=sgc_error(11)))
        for x in self.m:
            await x.barrier()

    async def test_an_inviter_without_hello_on_another_node_is_told_nothing(self):
        inviter, b = self.m[1], self.m[0]
        await self.invite(inviter, [b], "room")
        await self.invite(inviter, [b], "hall")
        await b.subscribe("room")
        await b.send(frame(INVITATION_RESPONSE, member={"id": inviter.session_id},
                           channel="hall", text="refused"))
        for x in self.m:
            await x.barrier()

    async def test_a_refusal_for_an_invitation_that_was_never_made_is_invalid_params(self):
        a, b = self.m[0], self.m[1]
        await b.send(frame(INVITATION_RESPONSE, member={"id": a.session_id}, channel="room",
                           text="refused"))
        got = await b.recv()
        self.assertEqual(got["method"], ERROR_MEMBER_CHANNEL, got)
        self.assertEqual(got["error"]["code"], -32602, got)
        for x in self.m:
            await x.barrier()

    # --- disconnects ----------------------------------------------------------------
    async def test_a_client_that_drops_is_announced_gone_on_every_node(self):
        gone, rest = self.m[0], self.m[1:]
        # gone shares r1 with rest[0] and r2 with rest[-1] (another node, or the same one).
        await gone.subscribe("r1")
        await rest[0].subscribe("r1", others=[gone])
        await gone.subscribe("r2")
        await rest[-1].subscribe("r2", others=[gone])
        await gone.close()
        self.clients.remove(gone)
        for x in rest:
            channels = [ch for ch, c in (("r1", rest[0]), ("r2", rest[-1])) if c is x]
            got = await self.expect_frames(x, departures(gone.member, channels))
            self.assertEqual(got[-1], frame(MEMBER_REMOVE, member=gone.member),
                             f"{x.name}: member@remove comes after the channel removes")
        for x in rest:
            await x.barrier()
            await self.assert_members(x, "", rest)
            await self.assert_members(x, "r1", [rest[0]])
            await self.assert_members(x, "r2", [rest[-1]])


class ThreeNodes(TwoNodes):
    """The same with three nodes: four members, on n1, n2, n3, n1."""

    NODES = 3

    async def test_one_invitation_to_members_on_two_other_nodes(self):
        a, b, c = self.m[0], self.m[1], self.m[2]
        self.assertEqual(len({a.server.node_id, b.server.node_id, c.server.node_id}), 3)
        await a.send(frame(INVITATION, member=a.member, channel="room",
                           members=[{"id": b.session_id}, {"id": "ghost"}, {"id": c.session_id}]))
        await a.expect(frame(ERROR_MEMBER_CHANNEL, member={"id": "ghost", "name": "", "info": ""},
                             channel="room", error=sgc_error(3)))
        await b.expect(frame(INVITATION, member=a.member, channel="room"))
        await c.expect(frame(INVITATION, member=a.member, channel="room"))
        await c.subscribe("room")
        await a.expect(frame(INVITATION_RESPONSE, member=c.member, channel="room",
                             text="accepted"))
        await b.subscribe("room", others=[c])
        await a.expect(frame(INVITATION_RESPONSE, member=b.member, channel="room",
                             text="accepted"))
        for x in self.m:
            await x.barrier()


class AcknowledgmentAcrossNodes(ClusterTestCase):
    """--ack on every node: a frame that comes from another node carries an id, is re-sent
    (same bytes) until the recipient acknowledges it to its own node, and not after.
    As in tests/interop/test_ack.py, no timing is measured: re-sends are proven by
    arriving, their absence by the order of a node's re-send rounds (every due frame,
    oldest first)."""

    NODES = 2
    NODE_ARGS = ("--ack", "--ack-interval", "0.1", "--ack-timeout", "0.2", "--ack-retries", "2")

    async def next_frame(self, client, late=()):
        """The next frame, passing over `late` ones (bytes of frames acknowledged just
        before: their re-sends may still come before the next answer, never after it)."""
        while True:
            raw = await client.recv_raw()
            if raw not in late:
                return raw, decode_all(json.loads(raw))

    async def acked_member(self, name, node, others=()):
        """A member whose session and own member@new are acknowledged; `others` (already
        members, all their frames acknowledged) get its member@new: each acknowledges it.
        Each client keeps in `last` the bytes of its last acknowledged frame."""
        c = await self.connect(name, node=node, read_session=False)
        raw_s, s = await self.next_frame(c)
        self.assertEqual(s["method"], SESSION)
        c.session_id = s["message"]["text"]
        await c.send(ack_frame(s["id"]))
        await c.send_join(name)
        c.member = {"id": c.session_id, "name": name, "info": ""}
        raw_m, m = await self.next_frame(c, late={raw_s})
        self.assertEqual(m, frame(MEMBER_NEW, member=c.member, id=m["id"]))
        await c.send(ack_frame(m["id"]))
        for o in others:
            raw, got = await self.next_frame(o, late={o.last})
            self.assertEqual(got, frame(MEMBER_NEW, member=c.member, id=got["id"]),
                             f"{o.name} ({o.server.node_id}): {name}'s member@new")
            self.assertRegex(got["id"], GUID_RE)
            await o.send(ack_frame(got["id"]))
            o.last = raw
        c.last = raw_m
        return c

    async def assert_not_resent(self, client, acked_raw):
        """`acked_raw` was acknowledged: an answer G that is never acknowledged comes
        again, and `acked_raw` may come only before G (a late copy), never after."""
        await client.send(frame(GET_MEMBERS, channel=""))
        raw_g, g = await self.next_frame(client, late={acked_raw})
        self.assertEqual(g["method"], SEND_MEMBERS, g)
        again = await client.recv_raw()
        self.assertEqual(again, raw_g, f"{client.name}: expected the re-send of send@members, "
                                       f"not {again}")

    async def test_member_new_from_another_node_is_resent_until_acknowledged(self):
        a = await self.acked_member("alice", 0)
        b = await self.connect("bob", node=1, read_session=False)
        raw_s, s = await self.next_frame(b)
        b.session_id = s["message"]["text"]
        await b.send(ack_frame(s["id"]))
        await b.send_join("bob")
        b.member = {"id": b.session_id, "name": "bob", "info": ""}
        raw_mb, mb = await self.next_frame(b, late={raw_s})
        await b.send(ack_frame(mb["id"]))
        # alice (node 1) gets bob's member@new from node 2, with an id; not acknowledged,
        # it comes again, the same bytes.
        raw, got = await self.next_frame(a, late={a.last})
        self.assertEqual(got, frame(MEMBER_NEW, member=b.member, id=got["id"]))
        self.assertRegex(got["id"], GUID_RE)
        again = await a.recv_raw()
        self.assertEqual(again, raw, "alice: the re-send of bob's member@new")
        await a.send(ack_frame(got["id"]))
        await self.assert_not_resent(a, raw)

    async def test_publish_from_another_node_is_resent_until_acknowledged(self):
        a = await self.acked_member("alice", 0)
        b = await self.acked_member("bob", 1, others=[a])
        await a.send(a.request(PUBLISH, channel="", text="hi", id="pub-1"))
        raw_ack, ack = await self.next_frame(a, late={a.last})
        self.assertEqual(ack, ack_frame("pub-1"))
        raw_pa, pa = await self.next_frame(a)
        self.assertEqual(pa, frame(PUBLISH, member=a.member, channel="", text="hi", id=pa["id"]))
        await a.send(ack_frame(pa["id"]))
        raw_pb, pb = await self.next_frame(b, late={b.last})
        self.assertEqual(pb, frame(PUBLISH, member=a.member, channel="", text="hi", id=pb["id"]))
        self.assertRegex(pb["id"], GUID_RE)
        # Encoded once where it starts, delivered as it is: the same bytes on both nodes.
        self.assertEqual(raw_pb, raw_pa, "the publish as delivered on node 1 and on node 2")
        # bob does not acknowledge at first: re-sent, same bytes; then acknowledged (with
        # the id as received): no more.
        again = await b.recv_raw()
        self.assertEqual(again, raw_pb, "bob: the re-send of the publish")
        await b.send(ack_frame(pb["id"]))
        await self.assert_not_resent(b, raw_pb)
        await self.assert_not_resent(a, raw_pa)

    async def test_invitation_from_another_node_is_resent_until_acknowledged(self):
        a = await self.acked_member("alice", 0)
        b = await self.acked_member("bob", 1, others=[a])
        await a.send(frame(INVITATION, member=a.member, channel="room",
                           members=[{"id": b.session_id}]))
        raw_i, inv = await self.next_frame(b, late={b.last})
        self.assertEqual(inv, frame(INVITATION, member=a.member, channel="room", id=inv["id"]))
        self.assertRegex(inv["id"], GUID_RE)
        again = await b.recv_raw()
        self.assertEqual(again, raw_i, "bob: the re-send of the invitation")
        await b.send(ack_frame(inv["id"]))
        await self.assert_not_resent(b, raw_i)

    async def test_a_request_is_acknowledged_by_its_own_node_and_its_publish_reaches_the_other(self):
        a = await self.acked_member("alice", 0)
        b = await self.acked_member("bob", 1, others=[a])
        await b.send(b.request(PUBLISH, channel="", text="x", id="req-b"))
        raw, got = await self.next_frame(b, late={b.last})
        self.assertEqual(json.loads(raw), {"jsonrpc": "2.0", "method": ACK, "id": "req-b"})
        raw_pb, pb = await self.next_frame(b)
        self.assertEqual(pb["method"], PUBLISH)
        raw_pa, pa = await self.next_frame(a, late={a.last})
        self.assertEqual(pa, frame(PUBLISH, member=b.member, channel="", text="x", id=pa["id"]))


if __name__ == "__main__":
    unittest.main()
