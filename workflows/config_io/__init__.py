"""Configuration as code: a company's approval setup as YAML or JSON, out and back in.

The file holds what administrators set up in Signoff — approver roles, the cost-unit
hierarchy, limits, org-unit approver assignments, requester exceptions, memberships,
substitutes and workflows (which one is active) — and refers to everything the ERP owns
by its natural key: people by employee number, org units by code, cost-unit types by
segment id, roles and limits by name, logins by username. So a file moves between
companies that hold the same ERP data. The format is described in
`docs/configuration-as-code.md`.

Import is all or nothing: the whole file is checked first and every problem reported
with its path (`workflows[1].steps[0].rules[2].role: unknown role "Controler"`); the
writes then run in one transaction that is rolled back if any write is refused. It only
adds and updates, never deletes, and writes nothing that is already as the file says,
so importing the same file twice changes nothing the second time. Workflows are written
through `workflows.services`, so every change is in the change log.
"""

from workflows.config_io.common import (
    ANY,
    FORMAT,
    SECTIONS,
    UNSPECIFIED,
    ConfigError,
    ImportReport,
    config_dump,
    config_parse,
)
from workflows.config_io.export import config_export
from workflows.config_io.writing import config_import

__all__ = [
    "ANY",
    "FORMAT",
    "SECTIONS",
    "UNSPECIFIED",
    "ConfigError",
    "ImportReport",
    "config_dump",
    "config_export",
    "config_import",
    "config_parse",
]
