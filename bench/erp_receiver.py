"""The ERP stand-in for `make bench`: receives the signed outcome pushes, notes when.

A real HTTP server on 127.0.0.1 in a thread of the bench process. It verifies each
Standard Webhooks signature (`v1,` HMAC-SHA256 of "{id}.{timestamp}.{body}") and records
the monotonic time a push for each ERP reference arrived, so the bench can measure
"completion → push received".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def signature_valid(
    *, secret: str, msg_id: str, timestamp: str, body: bytes, header: str
) -> bool:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest())
    return any(
        part.startswith("v1,") and hmac.compare_digest(part[3:].encode(), expected)
        for part in header.split(" ")
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class ErpReceiver:
    def __init__(self) -> None:
        self.secret = ""
        self.lock = threading.Lock()
        #: ERP reference → monotonic time of the first valid push for it.
        self.received_at: dict[str, float] = {}
        self.invalid = 0
        self.total = 0
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks/signoff"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                arrived = time.monotonic()
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = bool(receiver.secret) and signature_valid(
                    secret=receiver.secret,
                    msg_id=self.headers.get("webhook-id", ""),
                    timestamp=self.headers.get("webhook-timestamp", ""),
                    body=body,
                    header=self.headers.get("webhook-signature", ""),
                )
                reference = ""
                if valid:
                    try:
                        reference = json.loads(body)["document"]["referenceNumber"]
                    except (ValueError, KeyError, TypeError):
                        valid = False
                with receiver.lock:
                    receiver.total += 1
                    if valid:
                        receiver.received_at.setdefault(reference, arrived)
                    else:
                        receiver.invalid += 1
                status = 200 if valid else 401
                answer = b'{"isSuccess": true}' if valid else b"bad signature"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        return Handler
