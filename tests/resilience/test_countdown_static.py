"""RELIABILITY 26: no code schedules a broker countdown/eta longer than half the
visibility timeout — backoff lives in the database (`next_attempt_at`).

With Redis and acks_late, a message not acknowledged within the visibility timeout is
delivered again; a countdown or eta sits unacknowledged in the worker until it is due,
so one longer than (half) the timeout runs twice. Static: the application's source is
parsed with `ast` and every `apply_async(countdown=/eta=)`, `.retry(countdown=/eta=)`,
`.set(countdown=/eta=)` and task option (`default_retry_delay`, `retry_backoff_max`)
is checked against the visibility timeout the production settings give Redis. Not
marked `resilience`: it needs no process and runs in `make test` too.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
APPS = ("approval_site", "core", "orgunits", "workflows", "documents", "erp_sync")
#: Keywords that put a delay into the broker.
DELAY_KEYWORDS = {"countdown", "eta"}
SCHEDULING_CALLS = {"apply_async", "retry", "set", "signature", "s", "si"}
TASK_OPTIONS = {"default_retry_delay", "retry_backoff_max"}


def broker_settings() -> dict[str, float]:
    """The Redis visibility timeout and task time limit of the real settings module,
    read in a child process (the test settings may use another broker)."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'visibility': s.CELERY_BROKER_TRANSPORT_OPTIONS"
        "['visibility_timeout'], 'time_limit': s.CELERY_TASK_TIME_LIMIT}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "approval_site.settings.base",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _number(node: ast.AST) -> float | None:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return None
    return float(value) if isinstance(value, int | float) else None


def _bound(node: ast.AST, scope: dict[str, ast.AST], depth: int = 0) -> float | None:
    """An upper bound of an expression's value, when one can be read off the source:
    a literal; a module constant; `min(...)` with a bounded argument; a call to a
    function of the same module whose every `return` is bounded. None otherwise."""
    if depth > 5:
        return None
    literal = _number(node) if not isinstance(node, ast.Name) else None
    if literal is not None:
        return literal
    if isinstance(node, ast.Name) and node.id in scope:
        return _bound(scope[node.id], scope, depth + 1)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "min":
            bounds = [_bound(arg, scope, depth + 1) for arg in node.args]
            known = [b for b in bounds if b is not None]
            return min(known) if known else None
        function = scope.get(node.func.id)
        if isinstance(function, ast.FunctionDef):
            returns = [r.value for r in ast.walk(function) if isinstance(r, ast.Return)]
            bounds = [
                _bound(value, scope, depth + 1) if value is not None else None
                for value in returns
            ]
            if returns and all(b is not None for b in bounds):
                return max(b for b in bounds if b is not None)
    return None


def _module_scope(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level constants (their values) and functions (their definitions)."""
    scope: dict[str, ast.AST] = {}
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef):
            scope[statement.name] = statement
        elif isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = (
                statement.targets
                if isinstance(statement, ast.Assign)
                else [statement.target]
            )
            for target in targets:
                if isinstance(target, ast.Name) and statement.value is not None:
                    scope[target.id] = statement.value
    return scope


def violations(source: str, filename: str, limit: float) -> list[str]:
    """Every broker delay in `source` that is longer than `limit` seconds, or that
    cannot be shown not to be (an eta, or a countdown computed at run time)."""
    found: list[str] = []
    tree = ast.parse(source, filename)
    scope = _module_scope(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        for keyword in node.keywords:
            where = f"{filename}:{keyword.value.lineno} {name}({keyword.arg}=…)"
            if name in SCHEDULING_CALLS and keyword.arg in DELAY_KEYWORDS:
                if keyword.arg == "eta":
                    found.append(f"{where}: an eta puts the backoff in the broker")
                    continue
                seconds = _bound(keyword.value, scope)
                if seconds is None or seconds > limit:
                    found.append(f"{where}: {ast.unparse(keyword.value)} > {limit:g} s")
            elif keyword.arg in TASK_OPTIONS:
                seconds = _bound(keyword.value, scope)
                if seconds is None or seconds > limit:
                    found.append(f"{where}: {ast.unparse(keyword.value)} > {limit:g} s")
    return found


def test_no_broker_delay_longer_than_half_the_visibility_timeout() -> None:
    limits = broker_settings()
    half = limits["visibility"] / 2
    found: list[str] = []
    scanned = 0
    for app in APPS:
        for path in sorted((BASE_DIR / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            scanned += 1
            found += violations(path.read_text(), str(path.relative_to(BASE_DIR)), half)
    assert scanned > 50, "the scan found too few files to mean anything"
    assert not found, "\n".join(found)
    # A task that runs longer than the timeout is delivered again while it runs.
    assert limits["time_limit"] < half


def test_the_scanner_catches_what_it_must() -> None:
    source = (
        "LONG = 7200\n"
        "def short(n):\n    return min(60 * 2**n, 900)\n"
        "def long(n):\n    return min(60 * 2**n, LONG)\n"
        "def unbounded(n):\n    return 60 * 2**n\n"
        "task.apply_async((1,), countdown=7200)\n"
        "task.apply_async((1,), countdown=10)\n"
        "self.retry(countdown=delay)\n"
        "task.apply_async((1,), eta=when)\n"
        "task.s(1).set(countdown=3600)\n"
        "@shared_task(default_retry_delay=5000)\n"
        "def f(): pass\n"
        "self.retry(countdown=short(self.request.retries))\n"
        "self.retry(countdown=long(self.request.retries))\n"
        "self.retry(countdown=unbounded(self.request.retries))\n"
        "self.retry(countdown=min(delay, 60))\n"
        "task.apply_async(countdown=LONG)\n"
    )
    found = violations(source, "example.py", 1800)
    assert [line.split(" ")[0] for line in found] == [
        "example.py:8",
        "example.py:10",
        "example.py:11",
        "example.py:12",
        "example.py:13",
        "example.py:16",
        "example.py:17",
        "example.py:19",
    ], found
