"""Each figure of issue 8, measured `--runs` times against the served stack."""

from __future__ import annotations

import argparse
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import requests

from bench import measure, report, wrk
from bench.erp_receiver import ErpReceiver
from bench.seed import ADMIN_USERNAME, BENCH_COMPANY, approver_username
from bench.stack import Stack


class Bench:
    def __init__(
        self,
        *,
        args: argparse.Namespace,
        stack: Stack,
        receiver: ErpReceiver,
        var: Path,
    ) -> None:
        self.args = args
        self.stack = stack
        self.receiver = receiver
        self.var = var
        self.base = f"http://127.0.0.1:{args.port}"
        self.worker: Any = None
        self.files = Path(tempfile.mkdtemp(prefix="signoff-bench-", dir=var))
        self.run_id = time.strftime("%H%M%S")

    # --- infrastructure ----------------------------------------------------------------

    def start_workers(self) -> None:
        from approval_site.celery import app

        report.say(f"celery: worker with beat, concurrency {self.args.workers}")
        self.worker = self.stack.celery(
            concurrency=self.args.workers, schedule=self.var / "celerybeat-schedule"
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if app.control.ping(timeout=1.0):
                return
        raise RuntimeError("the Celery worker did not answer a ping within 90 s")

    def stop_workers(self) -> None:
        if self.worker is not None:
            self.stack.stop_one(self.worker)
            self.worker = None

    def _settle(self, timeout: float = 300) -> None:
        """Wait until every gunicorn worker is free again.

        wrk stops at its deadline, but a sync worker still finishes each request it
        had taken (and the listen queue still holds the rest): without this, a slow
        page's leftovers would be measured as the next figure's latency. All workers
        are free when as many concurrent /healthz requests all answer at once.
        """
        from concurrent.futures import ThreadPoolExecutor

        def quick(_: int) -> bool:
            started = time.monotonic()
            try:
                requests.get(f"{self.base}/healthz", timeout=60).raise_for_status()
            except requests.RequestException:
                return False
            return time.monotonic() - started < 0.25

        deadline = time.monotonic() + timeout
        with ThreadPoolExecutor(max_workers=self.args.workers) as pool:
            while time.monotonic() < deadline:
                if all(pool.map(quick, range(self.args.workers))):
                    return
                time.sleep(0.2)
        raise RuntimeError(f"gunicorn still busy {timeout} s after a wrk run")

    def _quiesce(self, section: str, timeout: float = 600) -> None:
        """Wait until the workers owe nothing before a section is measured.

        The ingest section leaves the worker a queue of follow-up work (new-task e-mails
        for every routed document come after the routing itself); measured while that
        ran, the pages shared the two cores with it and read 2-3x slower than they are.
        """
        started = time.monotonic()
        quiet = measure.wait_until(
            lambda: measure.broker_pending() == 0 and measure.backlog() == 0,
            timeout=timeout,
            interval=0.2,
        )
        if quiet is None:
            raise RuntimeError(
                f"before {section}: after {timeout:.0f} s still "
                f"{measure.broker_pending()} Celery messages pending and "
                f"{measure.backlog()} documents not routed"
            )
        if quiet - started > 1:
            report.say(
                f"before {section}: waited {quiet - started:.1f} s for the workers"
            )

    def _file(self, name: str, content: bytes) -> str:
        path = self.files / name
        path.write_bytes(content)
        return str(path)

    def _wrk(self, path: str, connections: int | None = None, **kwargs: Any) -> Any:
        """A wrk run of `--seconds`; longer (up to 4x) while too few answers came back.

        A slow page under a short run would otherwise end with no answer at all and
        read as 0 req/s and 0 ms; percentiles need a few answers per connection.
        """
        connections = connections or self.args.connections
        seconds = self.args.seconds
        while True:
            result = wrk.run(
                f"{self.base}{path}",
                seconds=seconds,
                connections=connections,
                **kwargs,
            )
            self._settle()
            if result.requests >= 3 * connections or seconds >= 4 * self.args.seconds:
                return result
            report.say(
                f"{path}: only {result.requests} answers in {seconds} s, "
                f"measuring again over {2 * seconds} s"
            )
            seconds *= 2

    def _repeat(self, label: str, once: Any) -> list[Any]:
        results = []
        for n in range(1, self.args.runs + 1):
            result = once(n)
            report.say(f"{label} run {n}: {result}")
            results.append(result)
        return results

    # --- the figures -----------------------------------------------------------------------

    def run_all(self) -> dict[str, Any]:
        """Every section of the table; one that fails is recorded, the others still run."""
        skip = set(self.args.skip)
        self.prepared = measure.prepare(base_url=self.base, receiver=self.receiver)
        self.approver = approver_username(0)
        self.cookie = {
            "Cookie": measure.cookie_header(measure.login(self.base, self.approver))
        }
        self.admin_cookie = {
            "Cookie": measure.cookie_header(measure.login(self.base, ADMIN_USERNAME))
        }
        results: dict[str, Any] = {
            "approver": self.approver,
            "approver_open_tasks": measure.open_task_count(self.approver),
            "runs": {},
            "queries": {},
            "failures": {},
        }
        # /healthz is every ratio's denominator: without it there is no table.
        results["runs"]["healthz"] = self._repeat(
            "healthz", lambda n: self._wrk("/healthz").as_dict()
        )
        sections = {
            "reference": self._reference,
            "ingest": self._ingest_and_routing,
            "pages": self._pages,
            "latency": self._latency,
            "plan": self._plan,
            "sync": self._sync,
        }
        for name, section in sections.items():
            if name in skip:
                continue
            try:
                self._quiesce(name)
                section(results)
            except Exception as error:  # recorded and shown in the table
                report.say(f"section {name} FAILED: {error!r}")
                traceback.print_exc()
                results["failures"][name] = f"{type(error).__name__}: {error}"[:500]
                self._settle()
        return results

    def _reference(self, results: dict[str, Any]) -> None:
        runs = results["runs"]
        body = self._file("reference.json", measure.reference_body())
        runs["ref_create"] = self._repeat(
            "bare DRF nested create",
            lambda n: self._wrk(
                "/bench/ref/invoices",
                headers={"Content-Type": "application/json"},
                mode="post",
                script_args=[f"R{self.run_id}{n}-", body],
                expect=201,
            ).as_dict(),
        )
        runs["ref_rows"] = self._repeat(
            "plain 50-row page",
            lambda n: self._wrk("/bench/ref/rows", headers=self.cookie).as_dict(),
        )
        results["queries"]["ref_rows"] = measure.queries_per_request(
            username=self.approver, path="/bench/ref/rows"
        )

    def _ingest_and_routing(self, results: dict[str, Any]) -> None:
        results["runs"]["ingest"] = self._repeat("ingest", self._ingest_once)
        results["runs"]["routing"] = self._repeat(
            "routing throughput", self._routing_once
        )

    def _pages(self, results: dict[str, Any]) -> None:
        runs = results["runs"]
        runs["my_tasks"] = self._repeat(
            "my tasks",
            lambda n: self._wrk("/tasks/", headers=self.cookie).as_dict(),
        )
        runs["my_tasks_unloaded"] = self._repeat(
            "my tasks, 1 connection",
            lambda n: self._wrk(
                "/tasks/", connections=1, headers=self.cookie
            ).as_dict(),
        )
        paths = self._file(
            "task_paths.txt", "\n".join(measure.approver_task_paths()).encode()
        )
        runs["task_page"] = self._repeat(
            "task page",
            lambda n: self._wrk(
                "/", headers=self.cookie, mode="paths", script_args=[paths]
            ).as_dict(),
        )
        task_path = measure.approver_task_paths(limit=1)[0]
        results["queries"]["my_tasks"] = measure.queries_per_request(
            username=self.approver, path="/tasks/"
        )
        results["queries"]["task_page"] = measure.queries_per_request(
            username=self.approver, path=task_path
        )

    def _latency(self, results: dict[str, Any]) -> None:
        results["runs"]["latency"] = self._repeat(
            "approve latencies",
            lambda n: measure.approve_latencies(
                self.prepared,
                receiver=self.receiver,
                samples=self.args.samples,
                run=f"{self.run_id}{n}",
            ),
        )

    def _plan(self, results: dict[str, Any]) -> None:
        plan = measure.plan_timing(self.prepared, runs=self.args.runs)
        results["plan"] = plan
        report.say(f"plan(): {plan}")
        simulator = f"/c/{BENCH_COMPANY}/simulator/documents/{plan['document_id']}/"
        results["queries"]["simulator"] = measure.queries_per_request(
            username=ADMIN_USERNAME, path=simulator
        )
        results["runs"]["simulator"] = self._repeat(
            "simulator page",
            # One administrator at a time: an editing tool, not a page under load.
            lambda n: self._wrk(
                simulator, connections=1, headers=self.admin_cookie
            ).as_dict(),
        )

    def _sync(self, results: dict[str, Any]) -> None:
        results["runs"]["sync"] = self._repeat(
            "master-data sync",
            lambda n: measure.sync_seconds(base_url=self.base, run=f"{self.run_id}{n}"),
        )

    def _ingest_body(self, n: int) -> str:
        centre = 1 + (n % max(1, self.prepared.approvers - 1))
        return self._file(
            f"ingest-{n}.json",
            measure.ingest_body(centre=centre, departments=self.prepared.departments),
        )

    def _ingest(self, prefix: str, n: int) -> Any:
        return self._wrk(
            "/api/v1/documents/supplier-invoices",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.prepared.token}",
            },
            mode="post",
            script_args=[prefix, self._ingest_body(n)],
            expect=202,
        )

    def _ingest_once(self, n: int) -> dict[str, Any]:
        """Ingest with live workers; then how long the routing backlog takes to drain."""
        result = self._ingest(f"I{self.run_id}{n}-", n).as_dict()
        ended = time.monotonic()
        result["backlog_at_end"] = measure.backlog()
        drained = measure.wait_until(
            lambda: measure.backlog() == 0, timeout=120, interval=0.1
        )
        result["drain_s"] = None if drained is None else round(drained - ended, 2)
        # The rest of the pipeline: the new-task e-mails of the routed documents.
        quiet = measure.wait_until(
            lambda: measure.broker_pending() == 0, timeout=300, interval=0.1
        )
        result["quiet_s"] = None if quiet is None else round(quiet - ended, 2)
        return result

    def _routing_once(self, n: int) -> dict[str, Any]:
        """Queue a burst with no worker running, start the workers, time the routing.

        The rate comes from the routed processes' own start times (first to last), so
        neither the worker's start-up nor the polling interval is in it.
        """
        self.stop_workers()
        prefix = f"Q{self.run_id}{n}-"
        try:
            burst = self._ingest(prefix, n)
        finally:
            self.start_workers()
        started = time.monotonic()
        drained = measure.wait_until(
            lambda: measure.backlog() == 0, timeout=300, interval=0.05
        )
        if drained is None:
            raise RuntimeError(f"{measure.backlog()} documents not routed within 300 s")
        routed, seconds = measure.routing_span(prefix)
        return {
            # The burst is the API tier alone: no worker shares the cores with it.
            "burst": burst.as_dict(),
            "documents": routed,
            "ingested": burst.requests,
            "drain_s": round(drained - started, 2),
            "seconds": round(seconds, 3),
            "per_second": round((routed - 1) / seconds, 1) if seconds else None,
        }
