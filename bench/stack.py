"""The processes `make bench` starts (gunicorn, Celery) and always stops again."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


class Stack:
    """Child processes in their own process groups; `stop()` ends every one of them."""

    def __init__(self, *, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []

    def _start(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own venv's binaries
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stop() reaches its children
        )
        self.children.append((name, process))
        return process

    def gunicorn(self, *, port: int, workers: int) -> None:
        self._start(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "approval_site.wsgi:application",
                f"--workers={workers}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{port}",
                "--timeout=120",
                "--graceful-timeout=5",
            ],
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer /healthz within 90 s")

    def celery(self, *, concurrency: int, schedule: Path) -> subprocess.Popen[bytes]:
        return self._start(
            "celery",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "approval_site",
                "worker",
                "--beat",
                f"--schedule={schedule}",
                f"--concurrency={concurrency}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def stop_one(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.children = [(n, p) for n, p in self.children if p is not process]

    def stop(self) -> None:
        for _, process in reversed(self.children):
            self.stop_one(process)
