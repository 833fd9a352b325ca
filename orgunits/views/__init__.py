"""The approver setup pages under `/c/<company code>/setup/`: roles, cost unit types and
the combination table, department / project / branch approvers, requester exceptions,
substitutes for everyone and the due-date settings (DOMAIN §2, §5, §6).

Administrators change things; system viewers see every list read-only and get a 404 from
every page that changes something. Every change goes through a service in
`orgunits.services*`.
"""

from orgunits.views.assignments import (
    assignment_delete_view,
    assignment_edit,
    assignment_list,
)
from orgunits.views.combinations import (
    combination_delete,
    combination_edit,
    combination_list,
)
from orgunits.views.cost_unit_types import (
    cost_unit_type_edit,
    cost_unit_type_list,
    cost_unit_type_move,
)
from orgunits.views.due_dates import (
    due_dates,
    due_defaults_save,
    holiday_create,
    holiday_delete,
)
from orgunits.views.home import setup_home
from orgunits.views.roles import role_delete, role_edit, role_list
from orgunits.views.substitutes import (
    substitution_create,
    substitution_end_view,
    substitution_list,
)

__all__ = [
    "assignment_delete_view",
    "assignment_edit",
    "assignment_list",
    "combination_delete",
    "combination_edit",
    "combination_list",
    "cost_unit_type_edit",
    "cost_unit_type_list",
    "cost_unit_type_move",
    "due_dates",
    "due_defaults_save",
    "holiday_create",
    "holiday_delete",
    "role_delete",
    "role_edit",
    "role_list",
    "setup_home",
    "substitution_create",
    "substitution_end_view",
    "substitution_list",
]
