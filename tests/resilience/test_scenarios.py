"""RELIABILITY scenarios 17, 21, 24 (restart, partition, FLUSHALL) and 25, against a
whole Signoff of real processes (see conftest.py), checked with INV-1..INV-6.

Each scenario drives documents through the API (gunicorn) and the approvers (services),
injects its faults by PID or through the Redis proxy, heals, waits (bounded) until
everything is final and delivered, and asserts the invariants. Random choices come
from a seeded RNG; the seed is printed (SIGNOFF_RESILIENCE_SEED replays one).
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from tests.resilience.checker import check, report, wait_for_drain
from tests.resilience.conftest import SCALE, SIMULATED_HOUR_SECONDS, Stack
from tests.resilience.driver import (
    Approvers,
    ErpDriver,
    History,
    Tenant,
    all_final,
    tenant_create,
)
from tests.resilience.erp import ResilientErp

pytestmark = pytest.mark.resilience

#: Upper bound on any scenario's drive and drain phases (seconds).
DRIVE_TIMEOUT = 240.0
DRAIN_TIMEOUT = 120.0


def _seed() -> int:
    configured = os.environ.get("SIGNOFF_RESILIENCE_SEED")
    return int(configured) if configured else random.SystemRandom().randrange(10**6)


class Scenario:
    """Two companies, each with its own ERP client and stand-in; the driver, the
    approvers and the fault counters of one scenario."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack = stack
        self.name = name
        self.seed = _seed()
        print(f"\nscenario {name}: seed {self.seed} (SIGNOFF_RESILIENCE_SEED)")
        self.rng = random.Random(self.seed)
        self.history = History()
        self.faults: Counter[str] = Counter()
        self.erps: dict[int, ResilientErp] = {}
        self.tenants: list[Tenant] = []
        self.started = time.monotonic()
        assert stack.gunicorn is not None
        for suffix in "ab":
            erp = ResilientErp([])
            erp.start()
            tenant, secret = tenant_create(
                code=f"{name}-{suffix}-{self.seed}",
                base_url=stack.gunicorn.url,
                callback_url=erp.url,
            )
            erp.secrets = [secret]
            self.erps[tenant.company_id] = erp
            self.tenants.append(tenant)
        self.driver = ErpDriver(self.history, random.Random(self.seed + 1))
        self.approvers = Approvers(
            self.tenants, self.history, random.Random(self.seed + 2)
        )

    def set_erp_mode(self, mode: str) -> None:
        for erp in self.erps.values():
            erp.set_mode(mode)

    def drive(
        self,
        documents: int,
        *,
        cancel_ratio: float = 0.1,
        each: Callable[[int], None] | None = None,
    ) -> None:
        """Submit `documents` (approving along the way), then decide until all final."""
        deadline = time.monotonic() + DRIVE_TIMEOUT
        to_cancel: list[tuple[Tenant, str]] = []
        for index in range(documents):
            assert time.monotonic() < deadline, "drive: submissions took too long"
            tenant = self.tenants[index % len(self.tenants)]
            reference = f"R{index:05d}"
            if self.driver.submit(tenant, reference) and (
                self.rng.random() < cancel_ratio
            ):
                to_cancel.append((tenant, reference))
            if index % 4 == 3:
                self.approvers.round()
            if to_cancel and self.rng.random() < 0.3:
                self.driver.cancel(*to_cancel.pop(0))
            if each is not None:
                each(index)
        for tenant, reference in to_cancel:
            self.driver.cancel(tenant, reference)
        while time.monotonic() < deadline:
            if self.approvers.round() == 0:
                if self._all_final():
                    return
                time.sleep(0.3)
        raise AssertionError("drive: documents not final in time\n" + self.stack.logs())

    def _all_final(self) -> bool:
        try:
            return all_final(self.tenants)
        except Exception:
            return False

    def finish(self, may_restart: frozenset[str] = frozenset()) -> None:
        restarted = self.stack.heal()
        # Processes must survive the faults on their own (a worker reconnects to Redis
        # and PostgreSQL); only what the scenario killed on purpose may need a start.
        assert set(restarted) <= may_restart, f"had to restart {restarted}"
        self.set_erp_mode("ok")
        try:
            wait_for_drain(self.tenants, self.erps, DRAIN_TIMEOUT)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.stack.logs()}") from None
        numbers = check(tenants=self.tenants, erps=self.erps, history=self.history)
        faults = dict(self.faults)
        faults["api_answers"] = dict(self.driver.answers)
        faults["approver_db_errors"] = self.approvers.db_errors
        report(self.name, numbers, faults, time.monotonic() - self.started)
        self.numbers = numbers

    def close(self) -> None:
        for erp in self.erps.values():
            erp.stop()


@pytest.fixture
def scenario(
    healthy: Stack, request: pytest.FixtureRequest
) -> Iterator[Callable[[str], Scenario]]:
    made: list[Scenario] = []

    def make(name: str) -> Scenario:
        made.append(Scenario(healthy, name))
        return made[-1]

    yield make
    for one in made:
        one.close()


# --- 17: the ERP down for an hour (compressed), then back ------------------------------


def test_17_erp_down_for_an_hour_then_back(scenario: Callable[[str], Scenario]) -> None:
    """200 documents finish while the ERP refuses connections, then answers 5xx, then
    429 with Retry-After, for at least a simulated hour; after it recovers every event
    is delivered and applied once, none dead, and the retries backed off (no busy
    loop: attempts per event stay logarithmic in the outage)."""
    run = scenario("s17")
    documents = int(os.environ.get("SIGNOFF_RESILIENCE_S17_DOCUMENTS", "80"))
    down_at = time.monotonic()
    run.set_erp_mode("refuse")
    run.faults["erp_refusing"] = 1
    run.drive(documents)
    # Keep it down for at least the simulated hour: refused, then 5xx, then 429.
    half = max(0.0, down_at + SIMULATED_HOUR_SECONDS / 2 - time.monotonic())
    time.sleep(half)
    run.set_erp_mode("500")
    run.faults["erp_5xx"] = 1
    time.sleep(max(0.0, down_at + SIMULATED_HOUR_SECONDS - time.monotonic()))
    for erp in run.erps.values():
        erp.retry_after = "1"
    run.set_erp_mode("429")
    run.faults["erp_429_retry_after"] = 1
    time.sleep(2)
    outage = time.monotonic() - down_at
    run.faults["outage_seconds"] = round(outage)
    run.faults["simulated_outage_minutes"] = round(outage * SCALE / 60)
    run.finish()
    assert run.numbers.events >= documents
    # Exponential backoff: within an outage of T seconds, base b and cap c, an event
    # is tried at most ~log2(T/b) times while doubling plus T/c times at the cap.
    base = 10 / SCALE
    cap = 3600 / SCALE
    bound = math.ceil(math.log2(outage / base)) + math.ceil(outage / cap) + 4
    assert run.numbers.max_attempts <= bound, (
        f"busy loop: an event was tried {run.numbers.max_attempts} times "
        f"(bound {bound} for {outage:.0f} s)"
    )


# --- 21: the worker SIGKILLed around the HTTP push, 20 times ---------------------------


def test_21_worker_killed_around_the_push(scenario: Callable[[str], Scenario]) -> None:
    """The worker is SIGKILLed 20 times at seeded random offsets before, during and
    after an HTTP push (the stand-in holds each push 0.4 s): 18 times its pool process
    (the task's process; the main process forks a new one and requeues the message),
    twice the whole worker, restarted. Every event is delivered and applied once, no
    claim stays leased, nothing is stuck."""
    run = scenario("s21")
    stack = run.stack
    (worker,) = stack.workers
    for erp in run.erps.values():
        erp.ok_delay = 0.4
    stop = threading.Event()
    errors: list[BaseException] = []

    def pushes() -> int:
        return sum(len(erp.received) for erp in run.erps.values())

    def in_flight() -> bool:
        return any(
            any(n > 0 for n in erp.in_flight.values()) for erp in run.erps.values()
        )

    def wait(check: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not stop.is_set():
            if check():
                return True
            time.sleep(0.01)
        return False

    def killer() -> None:
        rng = random.Random(run.seed + 21)
        try:
            for number in range(20):
                phase = rng.choice(("before", "during", "after"))
                if phase == "before":
                    time.sleep(rng.uniform(0.0, 2.0))
                elif phase == "during":
                    if not wait(in_flight, 15):
                        phase = "idle"
                    time.sleep(rng.uniform(0.0, 0.35))
                else:
                    seen = pushes()
                    if not wait(lambda seen=seen: pushes() > seen, 15):
                        phase = "idle"
                    # The answer is in; the worker dies before or while recording it.
                    time.sleep(rng.uniform(0.4, 0.45))
                if number % 10 == 9:
                    # The whole worker (main process and child): the machine is gone.
                    worker.server.kill()
                    run.faults[f"sigkill_{phase}_worker"] += 1
                    worker.start()
                    # Up again (pinged) before the next kill: it hits a live worker.
                    wait(lambda: stack.ping(worker.hostname), 60)
                else:
                    before = set(worker.children())
                    victim = worker.kill_child()
                    run.faults[f"sigkill_{phase}_child"] += 1
                    if victim is None:
                        raise AssertionError("no pool process to kill")
                    # The main process forks a new child; wait for it.
                    wait(
                        lambda before=before, victim=victim: bool(
                            set(worker.children()) - before - {victim}
                        ),
                        30,
                    )
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        run.drive(40)
        thread.join(timeout=DRIVE_TIMEOUT)
        assert not thread.is_alive(), "the killer did not finish in time"
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert sum(v for k, v in run.faults.items() if k.startswith("sigkill")) == 20
    run.finish()


# --- 24: Redis restarted, partitioned and flushed --------------------------------------


def test_24_redis_restarted_with_work_queued_running_and_arriving(
    scenario: Callable[[str], Scenario],
) -> None:
    """Redis is killed and started empty twice while documents arrive, tasks are queued
    and the relay runs: the POSTs still succeed, workers and beat reconnect, and the
    reconciler re-derives what the lost messages carried."""
    run = scenario("s24r")
    redis = run.stack.redis

    faults: list[threading.Thread] = []

    def each(index: int) -> None:
        if index in (8, 24):
            run.faults["redis_queued_before_restart"] += redis.queue_length()
            run.faults["redis_restart_kill9_empty"] += 1
            # In the background: POSTs keep arriving while Redis is away.
            faults.append(
                threading.Thread(target=redis.restart, kwargs={"down_seconds": 3})
            )
            faults[-1].start()

    run.drive(40, each=each)
    for thread in faults:
        thread.join(timeout=60)
    run.finish()


def test_24_redis_partitioned(scenario: Callable[[str], Scenario]) -> None:
    """The network to Redis is cut (every connection reset, new ones refused) for 15 s
    — 60 s in the spec, compressed — twice, while POSTs arrive and tasks run."""
    run = scenario("s24p")
    stack = run.stack
    assert stack.proxy is not None
    proxy = stack.proxy

    def each(index: int) -> None:
        if index in (8, 24):
            proxy.cut()
            run.faults["redis_partition"] += 1
            # Requests keep arriving during the partition: the drive goes on.
            threading.Timer(15.0, proxy.heal).start()

    run.drive(40, each=each)
    run.finish()


def test_24_redis_flushed_the_reconciler_recovers(
    scenario: Callable[[str], Scenario],
) -> None:
    """Work queued while the worker is down is wiped by FLUSHALL; once the worker is
    back, the reconciler finds it all in PostgreSQL. Then a second FLUSHALL under load."""
    run = scenario("s24f")
    stack = run.stack
    (worker,) = stack.workers
    worker.stop()
    run.faults["worker_stopped"] += 1
    for index in range(12):
        run.driver.submit(run.tenants[index % 2], f"Q{index:05d}")
    queued = stack.redis.queue_length()
    run.faults["messages_flushed"] += queued
    stack.redis.command("FLUSHALL")
    run.faults["flushall"] += 1
    worker.start(ping=stack.ping)

    def each(index: int) -> None:
        if index == 16:
            run.faults["messages_flushed"] += stack.redis.queue_length()
            stack.redis.command("FLUSHALL")
            run.faults["flushall"] += 1

    run.drive(28, each=each)
    run.finish()
    assert queued > 0, (
        "nothing was queued before the flush: the scenario proved nothing"
    )


# --- 25: PostgreSQL restarted during writes and tasks ----------------------------------


def test_25_postgres_restarted_during_writes_and_tasks(
    scenario: Callable[[str], Scenario],
) -> None:
    """PostgreSQL crashes (immediate shutdown) and comes back twice while the API takes
    documents and the worker routes, advances and relays: the API answers 503
    problem+json (never a 500), the ERP's retries with the same key succeed, the
    workers recover without a restart, and no transition is half-applied."""
    run = scenario("s25")
    stack = run.stack
    worker_starts = [w.server.starts for w in stack.workers]

    faults: list[threading.Thread] = []

    def each(index: int) -> None:
        if index in (8, 24):
            run.faults["postgres_crash_restart"] += 1
            # In the background: POSTs and tasks hit the database while it is away.
            faults.append(
                threading.Thread(
                    target=stack.postgres.crash_restart, kwargs={"down_seconds": 2}
                )
            )
            faults[-1].start()

    run.drive(40, each=each)
    for thread in faults:
        thread.join(timeout=90)
    run.finish()
    assert run.driver.answers["500"] == 0, run.driver.answers
    assert [w.server.starts for w in stack.workers] == worker_starts, (
        "a worker had to be restarted"
    )
