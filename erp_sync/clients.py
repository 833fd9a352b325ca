"""The one HTTP seam to the ERP: POST a signed event to its callback URL (STYLE §1).

Thin on purpose: it sends bytes and reports what happened, and never raises for a
network failure — the relay decides what an outcome means. Redirects are not followed
(a callback that moved must be reconfigured, not chased: a redirect could point a
signed event anywhere), proxies from the environment are not used, and at most
`MAX_BODY_BYTES` of the answer are read, against a total deadline, so a slow or
endless response cannot hold a relay worker past its lease.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import requests

#: Seconds to connect, and to wait for each part of the answer.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: The whole request, however the answer trickles in.
TOTAL_TIMEOUT = 20.0
#: The answer is only looked at for the error message.
MAX_BODY_BYTES = 4096
USER_AGENT = "Signoff-Webhooks/1.0"


@dataclass(frozen=True)
class CallbackResponse:
    """What one POST produced: an HTTP status, or `error` when no answer came."""

    status_code: int | None
    latency_ms: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body_excerpt: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class ErpCallbackClient:
    """POSTs JSON bodies to ERP callback URLs; one instance may serve many calls."""

    def __init__(
        self,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.total_timeout = total_timeout
        self.session = requests.Session()
        # Only the configured callback URL is called, directly (no proxy from the
        # environment); redirects are refused per request (allow_redirects=False).
        self.session.trust_env = False

    def post(
        self, *, url: str, body: bytes, headers: Mapping[str, str]
    ) -> CallbackResponse:
        started = time.monotonic()
        try:
            response = self.session.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
            )
        except requests.Timeout:
            return self._failed(started, f"timed out after {self.read_timeout:g} s")
        except requests.ConnectionError as error:
            return self._failed(started, f"connection failed: {_reason(error)}")
        except requests.RequestException as error:
            return self._failed(started, f"request failed: {_reason(error)}")
        try:
            excerpt = self._read_excerpt(response, started)
        except (requests.RequestException, OSError, TimeoutError):
            # The status line arrived; a broken or slow body does not change it.
            excerpt = ""
        finally:
            response.close()
        return CallbackResponse(
            status_code=response.status_code,
            latency_ms=_elapsed_ms(started),
            headers=dict(response.headers),
            body_excerpt=excerpt,
        )

    def _read_excerpt(self, response: requests.Response, started: float) -> str:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=1024):
            chunks.append(chunk)
            size += len(chunk)
            if (
                size >= MAX_BODY_BYTES
                or time.monotonic() - started > self.total_timeout
            ):
                break
        return b"".join(chunks)[:MAX_BODY_BYTES].decode("utf-8", errors="replace")

    def _failed(self, started: float, error: str) -> CallbackResponse:
        return CallbackResponse(
            status_code=None, latency_ms=_elapsed_ms(started), error=error[:500]
        )


def _elapsed_ms(started: float) -> int:
    return max(0, int((time.monotonic() - started) * 1000))


def _reason(error: Exception) -> str:
    """The innermost cause, which names what went wrong without a stack of wrappers."""
    cause: BaseException = error
    for _ in range(10):  # bounded: a cycle of causes must not hang the relay
        inner = cause.__cause__ or cause.__context__
        if inner is None:
            break
        cause = inner
    return f"{type(cause).__name__}: {cause}"[:400]
