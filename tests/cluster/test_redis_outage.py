# SPDX-License-Identifier: Apache-2.0
"""redis-server killed during a run, then restarted (empty) on the same port.

While Redis is down each node keeps serving its own members (join, leave, subscribe,
publish, get@members) and /readyz answers 503 with the problem. When Redis is back,
/readyz answers 200 again, the nodes rebuild the shared view: what changed on one node
during the outage is announced to the other node's members as it would have been live
(member@new, channel@member@new, channel@member@remove, member@remove), every member is
listed exactly once, and cross-node delivery works again."""

import unittest

from cluster_harness import ClusterTestCase, await_ready, readyz
from presence_harness import (
    CHANNEL_MEMBER_NEW, CHANNEL_MEMBER_REMOVE, MEMBER_NEW, MEMBER_REMOVE, PUBLISH, frame)


class RedisOutage(ClusterTestCase):

    NODES = 2
    NODE_TIMEOUT = 2

    async def asyncSetUp(self):
        await super().asyncSetUp()
        # n1: alice, ann; n2: bob, bea. alice, bob and bea share "room".
        self.a = await self.joined("alice", "n1", node=0)
        self.a3 = await self.joined("ann", "n1, leaves during the outage", others=[self.a], node=0)
        self.b = await self.joined("bob", "n2", others=[self.a, self.a3], node=1)
        self.b3 = await self.joined("bea", "n2, unsubscribes during the outage",
                                    others=[self.a, self.a3, self.b], node=1)
        await self.a.subscribe("room")
        await self.b.subscribe("room", others=[self.a])
        await self.b3.subscribe("room", others=[self.a, self.b])
        for x in self.clients:
            await x.barrier()

    async def check_degraded(self, node):
        body = await await_ready(self.servers[node], 503)
        self.assertEqual(body.get("status"), "degraded", body)
        self.assertIsInstance(body.get("problem"), str, body)
        self.assertNotEqual(body["problem"], "", body)

    async def test_nodes_serve_their_own_members_while_redis_is_down_and_rejoin_after(self):
        a, a3, b, b3 = self.a, self.a3, self.b, self.b3
        for node in (0, 1):
            status, body = readyz(self.servers[node])
            self.assertEqual((status, body.get("status")), (200, "ok"), body)

        self.redis.kill()
        self.cross_node = False          # no cross-node sync while Redis is down
        await self.check_degraded(0)
        await self.check_degraded(1)

        # --- n1 during the outage: amy joins and subscribes, ann leaves (closes).
        a2 = await self.joined("amy", "n1, joined during the outage", others=[a, a3], node=0)
        await a2.subscribe("room", others=[a])
        await a3.close()
        self.clients.remove(a3)
        for x in (a, a2):
            await x.expect(frame(MEMBER_REMOVE, member=a3.member))
        await a.send(a.request(PUBLISH, channel="room", text="n1 alone"))
        for x in (a, a2):
            await x.expect(frame(PUBLISH, member=a.member, channel="room", text="n1 alone"))
        # get@members works; n1's own members are listed once each (what it still
        # remembers of n2 is not checked here).
        for x in (a, a2):
            listed = await self.members_of(x, "")
            for m in (a.member, a2.member):
                self.assertIn(m, listed)
            self.assertNotIn(a3.member["id"], [m["id"] for m in listed])
        for x in (a, a2):
            await x.barrier(cross_node=False)

        # --- n2 during the outage: ben joins, bea leaves room.
        b2 = await self.joined("ben", "n2, joined during the outage", others=[b, b3], node=1)
        await b3.send(b3.request(CHANNEL_MEMBER_REMOVE, channel="room"))
        for x in (b3, b):
            await x.expect(frame(CHANNEL_MEMBER_REMOVE, member=b3.member, channel="room"))
        await b.send(b.request(PUBLISH, channel="", text="n2 alone"))
        for x in (b, b3, b2):
            await x.expect(frame(PUBLISH, member=b.member, channel="", text="n2 alone"))
        for x in (b, b2, b3):
            listed = await self.members_of(x, "")
            for m in (b.member, b2.member, b3.member):
                self.assertIn(m, listed)
        for x in (b, b2, b3):
            await x.barrier(cross_node=False)

        # --- Redis back, empty, on the same port.
        self.redis.restart()
        for node in (0, 1):
            body = await await_ready(self.servers[node], 200)
            self.assertEqual(body.get("status"), "ok", body)

        # n1's members learn what n2 did: ben joined, bea left room.
        for x in (a, a2):
            await self.expect_frames(x, [
                frame(MEMBER_NEW, member=b2.member),
                frame(CHANNEL_MEMBER_REMOVE, member=b3.member, channel="room")])
        # n2's members learn what n1 did: amy joined (and, for room's members, entered
        # room), ann left.
        got = await self.expect_frames(b, [
            frame(MEMBER_NEW, member=a2.member),
            frame(CHANNEL_MEMBER_NEW, member=a2.member, channel="room"),
            frame(MEMBER_REMOVE, member=a3.member)])
        self.assert_before(got, frame(MEMBER_NEW, member=a2.member),
                           frame(CHANNEL_MEMBER_NEW, member=a2.member, channel="room"), b.name)
        for x in (b2, b3):
            await self.expect_frames(x, [
                frame(MEMBER_NEW, member=a2.member),
                frame(MEMBER_REMOVE, member=a3.member)])

        # Nothing else (each change announced once), on both nodes.
        self.cross_node = True
        everyone = [a, a2, b, b2, b3]
        for x in everyone:
            await x.barrier()
        # Every member listed exactly once on each node, with name and info.
        for x in everyone:
            await self.assert_members(x, "", everyone)
            await self.assert_members(x, "room", [a, a2, b])
        # Cross-node delivery works again.
        await b.send(b.request(PUBLISH, channel="room", text="together again"))
        for x in (b, a, a2):
            await x.expect(frame(PUBLISH, member=b.member, channel="room", text="together again"))
        await a2.send(a2.request(PUBLISH, channel="", text="hello all"))
        for x in everyone:
            await x.expect(frame(PUBLISH, member=a2.member, channel="", text="hello all"))
        for x in everyone:
            await x.barrier()
        for node, count in ((0, 2), (1, 3)):
            status, body = readyz(self.servers[node])
            self.assertEqual((status, body), (200, {"status": "ok", "connections": count}))

    async def test_a_node_with_no_change_during_the_outage_comes_back_unchanged(self):
        a, a3, b, b3 = self.a, self.a3, self.b, self.b3
        self.redis.kill()
        self.cross_node = False
        await self.check_degraded(0)
        await self.check_degraded(1)
        self.redis.restart()
        for node in (0, 1):
            await await_ready(self.servers[node], 200)
        self.cross_node = True
        everyone = [a, a3, b, b3]
        # No change: nothing announced, every member once.
        for x in everyone:
            await x.barrier()
            await self.assert_members(x, "", everyone)
            await self.assert_members(x, "room", [a, b, b3])
        await a3.send(a3.request(PUBLISH, channel="", text="back"))
        for x in everyone:
            await x.expect(frame(PUBLISH, member=a3.member, channel="", text="back"))


if __name__ == "__main__":
    unittest.main()
