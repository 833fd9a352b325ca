"""`make bench`: seed, serve, measure, write bench/results/<timestamp>.{json,md}.

    .venv/bin/python bench/run.py            # full scale (1 M documents), 10 s per run
    .venv/bin/python bench/run.py --quick    # 20 k documents, 3 s per run

Uses the machine's PostgreSQL and Redis by default (database `signoff_bench`, Redis db 7).
Starts gunicorn (sync workers = cores, persistent DB connections) and a Celery worker with
beat, plus the ERP receiver; stops all of them on exit, failure or Ctrl-C. Every figure is
measured `--runs` times (median, min–max) and also given as a ratio to `/healthz` of the
same run: req/s over /healthz req/s, latencies as multiples of /healthz p50.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import report  # noqa: E402
from bench.stack import VENV_BIN, Stack  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="20 k documents, 3 s runs")
    parser.add_argument("--documents", type=int, help="seed scale (default 1000000)")
    parser.add_argument("--database-url", help="default postgres://…/signoff_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seconds", type=int, help="per wrk run (default 10)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--samples", type=int, help="approvals per latency run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="DJANGO_LOG_LEVEL of the served app (INFO logs a line per request)",
    )
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help="put the table into README.md between its bench-table markers",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=report.SECTIONS,
        help="leave a section out (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.documents is None:
        args.documents = 20_000 if args.quick else 1_000_000
    if args.database_url is None:
        name = "signoff_bench_quick" if args.quick else "signoff_bench"
        args.database_url = f"postgres://postgres@127.0.0.1:5432/{name}"
    args.seconds = args.seconds or (3 if args.quick else 10)
    args.samples = args.samples or (3 if args.quick else 10)
    return args


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    """The deployment's environment: production settings plus the bench endpoints.

    Plain HTTP on the loopback, so no HTTPS redirect and no secure-only cookies (a
    real deployment terminates TLS in front of gunicorn; nothing else changes). New-task
    e-mails are rendered as in production but handed to Django's dummy backend: there is
    no SMTP server here, and the console default would write every mail into the log.
    """
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.redis_url,
            "DJANGO_CONN_MAX_AGE": "600",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SESSION_COOKIE_SECURE": "false",
            "DJANGO_CSRF_COOKIE_SECURE": "false",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_LOG_LEVEL": args.log_level,
            "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "SIGNOFF_LOG_FORMAT": "json",
            "SIGNOFF_DEMO_MODE": "false",
            "SIGNOFF_VAR_DIR": str(ROOT / "var" / "bench"),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def ensure_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def seed(args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    python = str(VENV_BIN / "python")
    started = time.perf_counter()
    subprocess.run(  # noqa: S603
        [python, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    report.say(f"migrate: {time.perf_counter() - started:.0f} s")
    subprocess.run(  # noqa: S603
        [python, "bench/seed.py", f"--documents={args.documents}"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    from bench.seed import report_path

    return json.loads(report_path(args.database_url).read_text())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    env = bench_env(args)
    var = ROOT / "var" / "bench"
    var.mkdir(parents=True, exist_ok=True)

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    load_before = os.getloadavg()
    ensure_database(args.database_url)
    seed_report = seed(args, env)
    os.environ.update(env)
    import django

    django.setup()
    import redis

    # Db 7 is the bench's own: stale task messages from an aborted run go.
    redis.Redis.from_url(args.redis_url).flushdb()

    from bench.erp_receiver import ErpReceiver
    from bench.measurements import Bench

    receiver = ErpReceiver()
    receiver.start()
    stack = Stack(env=env, log_dir=var)
    try:
        report.say(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{args.port}")
        stack.gunicorn(port=args.port, workers=args.workers)
        bench = Bench(args=args, stack=stack, receiver=receiver, var=var)
        bench.start_workers()
        results = bench.run_all()
    except KeyboardInterrupt:
        report.say("interrupted: stopping everything")
        return 130
    finally:
        stack.stop()
        receiver.stop()
    meta = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "git_commit": _git_commit(),
        "cores": os.cpu_count(),
        "gunicorn_workers": args.workers,
        "celery_concurrency": args.workers,
        "connections": args.connections,
        "seconds_per_run": args.seconds,
        "runs": args.runs,
        "latency_samples_per_run": args.samples,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "database": args.database_url.rpartition("/")[2],
        "seed": seed_report,
        "log_level": args.log_level,
    }
    json_path, md_path = report.write(meta=meta, results=results)
    print(md_path.read_text())
    report.say(f"written: {json_path.relative_to(ROOT)}, {md_path.relative_to(ROOT)}")
    if args.update_readme:
        _readme_table_replace(md_path.read_text())
        report.say("README.md: Performance table replaced")
    return 0


def _readme_table_replace(table: str) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    start, end = "<!-- bench-table -->\n", "<!-- /bench-table -->"
    head, _, rest = text.partition(start)
    _, found, tail = rest.partition(end)
    if not found:
        raise SystemExit("README.md has no bench-table markers")
    readme.write_text(f"{head}{start}{table.rstrip()}\n{end}{tail}")


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
