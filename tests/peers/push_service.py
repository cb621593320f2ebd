#!/usr/bin/env python3
"""An independent Web Push service stand-in (RFC 8030 / 8291 / 8292 / 8188), for tests.

It owns its subscriptions the way a browser's push service does: on start it makes the user-agent
key pairs and auth secrets itself, writes the subscriptions (PushSubscription JSON objects whose
endpoints point at this server) to a file, and then, for every `POST /push/<id>`:

- requires a `TTL` header (1*DIGIT, else 400), checks `Urgency` and `Topic` when present (400),
- requires `Content-Encoding: aes128gcm` (400 otherwise, 413 over 4096 bytes),
- parses `Authorization: vapid t=<JWT>, k=<key>` and verifies the JWT against k with py_vapid's
  ES256 check: alg ES256, aud == the origin the request came to (http://<Host>), exp in the future
  and at most 24 h ahead, sub a mailto: or https: URI (403 with a text reason otherwise),
- decrypts the body with the reference RFC 8188 implementation (`http_ece.decrypt`, aes128gcm)
  using the subscription's own UA private key and auth secret (400 when that fails),
- appends one JSON line per request to the log file, and answers 201 with a Location.

Special subscription ids (added after the N ordinary ones, in the order given) answer the
failures a real service gives: --gone ID (410), --not-found ID (404), --too-large ID (413),
--rate-limited ID (429 with Retry-After: 1 the first time, then handled normally).

Usage:
    push_service.py --subscriptions-out subs.json --log log.jsonl [--count N] [--port P]
                    [--gone ID]... [--not-found ID]... [--too-large ID]... [--rate-limited ID]...
                    [--vapid-public-key K] [--audience ORIGIN] [--lifetime SECONDS] [--watch-stdin]

The first line on standard output is `PORT <n>`, printed once the subscriptions file is written and
the server accepts connections. The lifetime running out, or with --watch-stdin standard input
reaching end of file (the parent went away), stops the server.

A log line: {"time", "id", "method", "path", "status", "reason", "headers": [[name, value]...],
"body_length", "body_base64" (standard base64), "rs", "idlen", "plaintext" (UTF-8 text) or
"plaintext_base64", "jwt": {"header", "claims"}, "vapid_k"}. Fields that do not apply are null.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import secrets
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import jwt as vapid_jwt

MAX_BODY = 4096
MAX_EXP_AHEAD = 24 * 3600
CLOCK_SKEW = 60
URGENCIES = {"very-low", "low", "normal", "high"}
TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
B64URL_RE = re.compile(r"^[A-Za-z0-9_-]+$")
SUB_RE = re.compile(r"^(mailto:[^@\s]+@[^@\s]+|https://[^\s/]+(/\S*)?)$", re.IGNORECASE)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refusal(Exception):
    """A request the service refuses: status and a plain-text reason."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Subscription:
    def __init__(self, sub_id: str, special: str | None):
        self.id = sub_id
        self.special = special  # None, "gone", "not-found", "too-large", "rate-limited"
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.public = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        self.auth = secrets.token_bytes(16)
        self.hits = 0

    def json(self, origin: str) -> dict:
        return {
            "endpoint": f"{origin}/push/{self.id}",
            "expirationTime": None,
            "keys": {"p256dh": b64url(self.public), "auth": b64url(self.auth)},
        }


def parse_vapid(header: str) -> tuple[str, str]:
    """`vapid t=<jwt>, k=<key>` (either order, optional spaces) → (t, k)."""
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "vapid":
        raise Refusal(401 if not header.strip() else 403, f"Authorization scheme must be `vapid`, got `{scheme}`")
    params: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, value = part.strip().partition("=")
        if not eq:
            raise Refusal(403, f"malformed Authorization parameter `{part.strip()}`")
        name = name.strip().lower()
        if name in params:
            raise Refusal(403, f"Authorization parameter `{name}` given twice")
        params[name] = value.strip()
    if "t" not in params or "k" not in params:
        raise Refusal(403, "Authorization must carry both t= and k=")
    return params["t"], params["k"]


def verify_jwt(token: str, key: str, audience: str, expected_key: str | None) -> tuple[dict, dict]:
    """Checks the VAPID JWT; returns (header, claims) or raises Refusal(403)."""
    if not B64URL_RE.match(key):
        raise Refusal(403, "k must be unpadded base64url")
    try:
        raw_key = b64url_decode(key)
    except ValueError:
        raise Refusal(403, "k is not base64url") from None
    if len(raw_key) != 65 or raw_key[0] != 4:
        raise Refusal(403, f"k must be a 65-byte uncompressed P-256 point, got {len(raw_key)} bytes")
    if expected_key is not None and b64url_decode(expected_key) != raw_key:
        raise Refusal(403, "k does not match the applicationServerKey of this subscription")
    parts = token.split(".")
    if len(parts) != 3 or not all(B64URL_RE.match(p) for p in parts):
        raise Refusal(403, "t is not a compact JWS of three unpadded base64url parts")
    try:
        header = json.loads(b64url_decode(parts[0]))
    except ValueError:
        raise Refusal(403, "the JWT header is not JSON") from None
    if not isinstance(header, dict) or header.get("alg") != "ES256":
        raise Refusal(403, f"the JWT alg must be ES256, header is {header!r}")
    if "typ" in header and str(header["typ"]).upper() != "JWT":
        raise Refusal(403, f"the JWT typ must be JWT, header is {header!r}")
    try:
        claims = vapid_jwt.decode(token, key)
    except InvalidSignature:
        raise Refusal(403, "the JWT signature does not verify against k (ES256, raw R||S)") from None
    except ValueError:
        raise Refusal(403, "the JWT claims are not JSON") from None
    if not isinstance(claims, dict):
        raise Refusal(403, "the JWT claims are not a JSON object")
    if claims.get("aud") != audience:
        raise Refusal(403, f"aud must be the push service origin `{audience}`, got {claims.get('aud')!r}")
    exp = claims.get("exp")
    now = time.time()
    if not isinstance(exp, int) or isinstance(exp, bool):
        raise Refusal(403, f"exp must be an integer, got {exp!r}")
    if exp <= now:
        raise Refusal(403, f"the JWT expired (exp {exp}, now {int(now)})")
    if exp > now + MAX_EXP_AHEAD + CLOCK_SKEW:
        raise Refusal(403, f"exp is more than 24 h ahead (exp {exp}, now {int(now)})")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not SUB_RE.match(sub):
        raise Refusal(403, f"sub must be a mailto: or https: URI, got {sub!r}")
    return header, claims


class Service:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lock = threading.Lock()
        self.log = open(args.log, "a", encoding="utf-8")
        self.subs: dict[str, Subscription] = {}
        for i in range(args.count):
            self._add(f"s{i}", None)
        for special, ids in (
            ("gone", args.gone),
            ("not-found", args.not_found),
            ("too-large", args.too_large),
            ("rate-limited", args.rate_limited),
        ):
            for sub_id in ids or []:
                self._add(sub_id, special)

    def _add(self, sub_id: str, special: str | None) -> None:
        if not re.match(r"^[A-Za-z0-9._~-]+$", sub_id):
            raise SystemExit(f"push_service: bad subscription id `{sub_id}`")
        if sub_id in self.subs:
            raise SystemExit(f"push_service: subscription id `{sub_id}` given twice")
        self.subs[sub_id] = Subscription(sub_id, special)

    def record(self, entry: dict) -> None:
        line = json.dumps(entry, sort_keys=True)
        with self.lock:
            self.log.write(line + "\n")
            self.log.flush()

    def handle(self, sub_id: str, headers: list[tuple[str, str]], body: bytes, host: str, entry: dict) -> tuple[int, dict[str, str], bytes]:
        """Returns (status, extra headers, body) for one push; fills `entry` for the log."""
        def header(name: str) -> str | None:
            values = [v for n, v in headers if n.lower() == name]
            if len(values) > 1:
                raise Refusal(400, f"{name} given {len(values)} times")
            return values[0] if values else None

        sub = self.subs.get(sub_id)
        if sub is None:
            raise Refusal(404, f"no subscription `{sub_id}`")
        with self.lock:
            sub.hits += 1
            hits = sub.hits
        if sub.special == "gone":
            raise Refusal(410, "push subscription has unsubscribed or expired")
        if sub.special == "not-found":
            raise Refusal(404, "no such subscription")
        if sub.special == "too-large":
            raise Refusal(413, "payload too large")
        if sub.special == "rate-limited" and hits == 1:
            entry["reason"] = "too many requests: retry after 1 second"
            return 429, {"Retry-After": "1"}, b"too many requests: retry after 1 second\n"

        ttl = header("ttl")
        if ttl is None:
            raise Refusal(400, "TTL header is missing")
        if not re.fullmatch(r"[0-9]+", ttl.strip()):
            raise Refusal(400, f"TTL must be 1*DIGIT, got `{ttl}`")
        urgency = header("urgency")
        if urgency is not None and urgency.strip() not in URGENCIES:
            raise Refusal(400, f"Urgency must be one of very-low, low, normal, high; got `{urgency}`")
        topic = header("topic")
        if topic is not None and not TOPIC_RE.match(topic.strip()):
            raise Refusal(400, f"Topic must be at most 32 base64url characters, got `{topic}`")

        authorization = header("authorization")
        if authorization is None:
            raise Refusal(401, "Authorization (VAPID) is missing")
        token, key = parse_vapid(authorization)
        entry["vapid_k"] = key
        audience = self.args.audience or f"http://{host}"
        jwt_header, claims = verify_jwt(token, key, audience, self.args.vapid_public_key)
        entry["jwt"] = {"header": jwt_header, "claims": claims}

        if len(body) > MAX_BODY:
            raise Refusal(413, f"body of {len(body)} bytes is over {MAX_BODY}")
        if not body:
            if header("content-encoding") is not None:
                raise Refusal(400, "Content-Encoding without a body")
            entry["plaintext"] = None
            return 201, {}, b""
        encoding = header("content-encoding")
        if encoding is None or encoding.strip().lower() != "aes128gcm":
            raise Refusal(400, f"Content-Encoding must be aes128gcm, got `{encoding}`")
        if len(body) < 21:
            raise Refusal(400, "body shorter than the aes128gcm header")
        rs = struct.unpack(">I", body[16:20])[0]
        idlen = body[20]
        entry["rs"] = rs
        entry["idlen"] = idlen
        if idlen != 65 or len(body) < 86 or body[21] != 4:
            raise Refusal(400, f"keyid must be the sender's 65-byte uncompressed public key (idlen {idlen})")
        if rs < 18:
            raise Refusal(400, f"rs {rs} is below 18")
        if len(body) - 86 > rs:
            raise Refusal(400, f"more than one record (rs {rs}, {len(body) - 86} bytes of records)")
        try:
            plaintext = http_ece.decrypt(
                body,
                version="aes128gcm",
                private_key=sub.private_key,
                auth_secret=sub.auth,
            )
        except Exception as error:  # http_ece raises ECEException, cryptography InvalidTag, ...
            raise Refusal(400, f"decryption failed: {type(error).__name__}: {error}") from None
        try:
            entry["plaintext"] = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            entry["plaintext_base64"] = base64.b64encode(plaintext).decode("ascii")
        return 201, {}, b""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pushdeck-peer-push-service"
    service: Service  # set on the class before serving

    def log_message(self, format, *args):  # noqa: A002 - quiet: the JSONL log is the record
        pass

    def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if body:
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_POST(self):  # noqa: N802 - http.server naming
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        else:
            try:
                length = int(length_text or "0")
            except ValueError:
                self._reply(400, {}, b"bad Content-Length\n")
                return
            body = self.rfile.read(length) if length else b""
        headers = [(name, value) for name, value in self.headers.items()]
        path = self.path
        sub_id = path[len("/push/"):] if path.startswith("/push/") else None
        entry = {
            "time": time.time(),
            "id": sub_id,
            "method": "POST",
            "path": path,
            "headers": [[n, v] for n, v in headers],
            "body_length": len(body),
            "body_base64": base64.b64encode(body).decode("ascii"),
            "rs": None,
            "idlen": None,
            "plaintext": None,
            "jwt": None,
            "vapid_k": None,
            "reason": None,
        }
        host = self.headers.get("Host", "")
        try:
            if sub_id is None or "/" in sub_id or "?" in sub_id:
                raise Refusal(404, f"no such resource {path}")
            status, extra, reply = self.service.handle(sub_id, headers, body, host, entry)
        except Refusal as refusal:
            status, extra, reply = refusal.status, {}, (refusal.reason + "\n").encode()
            entry["reason"] = refusal.reason
        if status == 201:
            extra = {"Location": f"/message/{sub_id}/{secrets.token_hex(8)}", **extra}
        entry["status"] = status
        self.service.record(entry)
        self._reply(status, extra, reply)

    def _read_chunked(self) -> bytes:
        data = b""
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return data
            data += self.rfile.read(size)
            self.rfile.readline()

    def do_GET(self):  # noqa: N802
        self._reply(404 if self.path != "/status" else 200, {}, b"")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--count", type=int, default=1, help="ordinary subscriptions to make")
    parser.add_argument("--subscriptions-out", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--gone", action="append", metavar="ID")
    parser.add_argument("--not-found", action="append", metavar="ID")
    parser.add_argument("--too-large", action="append", metavar="ID")
    parser.add_argument("--rate-limited", action="append", metavar="ID")
    parser.add_argument("--vapid-public-key", help="the applicationServerKey the subscriptions were made with")
    parser.add_argument("--audience", help="the aud to require (default: http://<Host header>)")
    parser.add_argument("--lifetime", type=float, default=600.0, help="stop after this many seconds")
    parser.add_argument("--watch-stdin", action="store_true", help="stop when standard input reaches end of file")
    args = parser.parse_args()

    service = Service(args)
    Handler.service = service
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    origin = f"http://127.0.0.1:{port}"
    subs = [sub.json(origin) for sub in service.subs.values()]
    tmp = args.subscriptions_out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as out:
        json.dump(subs, out, indent=1)
    os.replace(tmp, args.subscriptions_out)

    def stop_when_stdin_closes():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            return
        server.shutdown()

    if args.watch_stdin:
        threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    timer = threading.Timer(args.lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    print(f"PORT {port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
