"""A real local HTTP server standing in for the ERP's webhook receiver.

It verifies Standard Webhooks signatures with its own, independent implementation of
the spec (checked against the spec's published test vector), applies each `webhook-id`
at most once (as a correct receiver does), and can misbehave on request: fail, vanish,
throttle, redirect, stall, or apply and then drop the connection before answering.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Standard Webhooks' published test vector (github.com/standard-webhooks).
TEST_VECTOR = {
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "msg_id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "timestamp": 1614265330,
    "body": b'{"test": 2432232314}',
    "signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}

MODES = ("ok", "500", "400", "410", "429", "slow", "redirect", "drop")


def verify(
    *, secrets: Sequence[str], msg_id: str, timestamp: str, body: bytes, header: str
) -> bool:
    """The receiver side of Standard Webhooks: any `v1,` signature by any secret."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = {
        base64.b64encode(
            hmac.new(
                base64.b64decode(secret.removeprefix("whsec_")), signed, hashlib.sha256
            ).digest()
        ).decode()
        for secret in secrets
    }
    for part in header.split(" "):
        version, _, signature = part.partition(",")
        if version == "v1" and any(
            hmac.compare_digest(signature, candidate) for candidate in expected
        ):
            return True
    return False


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    signature: str
    body: bytes
    valid: bool
    mode: str

    @property
    def payload(self) -> Any:
        return json.loads(self.body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a dropped connection is the point of the "drop" mode


class ErpStandIn:
    """`mode` is what every request gets; `script(...)` queues modes for the next ones."""

    def __init__(self, secrets: Sequence[str]) -> None:
        self.secrets = list(secrets)
        self.mode = "ok"
        self.retry_after = "120"
        self.slow_seconds = 1.5
        self.ok_delay = 0.0
        self._script: list[str] = []
        self._lock = threading.Lock()
        self.received: list[Received] = []
        self.applied: Counter[str] = Counter()
        self.redirect_hits = 0
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight = 0
        self.server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/signoff"

    def script(self, *modes: str) -> None:
        assert all(mode in MODES for mode in modes)
        with self._lock:
            self._script.extend(modes)

    def _next_mode(self) -> str:
        with self._lock:
            return self._script.pop(0) if self._script else self.mode

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def ids(self) -> list[str]:
        return [r.webhook_id for r in self.received]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet test output

            def _reply(
                self,
                status: int,
                body: bytes = b"",
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if not self.path.startswith("/hooks/signoff"):
                    stand_in.redirect_hits += 1
                    self._reply(200)
                    return
                msg_id = self.headers.get("webhook-id", "")
                timestamp = self.headers.get("webhook-timestamp", "")
                signature = self.headers.get("webhook-signature", "")
                valid = verify(
                    secrets=stand_in.secrets,
                    msg_id=msg_id,
                    timestamp=timestamp,
                    body=body,
                    header=signature,
                )
                mode = stand_in._next_mode()
                with stand_in._lock:
                    stand_in.received.append(
                        Received(msg_id, timestamp, signature, body, valid, mode)
                    )
                    stand_in.in_flight[msg_id] += 1
                    stand_in.max_in_flight = max(
                        stand_in.max_in_flight, stand_in.in_flight[msg_id]
                    )
                try:
                    self._answer(mode, msg_id, valid)
                finally:
                    with stand_in._lock:
                        stand_in.in_flight[msg_id] -= 1

            def _apply(self, msg_id: str) -> None:
                # Dedup by webhook-id: receiving twice is fine, applying twice is not.
                with stand_in._lock:
                    if msg_id not in stand_in.applied:
                        stand_in.applied[msg_id] += 1

            def _answer(self, mode: str, msg_id: str, valid: bool) -> None:
                if not valid:
                    self._reply(401, b"bad signature")
                elif mode == "ok":
                    time.sleep(stand_in.ok_delay)
                    self._apply(msg_id)
                    self._reply(200, json.dumps({"isSuccess": True}).encode())
                elif mode == "500":
                    self._reply(500, b"internal error")
                elif mode == "400":
                    self._reply(400, b"unknown document type")
                elif mode == "410":
                    self._reply(410, b"this endpoint is gone")
                elif mode == "429":
                    self._reply(
                        429, b"slow down", {"Retry-After": stand_in.retry_after}
                    )
                elif mode == "slow":
                    time.sleep(stand_in.slow_seconds)
                    self._apply(msg_id)
                    self._reply(200)
                elif mode == "redirect":
                    self._reply(302, headers={"Location": "/elsewhere"})
                elif mode == "drop":
                    # Applied, then the answer is lost: the connection just goes away.
                    self._apply(msg_id)
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)

        return Handler


@contextmanager
def running(secrets: Sequence[str]) -> Iterator[ErpStandIn]:
    stand_in = ErpStandIn(secrets)
    stand_in.start()
    try:
        yield stand_in
    finally:
        stand_in.stop()
