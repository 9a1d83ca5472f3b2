# SPDX-License-Identifier: Apache-2.0
"""A plain WebSocket relay for presence-bench's raw mode in the smoke test: every message
goes to every connection, the sender included. Written with Python's `websockets`, a
server we did not write. Prints "relay listening on PORT" once it listens (port 0 = any).

    python3 raw_relay.py [PORT]
"""

import asyncio
import sys

import websockets

connections = set()


async def relay(ws, _path):
    connections.add(ws)
    try:
        async for message in ws:
            websockets.broadcast(connections, message)
    finally:
        connections.discard(ws)


async def main(port):
    async with websockets.serve(relay, "127.0.0.1", port, max_queue=None) as server:
        print(f"relay listening on {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
