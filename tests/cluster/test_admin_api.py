# SPDX-License-Identifier: Apache-2.0
"""The admin API (docs/operations.md) of nodes sharing one Redis: every node answers for the
whole deployment (info, channels, members), a publish on one node reaches the members of
every node, and a disconnect ends only a connection of the node asked, telling a member
connected to another node (404) from one that does not exist (404 too, another reason);
a member waiting to resume is ended by the node that holds it."""

import asyncio
import os
import sys
import unittest

from cluster_harness import ClusterTestCase, departures
from presence_harness import HELLO, MEMBER_REMOVE, PUBLISH, SERVER_FEATURES, frame

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interop")))
from test_operations_http import KEY, NOBODY, api  # noqa: E402  (tests/interop, on the path above)

RESUME_TOKEN = "ext@presence@resume@token"
RESUME = "ext@presence@resume"


class AdminApiOnTwoNodes(ClusterTestCase):

    NODES = 2
    NODE_ARGS = ("--admin-api-key", KEY)

    def call(self, node, method, path, body=None):
        """(status, decoded JSON) of an admin API call to node `node`, off the event loop."""
        return asyncio.to_thread(lambda: api(self.servers[node].port, method, path, body)[::2])

    async def room_on_both(self):
        """alice on n1 and bob on n2, both in "room"."""
        a = await self.connect("alice", node=0)
        await a.join("alice", "north")
        b = await self.connect("bob", node=1)
        await b.join("bob", "south", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        return a, b

    async def test_every_node_answers_for_the_whole_deployment(self):
        a, b = await self.room_on_both()
        for node, server in enumerate(self.servers):
            status, info = await self.call(node, "GET", "/api/info")
            self.assertEqual(status, 200)
            self.assertEqual((info["node_id"], info["engine"], info["connections"], info["members"],
                              info["channels"]), (server.node_id, "redis", 1, 2, 1), info)
            self.assertEqual(await self.call(node, "GET", "/api/channels"),
                             (200, {"channels": [{"name": "room", "members": 2}], "total": 1,
                                    "everyone": 2}))
            status, body = await self.call(node, "GET", "/api/members?channel=room")
            self.assertEqual(status, 200)
            self.assertCountEqual(body["members"], [a.member, b.member])
        for x in (a, b):
            await x.barrier()

    async def test_a_publish_on_one_node_reaches_the_members_of_every_node(self):
        a, b = await self.room_on_both()
        for node, channel in ((0, "room"), (1, "")):
            text = f"from node {node + 1}"
            self.assertEqual(await self.call(node, "POST", "/api/publish", {"text": text, "channel": channel}),
                             (200, {"published": True, "members": 2}))
            for x in (a, b):
                await x.expect(frame(PUBLISH, member=NOBODY, channel=channel, text=text))
        for x in (a, b):
            await x.barrier()

    async def test_a_disconnect_ends_a_connection_of_the_node_asked_only(self):
        a, b = await self.room_on_both()
        status, body = await self.call(0, "POST", "/api/disconnect", {"id": b.session_id})
        self.assertEqual(status, 404, body)
        self.assertIn(f'"{b.session_id}" is connected to another node', body["error"]["message"])
        status, body = await self.call(0, "POST", "/api/disconnect", {"id": "nobody-at-all"})
        self.assertEqual(status, 404, body)
        self.assertIn('no member "nobody-at-all"', body["error"]["message"])
        await b.barrier()  # still connected, nothing announced
        await a.barrier()

        self.assertEqual(await self.call(1, "POST", "/api/disconnect", {"id": b.session_id}),
                         (200, {"disconnected": True}))
        self.assertEqual(await b.expect_closed(4000), departures(b.member, ["room"]))
        for f in departures(b.member, ["room"]):
            await a.expect(f)
        await a.barrier()
        status, _ = await self.call(0, "POST", "/api/disconnect", {"id": b.session_id})
        self.assertEqual(status, 404)

    async def test_a_member_waiting_to_resume_is_ended_by_its_node(self):
        c = await self.connect("carol", node=0)  # stays on n1, for bob's barriers
        await c.join("carol")
        a = await self.connect("alice", node=0)
        await a.send(frame(HELLO, text="invitation-response,resume"))
        await a.expect(frame(HELLO, text=SERVER_FEATURES))
        token = await a.recv()
        self.assertEqual(token["method"], RESUME_TOKEN, token)
        await a.join("alice", others=[c])
        b = await self.connect("bob", node=1)
        await b.join("bob", others=[c, a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        a.ws.transport.abort()  # lost: n1 keeps alice for the grace period
        self.clients.remove(a)
        await b.barrier()  # nobody is told of it
        await c.barrier()

        status, body = await self.call(1, "POST", "/api/disconnect", {"id": a.session_id})
        self.assertEqual(status, 404, body)
        self.assertIn("is connected to another node", body["error"]["message"])
        self.assertEqual(await self.call(0, "POST", "/api/disconnect", {"id": a.session_id}),
                         (200, {"disconnected": True}))
        for f in departures(a.member, ["room"]):
            await b.expect(f)
        await c.expect(frame(MEMBER_REMOVE, member=a.member))
        for x in (b, c):
            await x.barrier()
        again = await self.connect("alice again", node=0)
        await again.send(frame(RESUME, text=f"{token['message']['text']}:0"))
        await again.expect(frame(RESUME, text="expired"))

if __name__ == "__main__":
    unittest.main()
