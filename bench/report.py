"""The bench's output: a JSON record of every run and a Markdown table of medians."""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("reference", "ingest", "pages", "latency", "plan", "sync")


def say(message: str) -> None:
    # UTC: Django sets the process's TZ to TIME_ZONE, the shell's `date -u` is UTC.
    print(f"[bench {time.strftime('%H:%M:%SZ', time.gmtime())}] {message}", flush=True)


@dataclass(frozen=True)
class Row:
    figure: str
    unit: str
    values: list[float]  # one per run
    ratio: str = ""  # "rps" (÷ healthz req/s) or "p50" (÷ healthz p50), or none
    target: str = ""
    met: Callable[[float, float | None], bool] | None = None  # (median, ratio)

    def summary(self, healthz_rps: float, healthz_p50: float) -> dict[str, Any]:
        if not self.values:  # every run failed (no answer at all): no figure
            return {
                "figure": self.figure,
                "unit": self.unit,
                "median": None,
                "min": None,
                "max": None,
                "runs": [],
                "ratio": None,
                "ratio_of": self.ratio,
                "target": self.target,
                "met": False if self.met is not None else None,
            }
        median = statistics.median(self.values)
        ratio = None
        if self.ratio == "rps" and healthz_rps:
            ratio = median / healthz_rps
        elif self.ratio == "p50" and healthz_p50:
            ratio = median / healthz_p50
        verdict = None
        if self.met is not None:
            verdict = bool(self.met(median, ratio))
        return {
            "figure": self.figure,
            "unit": self.unit,
            "median": median,
            "min": min(self.values),
            "max": max(self.values),
            "runs": self.values,
            "ratio": ratio,
            "ratio_of": self.ratio,
            "target": self.target,
            "met": verdict,
        }


def _pick(runs: list[dict[str, Any]], key: str) -> list[float]:
    """One value per run; a run without one (no answer: NaN latency) is left out."""
    values = [float(run[key]) for run in runs if run.get(key) is not None]
    return [value for value in values if not math.isnan(value)]


def _pct(samples: list[float], share: float) -> float:
    """Nearest-rank percentile: p50 of 10 samples is the 5th, p99 the 10th."""
    ordered = sorted(samples)
    return ordered[min(len(ordered), max(1, math.ceil(share * len(ordered)))) - 1]


def _expected(key: str) -> int:
    return {"ingest": 202, "ingest_alone": 202, "ref_create": 201}.get(key, 200)


def rows(results: dict[str, Any]) -> list[Row]:
    runs = dict(results["runs"])
    # The routing section's bursts: ingest with no worker on the two cores.
    bursts = [r["burst"] for r in runs.get("routing", []) if "burst" in r]
    if bursts:
        runs["ingest_alone"] = bursts
    out: list[Row] = []

    def http(name: str, key: str, *, rps_target: str = "", rps_met: Any = None) -> None:
        if key not in runs:
            return
        out.append(
            Row(
                f"{name}: req/s",
                "req/s",
                _pick(runs[key], "rps"),
                "rps",
                rps_target,
                rps_met,
            )
        )
        out.append(Row(f"{name}: p50", "ms", _pick(runs[key], "p50_ms"), "p50"))
        out.append(Row(f"{name}: p99", "ms", _pick(runs[key], "p99_ms"), "p50"))
        # Answers with another status than the endpoint's success and socket errors:
        # always shown, so a fast run of errors can never pass for speed.
        errors = _pick(runs[key], "errors")
        answered = _pick(runs[key], "requests")
        out.append(
            Row(
                f"{name}: failed requests (non-{_expected(key)} or socket errors; "
                f"{sum(answered):.0f} answers in all runs)",
                "",
                errors,
                target="0",
                met=lambda median, ratio, errors=errors: not any(errors),
            )
        )
        if any(n == 0 for n in answered):
            out.append(
                Row(
                    f"{name}: runs without a single answer", "runs", [answered.count(0)]
                )
            )

    http("/healthz", "healthz")
    http("Reference: bare DRF nested create (3 KB, 10 lines)", "ref_create")
    http("Reference: plain page of 50 task rows", "ref_rows")
    for name, key in (
        (
            "Ingest POST /api/v1/documents/supplier-invoices (10 lines, 8 conn.), "
            "workers routing on the same 2 cores",
            "ingest",
        ),
        (
            "Ingest, the API tier alone (the same POSTs with the workers stopped; the "
            "routing bursts below)",
            "ingest_alone",
        ),
    ):
        http(
            name,
            key,
            rps_target="≥ 0.08× (never < 0.05×)",
            rps_met=lambda median, ratio: ratio is not None and ratio >= 0.08,
        )
    if "ingest" in runs:
        out.append(
            Row(
                "Ingest: routing backlog drained after the run",
                "s",
                [
                    v if v is not None else 999.0
                    for v in (r.get("drain_s") for r in runs["ingest"])
                ],
                target="≤ 10 s",
                met=lambda median, ratio: median <= 10,
            )
        )
        quiet = [r["quiet_s"] for r in runs["ingest"] if r.get("quiet_s") is not None]
        if quiet:
            out.append(
                Row(
                    "Ingest: all follow-up work done after the run (routing, "
                    "new-task e-mails)",
                    "s",
                    quiet,
                )
            )
    if "routing" in runs:
        out.append(
            Row(
                "Routing throughput (workers)",
                "documents/s",
                _pick(runs["routing"], "per_second"),
                "rps",
            )
        )
    if "latency" in runs:
        visible = [r["next_step_visible_ms"] for r in runs["latency"]]
        pushed = [r["push_received_ms"] for r in runs["latency"]]
        out.append(
            Row(
                "Approve → next step's task visible: p50",
                "ms",
                [_pct(s, 0.5) for s in visible],
                "p50",
                "≤ 150 ms",
                lambda m, r: m <= 150,
            )
        )
        out.append(
            Row(
                "Approve → next step's task visible: p99",
                "ms",
                [_pct(s, 0.99) for s in visible],
                "p50",
            )
        )
        out.append(
            Row(
                "Completion → ERP receives the signed push: p50",
                "ms",
                [_pct(s, 0.5) for s in pushed],
                "p50",
                "≤ 500 ms",
                lambda m, r: m <= 500,
            )
        )
        out.append(
            Row(
                "Completion → ERP receives the signed push: p99",
                "ms",
                [_pct(s, 0.99) for s in pushed],
                "p50",
            )
        )
    http(
        f"My tasks at {results.get('documents_label', '1 M')} documents, {results.get('approver_open_tasks', '?')} open tasks (8 conn.)",
        "my_tasks",
        rps_target="≥ 0.03×",
        rps_met=lambda median, ratio: ratio is not None and ratio >= 0.03,
    )
    if "my_tasks_unloaded" in runs:
        out.append(
            Row(
                "My tasks unloaded (1 conn.): p50",
                "ms",
                _pick(runs["my_tasks_unloaded"], "p50_ms"),
                "p50",
            )
        )
        out.append(
            Row(
                "My tasks unloaded (1 conn.): p99",
                "ms",
                _pick(runs["my_tasks_unloaded"], "p99_ms"),
                "p50",
                "≤ 50 ms",
                lambda m, r: m <= 50,
            )
        )
    http("Task page (8 conn., the approver's 500 tasks in turn)", "task_page")
    queries = results.get("queries", {})
    for key, label, target in (
        ("my_tasks", "My tasks: SQL queries per request", "≤ 10"),
        ("task_page", "Task page: SQL queries per request", ""),
        ("ref_rows", "Plain 50-row page: SQL queries per request", ""),
        ("simulator", "Simulator page: SQL queries per request", ""),
    ):
        if key in queries:
            met = (lambda m, r: m <= 10) if target else None
            out.append(
                Row(label, "queries", [float(queries[key])], target=target, met=met)
            )
    if plan := results.get("plan"):
        out.append(
            Row(
                f"plan() for a {plan['lines']}-line invoice ({plan['approvers']} approvers)",
                "ms",
                plan["ms"],
                "p50",
                "≤ 20 ms",
                lambda m, r: m <= 20,
            )
        )
        out.append(
            Row(
                "plan(): SQL queries",
                "queries",
                [float(plan["queries"])],
                target="constant",
            )
        )
    http("Simulator page (200-line invoice, 1 conn.)", "simulator")
    if "sync" in runs:
        out.append(
            Row(
                "Sync 10 k subaccounts + 5 k employees (API)",
                "s",
                _pick(runs["sync"], "total_s"),
                target="≤ 10 s",
                met=lambda m, r: m <= 10,
            )
        )
        out.append(
            Row(
                "  of which 10 k subaccounts", "s", _pick(runs["sync"], "subaccounts_s")
            )
        )
        out.append(
            Row("  of which 5 k employees", "s", _pick(runs["sync"], "employees_s"))
        )
    return out


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 100:
        return f"{value:.0f}"
    if value >= 100:
        return f"{value:,.0f}".replace(",", " ")
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def markdown(
    meta: dict[str, Any],
    summary: list[dict[str, Any]],
    failures: dict[str, str] | None = None,
) -> str:
    seed = meta.get("seed", {})
    lines = [
        f"### `make bench` — {meta['timestamp']} (commit {meta['git_commit']})",
        "",
        f"{meta['cores']} cores, gunicorn {meta['gunicorn_workers']} sync workers, Celery "
        f"concurrency {meta['celery_concurrency']}, PostgreSQL + Redis on the same machine; "
        f"{meta['runs']} runs of {meta['seconds_per_run']} s each (wrk from 127.0.0.1, "
        f"{meta['connections']} connections unless noted; a run with fewer than 3 "
        "answers per connection is repeated twice as long, up to 4x; only the "
        "endpoint's success status counts as served, every other answer is a failed "
        "request; gunicorn drains between runs). Load average (1 min) before/after: "
        f"{meta['load_average_before'][0]:.1f} / {meta['load_average_after'][0]:.1f}. "
        f"Seed: {seed.get('documents', '?'):,} documents, {seed.get('lines', '?'):,} lines, "
        f"{seed.get('open_tasks', '?'):,} open tasks, database "
        f"{seed.get('database_bytes', 0) / 2**30:.1f} GiB, "
        + (
            f"built in {seed['seconds']:.0f} s."
            if seed.get("seconds") is not None
            else "seed time not recorded (var/bench was cleaned since)."
        ),
        "",
        "| Figure | Median | Min–max | Ratio to /healthz | Target | Met |",
        "| --- | ---: | ---: | ---: | --- | :---: |",
    ]
    for row in summary:
        ratio = ""
        if row["ratio"] is not None:
            ratio = (
                f"{row['ratio']:.3f}× req/s"
                if row["ratio_of"] == "rps"
                else f"{row['ratio']:.1f}× p50"
            )
        met = {True: "yes", False: "**no**", None: ""}[row["met"]]
        spread = (
            f"{_number(row['min'])}–{_number(row['max'])}"
            if len(row["runs"]) > 1
            else ""
        )
        median = "no answer" if row["median"] is None else f"{_number(row['median'])}"
        lines.append(
            f"| {row['figure']} | {median} {row['unit']} | {spread} | "
            f"{ratio} | {row['target']} | {met} |"
        )
    lines.append("")
    for section, error in (failures or {}).items():
        lines.append(
            f"**Section `{section}` failed** (its figures are missing): {error}"
        )
        lines.append("")
    return "\n".join(lines)


def write(*, meta: dict[str, Any], results: dict[str, Any]) -> tuple[Path, Path]:
    documents = meta.get("seed", {}).get("documents")
    if documents:
        results["documents_label"] = (
            f"{documents / 1e6:.0f} M" if documents >= 1e6 else f"{documents:,}"
        )
    runs = results["runs"]
    healthz_rps = statistics.median(_pick(runs["healthz"], "rps"))
    healthz_p50 = statistics.median(_pick(runs["healthz"], "p50_ms"))
    summary = [row.summary(healthz_rps, healthz_p50) for row in rows(results)]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    json_path = RESULTS / f"{stamp}.json"
    md_path = RESULTS / f"{stamp}.md"
    json_path.write_text(
        json.dumps(
            {"meta": meta, "summary": summary, "results": results},
            indent=2,
            default=str,
        )
        + "\n"
    )
    md_path.write_text(markdown(meta, summary, results.get("failures")))
    return json_path, md_path
