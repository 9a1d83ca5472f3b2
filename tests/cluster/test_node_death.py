# SPDX-License-Identifier: Apache-2.0
"""A node killed with SIGKILL: a surviving node finds it dead once its liveness lapses
(--node-timeout 1 here), and every surviving node tells its own members that the dead
node's members are gone: channel@member@remove for each of their channels, then
member@remove. Asserted: the frames arrive within a generous bound (EVENTUAL), once;
get@members no longer lists the dead members."""

import unittest

from cluster_harness import ClusterTestCase, departures
from presence_harness import MEMBER_REMOVE, PUBLISH, frame


class NodeDeath(ClusterTestCase):
    """Three nodes: a on n1; b and b2 on n2 (the one killed); c on n3.
    Channels: r1 = a, b, c; r2 = b, b2, c; r3 = b2 only; "quiet" = a alone."""

    NODES = 3
    NODE_TIMEOUT = 1

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a = await self.joined("alice", "n1", node=0)
        self.b = await self.joined("bob", "n2", others=[self.a], node=1)
        self.b2 = await self.joined("bea", "n2 too", others=[self.a, self.b], node=1)
        self.c = await self.joined("carol", "n3", others=[self.a, self.b, self.b2], node=2)
        a, b, b2, c = self.a, self.b, self.b2, self.c
        await a.subscribe("r1")
        await b.subscribe("r1", others=[a])
        await c.subscribe("r1", others=[a, b])
        await b.subscribe("r2")
        await b2.subscribe("r2", others=[b])
        await c.subscribe("r2", others=[b, b2])
        await b2.subscribe("r3")
        await a.subscribe("quiet")

    async def expect_departures(self, client, gone):
        """`gone`: (member, channels of its that `client` is in). Every frame exactly once,
        in any order across members; for each member, member@remove last."""
        expected = []
        for member, channels in gone:
            expected += departures(member, channels)
        got = await self.expect_frames(client, expected)
        for member, channels in gone:
            for ch in channels:
                self.assert_before(got, departures(member, [ch])[0],
                                   frame(MEMBER_REMOVE, member=member), client.name)
        return got

    async def test_members_of_a_killed_node_are_announced_gone_on_the_others(self):
        a, b, b2, c = self.a, self.b, self.b2, self.c
        self.servers[1].kill()
        await self.expect_departures(a, [(b.member, ["r1"]), (b2.member, [])])
        await self.expect_departures(c, [(b.member, ["r1", "r2"]), (b2.member, ["r2"])])
        # Announced once: nothing more, on either node (Client.barrier covers n1 and n3).
        for x in (a, c):
            await x.barrier()
        for x in (a, c):
            await self.assert_members(x, "", [a, c])
            await self.assert_members(x, "r1", [a, c])
            await self.assert_members(x, "r2", [c])
            await self.assert_members(x, "quiet", [a])
        # r3 had b2 only: gone on both nodes.
        for x in (a, c):
            await x.send(x.request("sgc@presence@get@members", channel="r3"))
            got = await x.recv()
            self.assertEqual(got["error"]["code"], 5, got)
        # The survivors still reach each other.
        await c.send(c.request(PUBLISH, channel="r1", text="still here"))
        for x in (c, a):
            await x.expect(frame(PUBLISH, member=c.member, channel="r1", text="still here"))
        for x in (a, c):
            await x.barrier()


class NodeDeathOfTwo(ClusterTestCase):
    """Two nodes: the only survivor finds the other dead and tells its members."""

    NODES = 2
    NODE_TIMEOUT = 1

    async def test_the_survivor_announces_the_dead_nodes_members(self):
        a = await self.joined("alice", node=0)
        a2 = await self.joined("amy", others=[a], node=0)
        b = await self.joined("bob", "x", others=[a, a2], node=1)
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        self.servers[1].kill()
        got = await self.expect_frames(a, departures(b.member, ["room"]))
        self.assertEqual(got[-1], frame(MEMBER_REMOVE, member=b.member))
        await self.expect_frames(a2, departures(b.member, []))
        for x in (a, a2):
            await x.barrier()
            await self.assert_members(x, "", [a, a2])
            await self.assert_members(x, "room", [a])


if __name__ == "__main__":
    unittest.main()
