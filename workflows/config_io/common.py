"""The file format's constants, its error and report types, and text ↔ data."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

FORMAT = "signoff-config/1"
ANY = "Any"
UNSPECIFIED = "(unspecified)"
SECTIONS = (
    "approver_roles",
    "cost_unit_hierarchy",
    "limits",
    "cost_unit_approvers",
    "department_approvers",
    "project_approvers",
    "branch_approvers",
    "requester_exceptions",
    "memberships",
    "substitutes",
    "workflows",
)


class ConfigError(Exception):
    """The file cannot be imported; `errors` lists every problem as "path: message"."""

    def __init__(self, errors: Sequence[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = list(errors)


@dataclass
class ImportReport:
    """What an import did, per section: created, updated and unchanged rows."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, section: str, outcome: str) -> None:
        self.counts.setdefault(section, Counter())[outcome] += 1

    @property
    def changed(self) -> bool:
        return any(c["created"] or c["updated"] for c in self.counts.values())

    def total(self, outcome: str) -> int:
        return sum(c[outcome] for c in self.counts.values())

    def lines(self) -> list[str]:
        return [
            f"{section}: {c['created']} created, {c['updated']} updated, "
            f"{c['unchanged']} unchanged"
            for section, c in self.counts.items()
        ]


def config_dump(data: Mapping[str, Any], *, fmt: str = "yaml") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    # Through JSON first: text choices and other str subclasses become plain strings.
    plain = json.loads(json.dumps(data))
    return str(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True))


def config_parse(text: str, *, fmt: str | None = None) -> Any:
    """YAML or JSON text as data (JSON is YAML too, but its errors read better)."""
    try:
        if fmt == "json" or (fmt is None and text.lstrip().startswith("{")):
            return json.loads(text)
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise ConfigError(
            [f"(file): not valid {fmt or 'YAML/JSON'}: {error}"]
        ) from error
