# SPDX-License-Identifier: Apache-2.0
"""The operator's console over plain HTTP: /admin and its files are served only where the
admin API is (never without an admin key; on the admin address when there is one), with
the headers that keep a page holding the key safe; and the admin API's parts the console
draws: the counters of /api/info (exact deltas against traffic the test makes and waits
for), its nodes (one node; two nodes sharing Redis), and /api/members in pages.
"""

import unittest

from presence_harness import (
    MEMBER_REMOVE, PARSE_ERROR, PUBLISH, PresenceTestCase, ServerProcess, frame, member_obj)
from test_operations_http import (
    KEY, NOBODY, Operations, api, cluster_harness, eventually, free_port, request)

PAGE = "/admin"
FILES = {"/admin/console.js": "text/javascript; charset=utf-8",
         "/admin/console.css": "text/css; charset=utf-8",
         "/admin/icon.svg": "image/svg+xml"}
CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"


class ConsoleServed(Operations):
    """The page and its files on the main port, with an admin key and no admin address."""

    def test_the_page_and_its_files_with_their_headers(self):
        for path in (PAGE, "/admin/", "/admin/index.html"):
            status, headers, body = request(self.port, "GET", path)
            self.assertEqual(status, 200, path)
            self.assertEqual(headers["content-type"], "text/html; charset=utf-8", path)
            self.assertIn(b'<script type="module" src="/admin/console.js">', body, path)
            self.assert_guarded(headers, path)
        for path, content_type in FILES.items():
            status, headers, body = request(self.port, "GET", path)
            self.assertEqual((status, headers["content-type"]), (200, content_type), path)
            self.assertGreater(len(body), 100, path)
            self.assert_guarded(headers, path)

    def assert_guarded(self, headers, path):
        self.assertEqual(headers["content-security-policy"], CSP, path)
        self.assertEqual(headers["x-frame-options"], "DENY", path)
        self.assertEqual(headers["x-content-type-options"], "nosniff", path)
        self.assertEqual(headers["referrer-policy"], "no-referrer", path)
        self.assertEqual(headers["cache-control"], "no-cache", path)

    def test_the_page_holds_no_inline_script_or_style(self):
        # The policy would block them: the page must not need them.
        _, _, body = request(self.port, "GET", PAGE)
        text = body.decode("utf-8")
        self.assertEqual(text.count("<script"), 1)
        self.assertNotIn("<style", text)
        self.assertNotIn(" style=", text)
        self.assertNotRegex(text, r"\son[a-z]+=")

    def test_revalidation_head_and_what_is_not_there(self):
        status, headers, _ = request(self.port, "GET", "/admin/console.js")
        etag = headers["etag"]
        status, headers, body = request(self.port, "GET", "/admin/console.js", headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        self.assertEqual(headers["x-frame-options"], "DENY")
        status, headers, body = request(self.port, "HEAD", PAGE)
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(headers["content-security-policy"], CSP)
        for path in ("/admin/nothing.js", "/admin/../index.html", "/adminx", "/console.js"):
            self.assertEqual(request(self.port, "GET", path)[0], 404, path)
        status, headers, _ = request(self.port, "POST", PAGE, body=b"{}")
        self.assertEqual((status, headers["allow"]), (405, "GET, HEAD"))

    def test_the_api_answers_are_not_stored_nor_sniffed(self):
        for key in (KEY, "wrong"):
            status, headers, _ = api(self.port, "GET", "/api/info", key=key)
            self.assertEqual(status, 200 if key == KEY else 401)
            self.assertEqual(headers["cache-control"], "no-store")
            self.assertEqual(headers["x-content-type-options"], "nosniff")


class ConsoleWithoutKey(Operations):
    """No admin key: no API, so no console either, as if it did not exist."""

    SERVER_ARGS = ()

    def test_404_everywhere(self):
        for path in (PAGE, "/admin/", *FILES):
            status, headers, _ = request(self.port, "GET", path)
            self.assertEqual(status, 404, path)
            self.assertNotIn("content-security-policy", headers, path)
        self.assertEqual(request(self.port, "GET", "/")[0], 200)


class ConsoleOnTheAdminAddress(Operations):
    """With an admin address, the console is there and only there."""

    def start_servers(self):
        self.admin_port = free_port()
        server = ServerProcess("--admin-api-key", KEY, "--admin-address", f"127.0.0.1:{self.admin_port}")
        self.addCleanup(server.stop)
        return [server]

    def test_served_on_the_admin_address_only(self):
        for path in (PAGE, *FILES):
            self.assertEqual(request(self.admin_port, "GET", path)[0], 200, path)
            self.assertEqual(request(self.port, "GET", path)[0], 404, path)
        _, headers, _ = request(self.admin_port, "GET", PAGE)
        self.assertEqual(headers["content-security-policy"], CSP)
        # The demo page stays on the main port.
        self.assertEqual(request(self.port, "GET", "/")[0], 200)
        self.assertEqual(request(self.admin_port, "GET", "/")[0], 404)


class InfoForTheConsole(Operations):
    """The counters and nodes of /api/info, as the console draws them."""

    SERVER_ARGS = ("--admin-api-key", KEY, "--namespace", "sales", "--node-id", "n7")

    def info(self):
        status, _, body = api(self.port, "GET", "/api/info")
        self.assertEqual(status, 200)
        return body

    def totals_moved(self, before, **moved):
        """The totals now, having moved by exactly `moved` (the others not at all)."""
        after = self.info()["totals"]
        self.assertEqual({k: after[k] - before[k] for k in after},
                         {k: moved.get(k, 0) for k in after})
        return after

    async def test_totals_follow_joins_leaves_publishes_deliveries_and_errors(self):
        a = await self.joined("alice")
        b = await self.joined("bob", others=[a])
        await a.subscribe("room")
        await b.subscribe("room", others=[a])
        totals = self.info()["totals"]
        self.assertEqual(set(totals), {"joins", "leaves", "publishes", "deliveries", "errors"})

        # A join: announced to the 3 members, carol included.
        c = await self.joined("carol", others=[a, b])
        totals = self.totals_moved(totals, joins=1, deliveries=3)
        # A publish to room's 2 members, and the API's to all 3.
        await a.send(a.request(PUBLISH, channel="room", text="hi"))
        for x in (a, b):
            await x.expect(frame(PUBLISH, member=a.member, channel="room", text="hi"))
        totals = self.totals_moved(totals, publishes=1, deliveries=2)
        self.assertEqual(api(self.port, "POST", "/api/publish", {"text": "all"})[0], 200)
        for x in (a, b, c):
            await x.expect(frame(PUBLISH, member=NOBODY, channel="", text="all"))
        totals = self.totals_moved(totals, publishes=1, deliveries=3)
        # An error answered.
        await c.send_raw("not json")
        self.assertEqual((await c.recv())["error"]["code"], PARSE_ERROR)
        totals = self.totals_moved(totals, errors=1)
        # A leave, as the others hear it.
        await c.close()
        for x in (a, b):
            await x.expect(frame(MEMBER_REMOVE, member=c.member))
        after = self.info()["totals"]
        self.assertEqual(after["leaves"] - totals["leaves"], 1)
        # The same figures as /metrics gives.
        m = self.metrics()
        self.assertEqual(after["deliveries"], m.value("presence_fanout_deliveries_total"))
        errors = [v for (name, _), v in m.samples.items() if name == "presence_errors_total"]
        self.assertEqual(after["errors"], sum(errors))
        await a.barrier()

    async def test_one_node_is_this_one_with_every_namespace_s_members(self):
        a = await self.joined("alice")
        s = await self.connect("sam", subprotocols=("sales.presence.esegece.com",))
        await s.join("sam")
        info = self.info()
        self.assertEqual(info["nodes"], [{"id": "n7", "members": 2, "self": True}])
        self.assertNotIn("problem", info)
        await a.barrier()
        await s.barrier()


class MembersInPages(Operations):

    async def test_limit_and_after_give_pages_in_the_order_of_the_ids(self):
        clients = []
        for i in range(5):
            c = await self.joined(f"m{i}", others=clients)
            await c.subscribe("room", others=clients)
            clients.append(c)
        ids = sorted(c.member["id"] for c in clients)
        by_id = {c.member["id"]: member_obj(c.member) for c in clients}
        for channel in ("room", ""):
            query = f"channel={channel}&" if channel else ""
            status, _, first = api(self.port, "GET", f"/api/members?{query}limit=2")
            self.assertEqual((status, first), (200, {"members": [by_id[i] for i in ids[:2]], "total": 5}), channel)
            _, _, second = api(self.port, "GET", f"/api/members?{query}limit=2&after={ids[1]}")
            self.assertEqual(second, {"members": [by_id[i] for i in ids[2:4]], "total": 5}, channel)
            _, _, last = api(self.port, "GET", f"/api/members?{query}limit=10&after={ids[3]}")
            self.assertEqual(last, {"members": [by_id[ids[4]]], "total": 5}, channel)
        for query in ("limit=0", "limit=-1", "limit=x", "limit=", "limit=2x", f"after={ids[0]}"):
            self.assert_api_error(api(self.port, "GET", f"/api/members?{query}"), 400)
        for c in clients:
            await c.barrier()


class ChannelsLargestFirst(Operations):

    async def test_top_gives_the_largest_and_match_filters_the_names(self):
        a = await self.joined("a")
        b = await self.joined("b", others=[a])
        c = await self.joined("c", others=[a, b])
        for channel in ("room-a", "room-b", "lobby", "Zed"):
            await a.subscribe(channel)
        for channel in ("room-a", "room-b", "lobby"):
            await b.subscribe(channel, others=[a])
        await c.subscribe("room-a", others=[a, b])

        def channels(query):
            status, _, body = api(self.port, "GET", f"/api/channels?{query}")
            self.assertEqual(status, 200, query)
            return [(ch["name"], ch["members"]) for ch in body.pop("channels")], body

        self.assertEqual(channels(""), ([("Zed", 1), ("lobby", 2), ("room-a", 3), ("room-b", 2)],
                                        {"total": 4, "everyone": 3}))
        # Ties by name; `total` counts every channel, `top` or not.
        self.assertEqual(channels("top=3"), ([("room-a", 3), ("lobby", 2), ("room-b", 2)],
                                             {"total": 4, "everyone": 3}))
        self.assertEqual(channels("top=10")[0], [("room-a", 3), ("lobby", 2), ("room-b", 2), ("Zed", 1)])
        # Names that hold the text, whatever the case of its letters.
        self.assertEqual(channels("match=ROOM"), ([("room-a", 3), ("room-b", 2)], {"total": 2, "everyone": 3}))
        self.assertEqual(channels("match=room&top=1"), ([("room-a", 3)], {"total": 2, "everyone": 3}))
        self.assertEqual(channels("match=z"), ([("Zed", 1)], {"total": 1, "everyone": 3}))
        self.assertEqual(channels("match=nowhere"), ([], {"total": 0, "everyone": 3}))
        for query in ("top=0", "top=-2", "top=x"):
            self.assert_api_error(api(self.port, "GET", f"/api/channels?{query}"), 400, "top")
        for x in (a, b, c):
            await x.barrier()


class NodesSharingRedis(PresenceTestCase):
    """Each node's /api/info lists every node sharing the view, itself first, with its
    members; a node without members too; a node found dead leaves the list."""

    def start_servers(self):
        return cluster_harness.start_deployment(self, 3, ("--admin-api-key", KEY), node_timeout=1)

    def nodes_of(self, server):
        status, _, info = api(server.port, "GET", "/api/info")
        self.assertEqual(status, 200)
        return info["nodes"]

    async def test_every_node_is_listed_with_its_members(self):
        n1, n2, n3 = self.servers
        a = await self.joined("alice", node=0)
        b = await self.joined("bob", node=0, others=[a])
        c = await self.joined("carol", node=1, others=[a, b])
        want = {"n1": 2, "n2": 1, "n3": 0}

        def listed(server):
            nodes = self.nodes_of(server)
            got = {n["id"]: n["members"] for n in nodes}
            return nodes if got == want else None

        for server in (n1, n2, n3):
            nodes = await eventually(lambda: listed(server), f"{server.node_id} listing every node")
            self.assertEqual(nodes[0], {"id": server.node_id, "members": want[server.node_id], "self": True})
            self.assertEqual([n["id"] for n in nodes[1:]], sorted(set(want) - {server.node_id}))
            self.assertFalse(any(n["self"] for n in nodes[1:]))

        await c.close()
        for x in (a, b):
            await x.expect(frame(MEMBER_REMOVE, member=c.member))
        want = {"n1": 2, "n2": 0, "n3": 0}
        for server in (n1, n2, n3):
            await eventually(lambda: listed(server), f"{server.node_id} after carol left")

        n3.kill()
        want = {"n1": 2, "n2": 0}
        for server in (n1, n2):
            await eventually(lambda: listed(server), f"{server.node_id} without the dead node")
        for x in (a, b):
            await x.barrier()


class ProblemOfTheEngine(PresenceTestCase):
    """/api/info says what /readyz says while Redis is away, and nothing once it is back."""

    def start_servers(self):
        return cluster_harness.start_deployment(self, 1, ("--admin-api-key", KEY), node_timeout=1)

    def problem(self):
        status, _, info = api(self.server.port, "GET", "/api/info")
        self.assertEqual(status, 200)
        return info.get("problem")

    async def test_problem_while_redis_is_away(self):
        self.assertIsNone(self.problem())
        self.redis.kill()
        await cluster_harness.await_ready(self.server, 503)
        self.assertIn("Redis", self.problem())
        self.redis.restart()
        await cluster_harness.await_ready(self.server, 200)
        self.assertIsNone(self.problem())


if __name__ == "__main__":
    unittest.main()
