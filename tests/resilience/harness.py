"""Process control for the resilience suite: every piece runs as a child of the test,
is known by its PID, and is stopped at the end whatever happened.

Pieces: a PostgreSQL cluster of its own (initdb into a temporary folder, as the
`postgres` user when the suite runs as root), a Redis of its own, a TCP proxy the tests
cut to simulate a partition, gunicorn serving `approval_site.wsgi`, Celery workers and
beat. Each is started in its own process group so a kill reaches its children too.
Every wait is bounded in time; every process is registered for an `atexit` sweep as a
last resort behind the fixtures' finalizers.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PG_BIN = Path(os.environ.get("SIGNOFF_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

_LIVE: set[Managed] = set()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    what: str,
    check: Callable[[], bool],
    timeout: float,
    interval: float = 0.2,
    log: Path | None = None,
) -> None:
    """Poll `check` until true; raise TimeoutError (with a log tail) after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as error:  # the thing waited for is not up yet
            last_error = error
        time.sleep(interval)
    tail = ""
    if log is not None and log.exists():
        tail = "\n" + log.read_text(errors="replace")[-4000:]
    raise TimeoutError(
        f"timed out after {timeout:.0f} s waiting for {what}"
        + (f" (last error: {last_error!r})" if last_error else "")
        + tail
    )


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def run_checked(
    argv: list[str], *, env: dict[str, str], timeout: float, log: Path
) -> None:
    """A one-shot command (migrate); its output goes to `log`, shown if it fails."""
    with log.open("wb") as output:
        result = subprocess.run(
            argv,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(
            f"{argv} exited with {result.returncode}:\n"
            + log.read_text(errors="replace")[-3000:]
        )


class Managed:
    """One child process in its own process group, logging to a file."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        *,
        log: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
        cwd: Path = BASE_DIR,
    ) -> None:
        self.name = name
        self.argv = argv
        self.log = log
        self.env = env
        self.user = user
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Managed:
        assert not self.alive(), f"{self.name} is already running"
        self.starts += 1
        with self.log.open("ab") as output:
            output.write(f"\n===== start #{self.starts} =====\n".encode())
            output.flush()
            self.process = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: kills reach children
                user=self.user,
                group=self.user,
                extra_groups=[] if self.user else None,
            )
        _LIVE.add(self)
        return self

    def send_signal(self, signum: int) -> None:
        if self.alive():
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def wait(self, timeout: float) -> bool:
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL the whole group: what a crash or the OOM killer does."""
        self.send_signal(signal.SIGKILL)
        self.wait(10)
        self._reap_group()
        _LIVE.discard(self)

    def stop(self, timeout: float = 10.0, signum: int = signal.SIGTERM) -> None:
        """Ask politely, then kill; returns with the group gone."""
        if self.alive():
            self.send_signal(signum)
            if not self.wait(timeout):
                self.send_signal(signal.SIGKILL)
                self.wait(10)
        self._reap_group()
        _LIVE.discard(self)

    def _reap_group(self) -> None:
        # Children left behind by a dead leader (a prefork child, a gunicorn worker).
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def tail(self, chars: int = 3000) -> str:
        return (
            self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""
        )


@atexit.register
def _sweep() -> None:
    for managed in list(_LIVE):
        with contextlib.suppress(Exception):
            managed.stop(timeout=3)


# --- PostgreSQL -------------------------------------------------------------------------


class Postgres:
    """A throwaway cluster: initdb into a temp folder, trust auth, a free port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        # The data folder must belong to the server's user (not root).
        self.root = Path(tempfile.mkdtemp(prefix="signoff-pg-"))
        self.data = self.root / "data"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self.log = folder / "postgres.log"
        self.server = Managed(
            "postgres",
            [
                str(PG_BIN / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=100",
            ],
            log=self.log,
            user=self.user,
            cwd=self.root,
        )

    def url(self, name: str = "signoff") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def init(self) -> None:
        subprocess.run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            timeout=120,
            user=self.user,
            group=self.user,
            extra_groups=[] if self.user else None,
            cwd=self.root,
        )

    def init_from(self, template: Path) -> None:
        """A copy of an already initialised (and migrated) data folder."""
        shutil.copytree(template, self.data, symlinks=True)
        if self.user:
            entry = pwd.getpwnam(self.user)
            for path in [self.data, *self.data.rglob("*")]:
                os.lchown(path, entry.pw_uid, entry.pw_gid)
        # A stale pid file would stop the copy from starting.
        (self.data / "postmaster.pid").unlink(missing_ok=True)

    def save_as(self, template: Path) -> None:
        """Keep this (stopped) cluster's data folder as a template for later runs."""
        partial = template.with_name(template.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(self.data, partial, symlinks=True)
        partial.rename(template)

    def start(self) -> None:
        self.server.start()
        wait_until("PostgreSQL to accept connections", self.ready, 60, log=self.log)

    def ready(self) -> bool:
        if not self.server.alive():
            raise RuntimeError("postgres exited:\n" + self.server.tail())
        result = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
            timeout=10,
            check=False,
        )
        return result.returncode == 0

    def createdb(self, name: str) -> None:
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def crash_restart(self, down_seconds: float = 0.0) -> None:
        """SIGQUIT (immediate shutdown: no checkpoint, recovery on start), then start."""
        self.server.stop(timeout=20, signum=signal.SIGQUIT)
        time.sleep(down_seconds)
        self.start()

    def stop(self) -> None:
        self.server.stop(timeout=20, signum=signal.SIGINT)  # fast shutdown
        shutil.rmtree(self.root, ignore_errors=True)


# --- Redis and the proxy in front of it ------------------------------------------------


class Redis:
    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.dir = folder / "redis"
        self.dir.mkdir(exist_ok=True)
        self.server = Managed(
            "redis",
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            log=folder / "redis.log",
        )

    def start(self) -> None:
        self.server.start()
        wait_until(
            "Redis", lambda: self.command("PING") == "PONG", 20, log=self.server.log
        )

    def restart(self, down_seconds: float = 0.0) -> None:
        """Kill -9 and start empty (no persistence): every queued message is gone."""
        self.server.kill()
        time.sleep(down_seconds)
        self.start()

    def command(self, *args: str) -> str:
        result = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            capture_output=True,
            timeout=10,
            check=True,
            text=True,
        )
        return result.stdout.strip()

    def queue_length(self, queue: str = "celery", db: int = 0) -> int:
        return int(self.command("-n", str(db), "LLEN", queue) or 0)

    def stop(self) -> None:
        self.server.stop(timeout=10)


class TcpProxy:
    """127.0.0.1:<port> → target, a thread per direction. `cut()` resets every open
    connection and refuses new ones (accepted and closed at once) until `heal()`."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.5)
        self.port = int(self.listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._closed = False
        self.cuts = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._cut:
                self._reset(client)
                continue
            try:
                upstream = socket.create_connection(
                    ("127.0.0.1", self.target_port), timeout=2
                )
            except OSError:
                self._reset(client)
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pipe, args=(source, sink), daemon=True
                ).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                self._forget(sock)

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            # SO_LINGER 0: close with RST, as a dead network path looks to the peer.
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
        with contextlib.suppress(OSError):
            sock.close()

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def cut(self) -> None:
        self._cut = True
        self.cuts += 1
        with self._lock:
            victims = list(self._open)
            self._open.clear()
        for sock in victims:
            self._reset(sock)

    def heal(self) -> None:
        self._cut = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self.listener.close()
        self._thread.join(timeout=5)


# --- the application's processes -------------------------------------------------------


class Gunicorn:
    def __init__(self, folder: Path, env: dict[str, str], workers: int = 2) -> None:
        self.port = free_port()
        self.server = Managed(
            "gunicorn",
            [
                str(VENV_BIN / "gunicorn"),
                "approval_site.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            log=folder / "gunicorn.log",
            env=env,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.server.start()

        def healthy() -> bool:
            if not self.server.alive():
                raise RuntimeError("gunicorn exited:\n" + self.server.tail())
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200

        wait_until("gunicorn", healthy, 60, log=self.server.log)

    def stop(self) -> None:
        self.server.stop(timeout=10)


class CeleryWorker:
    """`celery worker` with one prefork child: the child runs the tasks, the main
    process talks to the broker. SIGKILL of the child is the OOM killer hitting a task
    (the main process sees WorkerLostError and, with acks_late and
    reject_on_worker_lost, requeues the message); SIGKILL of the whole group is the
    machine losing the worker."""

    def __init__(self, folder: Path, env: dict[str, str], name: str) -> None:
        self.hostname = f"{name}@resilience"
        self.server = Managed(
            name,
            [
                str(VENV_BIN / "celery"),
                "-A",
                "approval_site",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "--loglevel=INFO",
                "--hostname",
                self.hostname,
                "--without-gossip",
                "--without-mingle",
            ],
            log=folder / f"{name}.log",
            env=env,
        )

    def start(self, ping: Callable[[str], bool] | None = None) -> None:
        self.server.start()
        if ping is not None:

            def answers() -> bool:
                if not self.server.alive():
                    raise RuntimeError("worker exited:\n" + self.server.tail())
                return ping(self.hostname)

            wait_until("the worker to answer a ping", answers, 60, log=self.server.log)

    def children(self) -> list[int]:
        pid = self.server.pid
        if pid is None or not self.server.alive():
            return []
        found: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                found.extend(int(p) for p in task.read_text().split())
        return found

    def kill_child(self) -> int | None:
        """SIGKILL the pool process running the tasks; returns its PID."""
        for pid in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                return pid
        return None

    def stop(self) -> None:
        self.server.stop(timeout=15)


class CeleryBeat:
    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.server = Managed(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "approval_site",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(folder / "celerybeat-schedule"),
            ],
            log=folder / "beat.log",
            env=env,
        )

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop(timeout=10)
