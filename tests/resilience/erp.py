"""The ERP stand-in for the resilience suite: tests/erp_sync/erp_stand_in.py plus the
one failure it cannot play by itself, connection refused (nothing listening).

Modes: "ok", "refuse", "500" (5xx), "slow", "drop" (apply, then drop the connection
before answering), "410", "429" (with `Retry-After`), and "400"/"redirect" from the
base. It verifies every signature, records every request in `received` and applies
each `webhook-id` at most once (`applied`), as a correct receiver does; `raw_applies`
counts what a receiver without that dedupe would have applied.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence

from tests.erp_sync.erp_stand_in import ErpStandIn, _QuietServer


class ResilientErp(ErpStandIn):
    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__(secrets)
        self.port = int(self.server.server_address[1])
        self.refusing = False
        self.raw_applies: Counter[str] = Counter()

    def set_mode(self, mode: str) -> None:
        """ "refuse" closes the listening socket; any other mode reopens it if needed."""
        if mode == "refuse":
            if not self.refusing:
                self.server.shutdown()
                self.server.server_close()
                self.refusing = True
            return
        self.mode = mode
        if self.refusing:
            self.server = _QuietServer(("127.0.0.1", self.port), self._handler())
            self._thread = threading.Thread(
                target=self.server.serve_forever, daemon=True
            )
            self._thread.start()
            self.refusing = False

    def stop(self) -> None:
        if not self.refusing:
            super().stop()
            self.refusing = True

    def _handler(self):  # type: ignore[no-untyped-def]
        base = super()._handler()
        stand_in = self

        class Handler(base):  # type: ignore[misc,valid-type]
            def _apply(self, msg_id: str) -> None:
                with stand_in._lock:
                    stand_in.raw_applies[msg_id] += 1
                super()._apply(msg_id)

        return Handler
