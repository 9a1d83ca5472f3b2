#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A hook application for presence-server (docs/operations.md, "Server hooks over HTTP"),
with Python's standard library only.

    python3 examples/hook_app.py --port 9000 --secret "$HOOK_SECRET"
    presence-server --hook-url http://127.0.0.1:9000/decide --hook-secret "$HOOK_SECRET"

The server POSTs one JSON request per decision, signed; this application checks the
signature, then answers {"allow": true} or {"allow": false, "code": N, "text": "..."}.
Its rules, one per event:

- join: names starting with "admin" are refused; every other name is trimmed of spaces
  and the member's info set to what the application knows of it (a join may be renamed);
- subscribe: channels starting with "private-" are refused; a new channel starting with
  "locked-" may not be created (code 6, the sgc "new channel denied");
- publish: a message with a word of BANNED is refused, with a text saying why;
- get-members: the list of everyone (the empty channel) is for members with a token only;
- invite: at most 5 invitees at once.

It prints "hook application listening on http://HOST:PORT/" once it serves.
"""

import argparse
import hashlib
import hmac
import http.server
import json
import os
import sys
import time

TOLERANCE = 300  # seconds: older requests are refused, so that a captured one cannot be replayed
BANNED = {"spam", "scam"}


def verified(secret, timestamp, signature, body):
    """Whether the request is the server's: a recent timestamp, and the HMAC-SHA256 of
    "timestamp.body" under the shared secret."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= TOLERANCE
    except ValueError:
        return False
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return fresh and hmac.compare_digest(expected, signature)


def allow(**replacements):
    return {"allow": True, **replacements}


def deny(text, code=None):
    answer = {"allow": False, "text": text}
    if code is not None:
        answer["code"] = code
    return answer


def on_join(request):
    member = request["member"]
    if member["name"].lower().startswith("admin"):
        return deny("that name is reserved")
    return allow(name=member["name"].strip(), info=f"joined from {request['address'].rsplit(':', 1)[0]}")


def on_subscribe(request):
    channel = request["channel"]
    if channel.startswith("private-"):
        return deny("private channels are by invitation")
    if request["new_channel"] and channel.startswith("locked-"):
        return deny("locked channels are opened by the staff", code=6)
    return allow()


def on_publish(request):
    words = set(request["message"].lower().split())
    if words & BANNED:
        return deny("message refused: " + ", ".join(sorted(words & BANNED)))
    return allow()


def on_get_members(request):
    if request["channel"] == "" and request["token"] is None:
        return deny("the list of everyone is for signed-in members")
    return allow()


def on_invite(request):
    if len(request["invitees"]) > 5:
        return deny("at most 5 invitees at once")
    return allow()


RULES = {"join": on_join, "subscribe": on_subscribe, "publish": on_publish,
         "get-members": on_get_members, "invite": on_invite}


def handler_for(secret):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # the server keeps its connections open

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if not verified(secret, self.headers.get("X-Presence-Timestamp", ""),
                            self.headers.get("X-Presence-Signature", ""), body):
                # Not the server: no decision, and the server's failure policy applies.
                return self.answer(401, {"error": "bad signature"})
            request = json.loads(body)
            rule = RULES.get(request["event"], lambda _: allow())
            self.answer(200, rule(request))

        def answer(self, status, obj):
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000, help="0: any free port")
    parser.add_argument("--secret", default=os.environ.get("HOOK_SECRET", ""),
                        help="the server's --hook-secret (default: $HOOK_SECRET)")
    args = parser.parse_args()
    if not args.secret:
        parser.error("a secret is required: --secret or HOOK_SECRET")
    server = http.server.ThreadingHTTPServer((args.host, args.port), handler_for(args.secret.encode()))
    server.daemon_threads = True
    print(f"hook application listening on http://{args.host}:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
