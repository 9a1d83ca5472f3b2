# SPDX-License-Identifier: Apache-2.0
"""Two deployments sharing one Redis with different --redis-prefix (and the same node ids)
do not see each other: members, channels, publishes, invitations, node deaths."""

import unittest

from cluster_harness import ClusterTestCase, RedisProcess, departures, start_deployment
from presence_harness import (
    ERROR_MEMBER_CHANNEL, INVITATION, PUBLISH, frame, sgc_error)

PREFIX_A = "deployA:"
PREFIX_B = "deployB:"


class TwoDeployments(ClusterTestCase):
    """Deployment A: nodes n1, n2 (servers 0, 1); deployment B: nodes n1, n2 (servers 2,
    3); one redis-server. Node timeout 1 s (a killed node is announced within about
    1.2 s). a1, a2 on A's nodes, b1, b2 on B's; each pair shares "room"."""

    def start_servers(self):
        self.redis = RedisProcess()
        self.addCleanup(self.redis.close)
        return (start_deployment(self, 2, redis=self.redis, prefix=PREFIX_A, node_timeout=1,
                                 deployment="A")
                + start_deployment(self, 2, redis=self.redis, prefix=PREFIX_B, node_timeout=1,
                                   deployment="B"))

    async def asyncSetUp(self):
        await super().asyncSetUp()
        self.a1 = await self.joined("a1", "from A", node=0)
        self.a2 = await self.joined("a2", "from A", others=[self.a1], node=1)
        self.b1 = await self.joined("b1", "from B", node=2)
        self.b2 = await self.joined("b2", "from B", others=[self.b1], node=3)
        await self.a1.subscribe("room")
        await self.a2.subscribe("room", others=[self.a1])
        await self.b1.subscribe("room")
        await self.b2.subscribe("room", others=[self.b1])
        self.A = [self.a1, self.a2]
        self.B = [self.b1, self.b2]

    async def test_each_deployment_lists_its_own_members_only(self):
        for group in (self.A, self.B):
            for x in group:
                await self.assert_members(x, "", group)
                await self.assert_members(x, "room", group)
        for x in self.A + self.B:
            await x.barrier()

    async def test_publishes_stay_in_their_deployment(self):
        a1, a2, b1, b2 = self.a1, self.a2, self.b1, self.b2
        # B publishes to everyone and to room; B's two nodes deliver it ...
        await b1.send(b1.request(PUBLISH, channel="", text="B to all"))
        await b2.send(b2.request(PUBLISH, channel="room", text="B to room"))
        for x in self.B:
            await x.expect(frame(PUBLISH, member=b1.member, channel="", text="B to all"))
            await x.expect(frame(PUBLISH, member=b2.member, channel="room", text="B to room"))
        # ... so Redis has passed them on. A node that (wrongly) listened to B's events
        # would get them before anything published later: A's next publishes are the next
        # frames of A's members.
        await a2.send(a2.request(PUBLISH, channel="", text="A to all"))
        await a1.send(a1.request(PUBLISH, channel="room", text="A to room"))
        for x in self.A:
            await x.expect(frame(PUBLISH, member=a2.member, channel="", text="A to all"))
            await x.expect(frame(PUBLISH, member=a1.member, channel="room", text="A to room"))
        for x in self.A + self.B:
            await x.barrier()

    async def test_a_member_of_the_other_deployment_cannot_be_invited(self):
        a1, b2 = self.a1, self.b2
        await a1.send(frame(INVITATION, member=a1.member, channel="room",
                            members=[{"id": b2.session_id}]))
        await a1.expect(frame(ERROR_MEMBER_CHANNEL,
                              member={"id": b2.session_id, "name": "", "info": ""},
                              channel="room", error=sgc_error(3)))
        for x in self.A + self.B:
            await x.barrier()

    async def test_every_key_in_redis_has_one_of_the_two_prefixes(self):
        keys = self.redis.command("KEYS", "*")
        self.assertTrue(any(k.startswith(PREFIX_A) for k in keys), keys)
        self.assertTrue(any(k.startswith(PREFIX_B) for k in keys), keys)
        self.assertEqual([k for k in keys if not k.startswith((PREFIX_A, PREFIX_B))], [], keys)
        channels = self.redis.command("PUBSUB", "CHANNELS", "*")
        self.assertEqual([c for c in channels if not c.startswith((PREFIX_A, PREFIX_B))], [],
                         channels)

    async def test_a_node_killed_in_one_deployment_leaves_the_other_alone(self):
        a1, a2, b2 = self.a1, self.a2, self.b2
        # A's n2 dies; B has a node n2 too.
        self.servers[1].kill()
        got = await self.expect_frames(a1, departures(a2.member, ["room"]))
        self.assertEqual(got[-1]["method"], "sgc@presence@member@remove")
        await self.assert_members(a1, "", [a1])
        # B's members saw nothing of it (A's death was announced before B's next publish,
        # which is therefore their next frame), and still see each other.
        await b2.send(b2.request(PUBLISH, channel="", text="still here"))
        for x in self.B:
            await x.expect(frame(PUBLISH, member=b2.member, channel="", text="still here"))
        for x in self.B:
            await self.assert_members(x, "", self.B)
            await self.assert_members(x, "room", self.B)
            await x.barrier()
        await a1.barrier()


if __name__ == "__main__":
    unittest.main()
