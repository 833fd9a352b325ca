"""Run wrk (Debian's /usr/bin/wrk) against the bench server and parse its report.

Every run goes through `lua/bench.lua`, which counts the status of each answer: only
the expected status counts as served; anything else (a redirect to the login page, a
4xx, a 5xx) and every socket error is reported as failed, never silently as speed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).resolve().parent / "lua" / "bench.lua"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class WrkResult:
    requests: int  # answers received (any status)
    rps: float  # answers with the expected status per second
    p50_ms: float  # latency over every answer (wrk's own histogram)
    p99_ms: float
    errors: int  # answers with another status, plus socket errors
    seconds: float
    statuses: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 2),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "seconds": self.seconds,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def wrk_path() -> str:
    found = shutil.which("wrk") or "/usr/bin/wrk"
    if not Path(found).exists():
        raise SystemExit("wrk is missing: apt-get install wrk")
    return found


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        raise ValueError(f"unexpected wrk duration {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str, *, expect: int = 200) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if not total:
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    requests = int(total.group(1))
    seconds = _ms(total.group(2) + total.group(3)) / 1000
    statuses = {
        int(code): int(count)
        for code, count in re.findall(r"^status (\d+) (\d+)$", output, re.MULTILINE)
    }
    served = statuses.get(expect, 0)
    errors = sum(count for code, count in statuses.items() if code != expect)
    if socket := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in socket.groups())
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if requests and not (p50 and p99):
        raise RuntimeError(f"cannot parse wrk latencies:\n{output}")
    return WrkResult(
        requests=requests,
        rps=served / seconds if seconds else 0.0,
        # No answer at all has no latency; the run is then reported as failed.
        p50_ms=_ms(p50.group(1)) if requests and p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if requests and p99 else float("nan"),
        errors=errors,
        seconds=round(seconds, 2),
        statuses=statuses,
    )


def run(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    mode: str = "get",
    script_args: list[str] | None = None,
    expect: int = 200,
) -> WrkResult:
    """One time-bounded wrk run (`--timeout` well above any expected answer)."""
    command = [
        wrk_path(),
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(SCRIPT), url, "--", mode, *(script_args or [])]
    done = subprocess.run(  # noqa: S603 - fixed binary, arguments built here
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}")
    result = parse(done.stdout, expect=expect)
    if result.requests and sum(result.statuses.values()) != result.requests:
        # Answers the script did not see (cannot happen with bench.lua): not served.
        raise RuntimeError(f"wrk status count mismatch:\n{done.stdout}")
    return result
