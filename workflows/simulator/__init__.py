"""The workflow simulator's logic: hypothetical facts in, the engine's trace out.

`simulate` is nothing but the engine (DOMAIN §3: the simulator uses exactly the same code
as live routing and writes nothing). Around it sit the parts the pages and the JSON
endpoint share: reading a hypothetical document from form or JSON data into
`RoutingFacts`, turning a plan into JSON (the same shape live routing stores on a
process), a readable per-step difference between two plans for "replay the last N
documents", and a presentation of a plan that names who acts on whose behalf.

This package knows nothing of documents: the documents app turns a real document into
facts (`documents.services.routing.routing_facts_for`) and hands them in.
"""

from __future__ import annotations

from workflows.definition import WorkflowDefinition
from workflows.engine import Plan, RoutingFacts, plan
from workflows.simulator.difference import plan_difference
from workflows.simulator.facts import (
    MAX_LINES,
    facts_from_data,
    facts_to_json,
    plan_to_json,
)
from workflows.simulator.trace import (
    OUTCOME_LABELS,
    RULE_LABELS,
    TraceApprover,
    TraceLine,
    TraceStep,
    trace,
)

__all__ = [
    "MAX_LINES",
    "OUTCOME_LABELS",
    "RULE_LABELS",
    "TraceApprover",
    "TraceLine",
    "TraceStep",
    "facts_from_data",
    "facts_to_json",
    "plan_difference",
    "plan_to_json",
    "simulate",
    "trace",
]


def simulate(*, facts: RoutingFacts, definition: WorkflowDefinition) -> Plan:
    """Route hypothetical (or real) facts through a definition; writes nothing."""
    return plan(facts, definition)
