#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed inputs of fuzz/corpus/: for `decode`, every frame example of
docs/protocol.md, frames at the edges of the rules (bad, odd or rare) and broker messages
of several namespaces; for `service`, scripts that reach joins, channels, publishing,
invitations, acknowledgment, resuming, the limits, diffs, pages and counts; for `token`,
signed tokens (HS256, RS256, ES256) valid and not, and claims to be signed by the target;
for `handshake`, upgrade requests as clients write them, with tokens, namespaces and the
broker, and plain HTTP requests. Run it again after changing the script format of
fuzz_service.cpp or the examples of the protocol.

Needs /usr/bin/python3 with python3-jwt and python3-cryptography. Each run makes a new RSA
and EC key pair: the public halves go to fuzz/keys/, which fuzz_token and fuzz_handshake
verify with; the private halves sign the seeds and are not kept."""
import base64
import hashlib
import hmac
import json
import pathlib

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

FUZZ = pathlib.Path(__file__).resolve().parent
PROTOCOL = FUZZ.parent / "docs" / "protocol.md"

EDGE_FRAMES = {
    "not-json": b'{"jsonrpc":"2.0",',
    "not-object": b'["sgc@presence@ping"]',
    "wrong-version": b'{"jsonrpc":"1.0","method":"ext@presence@ping"}',
    "unknown-method": b'{"jsonrpc":"2.0","method":"sgc@presence@nothing","id":"x1"}',
    "method-bad-base64": b'{"jsonrpc":"2.0","method":"sgc@b64:@@@@"}',
    "member-not-object": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":"Ann"}',
    "members-not-array": b'{"jsonrpc":"2.0","method":"sgc@presence@channel@invitation","members":{}}',
    "code-too-big": b'{"jsonrpc":"2.0","method":"sgc@presence@error@member@channel","error":{"code":4294967296,"text":""}}',
    "code-fraction": b'{"jsonrpc":"2.0","method":"sgc@presence@error@member@channel","error":{"code":3.0}}',
    "nulls": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":null,"name":null},"channel":null,"id":null}',
    "extra-keys": b'{"x":[1,{"y":2}],"jsonrpc":"2.0","method":"sgc@presence@get@members","channel":{"name":"r","z":true}}',
    "bad-utf8-base64": b'{"jsonrpc":"2.0","method":"ext@presence@ping","id":"sgc@b64:/w=="}',
    "double-base64": b'{"jsonrpc":"2.0","method":"sgc@presence@publish@msg","message":{"text":"sgc@b64:c2djQGI2NDphR2s9"}}',
    "escapes": b'{"jsonrpc":"2.0","method":"sgc@presence@member@new","member":{"id":"","name":"\\u00e9\\n","info":"a\\r\\nb"}}',
    "acknowledgment": b'{"jsonrpc":"2.0","method":"sgc@presence@acknowledgment","id":"id-1"}',
    "request-with-id": b'{"jsonrpc":"2.0","method":"sgc@presence@channel@member@new","channel":{"name":"room"},"id":"id-2"}',
}


def doc_frames():
    """Each frame example of the protocol once, a frame written over several lines joined
    into one; an example shortened with an ellipsis is not a frame and is left out."""
    frames = []
    text = ""
    for line in PROTOCOL.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith('{"jsonrpc"'):
            text = line
        elif not text:
            continue
        else:
            text += line
        try:
            json.loads(text)
        except ValueError:
            if not line or line.startswith("```"):
                text = ""
            continue
        frame = text.encode()
        text = ""
        if frame not in frames:
            frames.append(frame)
    return frames


# Broker messages: the endpoint id's length in three digits, the id, the frame. The
# namespaces of a broker connection, the default one included, and ids that are not ours.
def broker(guid, frame):
    endpoint = f"{guid}.presence.esegece.com" if guid else "presence.esegece.com"
    return f"{len(endpoint):03}{endpoint}".encode() + frame


BROKER_FRAMES = {
    "default-join": broker("", b'{"jsonrpc":"2.0","method":"sgc@presence@member@new",'
                               b'"member":{"id":"","name":"Ann","info":""}}'),
    "sales-subscribe": broker("sales", b'{"jsonrpc":"2.0","method":"sgc@presence@channel@member@new",'
                                       b'"channel":{"name":"room-1"},"id":"b-1"}'),
    "support-publish": broker("support", b'{"jsonrpc":"2.0","method":"sgc@presence@publish@msg",'
                                         b'"channel":{"name":"desk"},"message":{"text":"hi"}}'),
    "guid-diff": broker("{9A1F5C3E-2B7D-4E8A-9C6B-1D2E3F4A5B6C}",
                        b'{"jsonrpc":"2.0","method":"ext@presence@diff","channel":{"name":"stage"},'
                        b'"message":{"text":"1 2"},"members":[{"id":"m1","name":"Bob","info":""},'
                        b'{"id":"m2","name":"Cid","info":""}]}'),
    "other-endpoint": b"019chat.esegece.com" + b'{"jsonrpc":"2.0","method":"ext@presence@ping"}',
    "short-id": b"099sales.presence",
    "empty-payload": broker("sales", b""),
}

# The large-room extensions, as the server writes them and as clients ask.
EXTENSION_FRAMES = {
    "page-request-cursor": b'{"jsonrpc":"2.0","method":"ext@presence@get@members@page","member":{"id":"m0",'
                           b'"name":"Ann","info":""},"channel":{"name":"room-1"},"message":{"text":"2:m1"}}',
    "page": b'{"jsonrpc":"2.0","method":"ext@presence@members@page","member":{"id":"m0","name":"Ann","info":""},'
            b'"channel":{"name":"room-1"},"message":{"text":"m2"},"members":[{"id":"m1","name":"Bob","info":""},'
            b'{"id":"m2","name":"Cid","info":"","user":"u2"}]}',
    "last-page": b'{"jsonrpc":"2.0","method":"ext@presence@members@page","channel":{"name":""},'
                 b'"message":{"text":""},"members":[]}',
    "get-count": b'{"jsonrpc":"2.0","method":"ext@presence@get@count","channel":{"name":""}}',
    "counts-off": b'{"jsonrpc":"2.0","method":"ext@presence@channel@counts","channel":{"name":"stage"},'
                  b'"message":{"text":"off"}}',
    "diff-left-only": b'{"jsonrpc":"2.0","method":"ext@presence@diff","channel":{"name":""},'
                      b'"message":{"text":"0 1"},"members":[{"id":"m3","name":"Dan","info":""}]}',
}


# The script of fuzz_service.cpp: byte 0 the options, then steps.
ACK, BASE64, NO_RESUME, TIGHT_RATES, SMALL_CHANNELS, CLOSE_AT_END = 1, 2, 4, 8, 16, 32
OPS = ["connect", "connect_granted", "receive", "disconnect", "lose", "tick", "acknowledge",
       "resume", "broadcast"]


def step(link, op, payload=b""):
    return bytes([OPS.index(op) * 4 + link]) + len(payload).to_bytes(2, "big") + payload


def frame(method, member=None, channel=None, text=None, members=None, id=None):
    f = {"jsonrpc": "2.0", "method": method}
    if member is not None:
        f["member"] = {"id": member[0], "name": member[1], "info": member[2]}
        if len(member) > 3:
            f["member"]["user"] = member[3]
    if channel is not None:
        f["channel"] = {"name": channel}
    if text is not None:
        f["message"] = {"text": text}
    if members is not None:
        f["members"] = [{"id": m, "name": "", "info": ""} for m in members]
    if id is not None:
        f["id"] = id
    return json.dumps(f, separators=(",", ":")).encode()


def send(link, method, **parts):
    return step(link, "receive", frame(method, **parts))


def join(link, name="ann", granted=True, flags=0):
    connect = step(link, "connect_granted", bytes([flags])) if granted else step(link, "connect")
    member = (f"m{link}", name, "desk") if granted else ("", name, "")
    return connect + send(link, "sgc@presence@member@new", member=member)


def hello(link, features="invitation-response,resume"):
    return send(link, "ext@presence@hello", text=features)


def enter(link, channel="room-1"):
    return send(link, "sgc@presence@channel@member@new", channel=channel)


def say(link, text="hi", channel="room-1"):
    return send(link, "sgc@presence@publish@msg", channel=channel, text=text)


def tick(tens=0):
    return step(0, "tick", bytes([tens]))


SCRIPTS = {
    "join": [0, join(0)],
    "join-anonymous": [0, join(0, granted=False), send(0, "sgc@presence@get@members", channel="")],
    "join-twice": [0, join(0), send(0, "sgc@presence@member@new", member=("m0", "x", ""))],
    "join-as-someone-else": [0, step(0, "connect_granted", b"\0"),
                             send(0, "sgc@presence@member@new", member=("m1", "x", ""))],
    "room": [0, join(0), join(1, "bob"), enter(0), enter(1), say(0), send(1, "sgc@presence@get@members", channel="room-1"),
             send(0, "sgc@presence@channel@member@remove", channel="room-1"), send(1, "sgc@presence@member@remove")],
    "say-to-everyone": [0, join(0), join(1), say(0, channel=""), step(2, "broadcast", b"\1news")],
    "invite-accepted": [0, join(0), join(1, "bob"), hello(0), enter(0),
                        send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1", "m3"]), enter(1)],
    "invite-refused": [0, join(0), hello(0), join(1, "bob"), enter(0),
                       send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1"]),
                       send(1, "ext@presence@channel@invitation@response", member=("m0", "", ""),
                            channel="room-1", text="refused")],
    "invite-denied": [0, join(0), join(1, "quiet"), enter(0),
                      send(0, "sgc@presence@channel@invitation", channel="room-1", members=["m1"])],
    "invite-many": [TIGHT_RATES, join(0), join(1), join(2), join(3), hello(1),
                    send(1, "sgc@presence@channel@invitation", channel="room-1", members=["m0", "m2", "m3"]),
                    send(1, "sgc@presence@channel@invitation", channel="room-2", members=["m0", "m2"]),
                    send(1, "sgc@presence@channel@invitation", channel="room-3", members=["m0"]), enter(0, "room-3")],
    "hooks-refuse": [0, join(0, "deny"), join(1), enter(1, "deny"), enter(1, "room-0"), enter(1),
                     say(1, "deny"), send(1, "sgc@presence@get@members", channel="nowhere")],
    "quiet-lists": [0, join(0, "quiet"), send(0, "sgc@presence@get@members", channel="")],
    "limits": [SMALL_CHANNELS, join(0, "a-very-long-name"), join(0), join(1), join(2), enter(0, "room-1"),
               enter(1, "room-1"), enter(2, "room-1"), enter(0, "room-2"), enter(0, "room-3"), enter(0, "room-4"),
               enter(0, "room-with-a-long-name")],
    "rate": [TIGHT_RATES, join(0)] + [step(0, "receive", frame("ext@presence@ping"))] * 10,
    "garbage": [0, join(0)] + [step(0, "receive", b"{")] * 5 + [send(0, "ext@presence@ping")],
    "wrong-requests": [0, step(0, "connect"), send(0, "sgc@presence@session"), send(0, "sgc@presence@publish@msg"),
                       join(0), send(0, "sgc@presence@publish@msg", channel="room-1"),
                       send(0, "sgc@presence@channel@invitation", channel="room-1", members=[]),
                       send(0, "sgc@presence@channel@member@remove", channel="room-9")],
    "granted": [0, join(0, flags=1), enter(0, "room-1"), enter(0, "hall"), say(0, channel="room-1"), say(0, channel=""),
                join(1, flags=2), send(1, "sgc@presence@get@members", channel="room-1")],
    "grant-ends": [0, join(0, flags=5), join(1, flags=4), tick(6), step(0, "disconnect"), step(1, "lose")],
    "ack": [ACK, join(0), join(1), enter(0), enter(1), say(1), step(0, "acknowledge", b"\0"),
            step(0, "acknowledge", b"\3"), tick(30), tick(30), tick(30)],
    "ack-ids-in": [0, join(0), send(0, "sgc@presence@channel@member@new", channel="room-1", id="a"),
                   send(0, "sgc@presence@channel@member@new", channel="room-1", id="a"),
                   send(0, "sgc@presence@acknowledgment", id="nothing")],
    "base64": [BASE64, join(0), step(0, "receive",
                                    b'{"jsonrpc":"2.0","method":"sgc@b64:c2djQHByZXNlbmNlQGNoYW5uZWxAbWVtYmVyQG5ldw==",'
                                    b'"channel":{"name":"sgc@b64:cm9vbQ=="},"id":"sgc@b64:aWQtMQ=="}'),
               say(0, "sgc@b64:aGk=", "room"), say(0, channel="room")],
    "ack-base64": [ACK | BASE64, join(0), join(1), enter(0), step(0, "acknowledge", b"\1"), tick(30)],
    "resume": [0, step(0, "connect_granted", b"\0"), hello(0), send(0, "sgc@presence@member@new", member=("m0", "a", "")),
               enter(0), join(1), enter(1), step(0, "lose"), say(1), say(1), step(2, "connect_granted", b"\0"),
               step(2, "resume", b"\0\2"), step(0, "connect_granted", b"\0"), step(0, "resume", b"\0\2"), say(1)],
    "resume-same-identity": [0, step(0, "connect_granted", b"\0\3"), hello(0, "resume"),
                             send(0, "sgc@presence@member@new", member=("m3", "a", "")), step(0, "lose"),
                             step(1, "connect_granted", b"\0\3"), step(1, "resume", b"\0\0")],
    "resume-resync": [0, step(0, "connect"), hello(0), join(0, granted=False), enter(0), join(1), enter(1),
                      step(0, "lose")] + [say(1)] * 6 + [step(0, "connect"), step(0, "resume", b"\0\0")],
    "resume-live-link": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(1, "connect"),
                         step(1, "resume", b"\0\1"), step(1, "lose"), step(2, "connect"), step(2, "resume", b"\0\1")],
    "resume-expires": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose"), tick(2),
                       tick(2), step(1, "connect"), step(1, "resume", b"\0\0")],
    "resume-refused": [0, step(0, "connect"), hello(0, "resume"), step(0, "resume", b"\0\0"), step(1, "connect"),
                       join(1), step(1, "resume", b"\0\0"), send(1, "ext@presence@resume", text="no-count")],
    "resume-off": [NO_RESUME, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose")],
    "resume-ack": [ACK, step(0, "connect"), hello(0), join(0, granted=False), join(1), step(0, "lose"), say(1, channel=""),
                   step(2, "connect"), step(2, "resume", b"\0\0"), step(2, "acknowledge", b"\0"), tick(30)],
    "shutdown-gentle": [CLOSE_AT_END, join(0), join(1), enter(0), step(1, "connect"), hello(1, "resume"),
                        step(1, "lose")],
    "shutdown-at-once": [0, step(0, "connect"), hello(0, "resume"), join(0, granted=False), step(0, "lose"),
                         join(1), join(2), enter(2)],
    "users": [0, join(0), hello(0, "users"), enter(0), step(1, "connect"),
              send(1, "sgc@presence@member@new", member=("", "bob", "tab 1", "u1")), enter(1),
              step(2, "connect_granted", b"\x08"), send(2, "sgc@presence@member@new", member=("m2", "bob", "", "u1")),
              enter(2), send(0, "ext@presence@get@users", channel="room-1"), step(1, "disconnect"),
              step(2, "disconnect"), step(2, "connect"), send(2, "sgc@presence@member@new", member=("", "b", "", "u1")),
              enter(2), tick(0)],
    "reconnect": [0, join(0), enter(0), step(0, "disconnect"), join(0), enter(0), step(0, "lose"), join(0)],
    "diffs": [0, join(0), hello(0, "diffs"), enter(0), join(1, "bob"), enter(1), join(2, "cid"), enter(2),
              send(1, "sgc@presence@channel@member@remove", channel="room-1"), step(2, "lose"), tick(0),
              send(0, "sgc@presence@get@members", channel="room-1"), join(3), enter(3), tick(0)],
    "pages": [0, join(0), join(1, "bob"), join(2, "cid"), hello(0, "member-pages"), enter(0), enter(1), enter(2),
              send(0, "ext@presence@get@members@page", channel="room-1", text="2"),
              send(0, "ext@presence@get@members@page", channel="room-1", text="2:m1"),
              send(0, "ext@presence@get@members@page", channel="", text="0"),
              send(0, "ext@presence@get@members@page", channel="room-1", text="x:y")],
    "counts": [0, join(0), join(1, "bob"), enter(0, "stage"), send(0, "ext@presence@get@count", channel="stage"),
               send(0, "ext@presence@channel@counts", channel="stage", text="on"), enter(1, "stage"), tick(0),
               step(1, "disconnect"), tick(0), send(0, "ext@presence@channel@counts", channel="stage", text="off"),
               send(0, "ext@presence@get@count", channel="")],
    "member-update": [TIGHT_RATES, join(0), join(1, flags=2), hello(0, "updates"),
                      send(0, "ext@presence@member@update", member=("m0", "anne", "away")),
                      send(1, "ext@presence@member@update", member=("m1", "x", "y")),
                      send(1, "ext@presence@member@update", member=("m0", "x", ""))]
                     + [send(0, "ext@presence@member@update", member=("", "", "again"))] * 6,
}


# Tokens. The targets verify at a fixed time, 2027-01-15 (1 800 000 000), with the HS256
# secret below and the public keys written to fuzz/keys/.
SECRET = b"fuzzing-secret"
NOW = 1_800_000_000
VALID = {"exp": NOW + 3600, "nbf": NOW - 60, "iat": NOW - 60}
CLAIMS = dict(VALID, sub="m1", name="Ann", info="desk 4", user="ann", channels=["room-*", "lobby"],
              publish=["room-1"])


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_raw(header, payload):
    """A compact JWS of these exact header and payload texts, signed with the secret."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    mac = hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def make_keys():
    keys = {"rs256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "es256": ec.generate_private_key(ec.SECP256R1())}
    for name, key in keys.items():
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        (FUZZ / "keys" / f"{name}.pem").write_bytes(pem)
    return keys


def tokens(keys):
    """Tokens as issuers write them, valid and not."""
    def hs(claims, **header):
        return jwt.encode(claims, SECRET, algorithm="HS256", headers=header or None)
    return {
        "hs256": hs(CLAIMS),
        "hs256-exp-only": hs({"exp": NOW + 60}),
        "hs256-kid-typ": hs(dict(VALID, sub="m2"), kid="key-1", typ="JWT"),
        "rs256": jwt.encode(CLAIMS, keys["rs256"], algorithm="RS256"),
        "es256": jwt.encode(dict(VALID, sub="m3", channels=["*"]), keys["es256"], algorithm="ES256"),
        "expired": hs({"sub": "m1", "exp": NOW - 3600}),
        "not-yet": hs({"sub": "m1", "exp": NOW + 7200, "nbf": NOW + 3600}),
        "no-exp": hs({"sub": "m1"}),
        "exp-as-text": hs({"sub": "m1", "exp": str(NOW + 60)}),
        "channels-not-list": hs(dict(VALID, channels="room-1")),
        "long-sub": hs(dict(VALID, sub="x" * 300)),
        "crit": hs(VALID, crit=["exp"]),
        "alg-none": jwt.encode(VALID, None, algorithm="none"),
        "hs512": jwt.encode(VALID, SECRET, algorithm="HS512"),
        "other-secret": jwt.encode(VALID, b"another secret", algorithm="HS256"),
        "rs256-as-hs256": hs256_raw(b'{"alg":"RS256","typ":"JWT"}', json.dumps(CLAIMS).encode()),
        "padded": jwt.encode(VALID, SECRET, algorithm="HS256") + "=",
        "two-dots": "eyJhbGciOiJIUzI1NiJ9.e30",
    }


# fuzz_token: byte 0 even, the token as written; odd, "header\npayload" that the target signs.
SIGNED_CLAIMS = {
    "all-claims": (b'{"alg":"HS256","typ":"JWT"}', json.dumps(CLAIMS).encode()),
    "fraction-dates": (b'{"alg":"HS256"}', b'{"exp":1800000100.5,"nbf":1799999999.25,"sub":"m0"}'),
    "huge-exp": (b'{"alg":"HS256"}', b'{"exp":1e300}'),
    "wrong-types": (b'{"alg":"HS256"}', b'{"exp":1800003600,"sub":7,"channels":[1],"user":""}'),
    "payload-not-object": (b'{"alg":"HS256"}', b'[1800003600]'),
    "header-crit": (b'{"alg":"HS256","crit":[]}', b'{"exp":1800003600}'),
    "alg-not-text": (b'{"alg":256}', b'{"exp":1800003600}'),
    "escapes": (b'{"alg":"HS\u0032\u0035\u0036"}', b'{"exp":1800003600,"name":"\u00e9\n","info":"a\"b"}'),
}


# fuzz_handshake: the first bytes of a connection.
def upgrade(target="/", protocol="presence.esegece.com", extra=b"", host=b"127.0.0.1:8080",
            agent=b"presence-client Boost.Beast/347"):
    lines = [f"GET {target} HTTP/1.1".encode(), b"Host: " + host, b"Upgrade: websocket",
             b"Connection: upgrade", b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
             b"Sec-WebSocket-Version: 13"]
    if protocol is not None:
        lines.append(b"Sec-WebSocket-Protocol: " + protocol.encode())
    lines.append(b"User-Agent: " + agent)
    return b"\r\n".join(lines) + b"\r\n" + extra + b"\r\n"


def requests(token, es256):
    return {
        "client": upgrade(),
        "client-token": upgrade(f"/?token={token}"),
        "client-namespace": upgrade(f"/?token={token}", "sales.presence.esegece.com"),
        "broker": upgrade(f"/?token={token}", "broker.esegece.com"),
        "bearer-es256": upgrade(extra=f"Authorization: Bearer {es256}\r\n".encode()),
        "bearer-lowercase": upgrade(extra=f"authorization: bearer   {token}\r\n".encode()),
        "token-and-bearer": upgrade(f"/chat?room=1&token={token}&x",
                                    extra=b"Authorization: Bearer not.a.token\r\n"),
        "token-percent-encoded": upgrade("/?token=" + token.replace(".", "%2E")),
        "token-empty": upgrade("/?token="),
        "token-bad-percent": upgrade("/?token=%zz"),
        "python-websockets": (
            f"GET /?token={token} HTTP/1.1\r\nHost: 127.0.0.1:33415\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: TUUemSJcVpEboSDhyjQuvw==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "Sec-WebSocket-Protocol: sales.presence.esegece.com, presence.esegece.com\r\n"
            "User-Agent: Python/3.11 websockets/10.4\r\n\r\n").encode(),
        "browser": (
            "GET /?token=" + token + " HTTP/1.1\r\nHost: presence.example.com\r\nConnection: Upgrade\r\n"
            "Pragma: no-cache\r\nCache-Control: no-cache\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) "
            "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36\r\nUpgrade: websocket\r\n"
            "Origin: https://presence.example.com\r\nSec-WebSocket-Version: 13\r\n"
            "Accept-Encoding: gzip, deflate, br\r\nAccept-Language: en-GB,en;q=0.9\r\n"
            "Sec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "Sec-WebSocket-Protocol: presence.esegece.com\r\n\r\n").encode(),
        "several-protocols": upgrade(protocol="chat, {9A1F5C3E}.presence.esegece.com ,presence.esegece.com"),
        "no-protocol": upgrade(protocol=None),
        "version-8": upgrade().replace(b"Version: 13", b"Version: 8"),
        "no-key": upgrade().replace(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b""),
        "healthz": b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        "api-publish": (b"POST /api/publish HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer key\r\n"
                        b"Content-Type: application/json\r\nContent-Length: 35\r\n\r\n"
                        b'{"channel":"room-1","text":"hello"}'),
        "chunked": (b"POST /api/disconnect HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"f\r\n{\"member\":\"m1\"}\r\n0\r\n\r\n"),
    }


def write(folder, name, data):
    path = FUZZ / "corpus" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def main():
    # The examples are numbered: the old numbers go, so that a removed example goes too.
    for old in (FUZZ / "corpus" / "decode").glob("doc-*"):
        old.unlink()
    for n, data in enumerate(doc_frames(), 1):
        write("decode", f"doc-{n:02}", data)
    for name, data in EDGE_FRAMES.items():
        write("decode", f"edge-{name}", data)
    for name, data in BROKER_FRAMES.items():
        write("decode", f"broker-{name}", data)
    for name, data in EXTENSION_FRAMES.items():
        write("decode", f"ext-{name}", data)
    for name, (options, *steps) in SCRIPTS.items():
        write("service", name, bytes([options]) + b"".join(steps))
    (FUZZ / "keys").mkdir(exist_ok=True)
    made = tokens(make_keys())
    for name, token in made.items():
        write("token", name, b"\0" + token.encode())
    for name, (header, payload) in SIGNED_CLAIMS.items():
        write("token", f"signed-{name}", b"\1" + header + b"\n" + payload)
    for name, data in requests(made["hs256"], made["es256"]).items():
        write("handshake", name, data)


if __name__ == "__main__":
    main()
