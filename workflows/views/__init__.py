"""The workflow pages: list, editor, activation, change log, limits, and the simulator.

Everything lives under `/c/<company code>/workflows/`. Administrators change things;
system viewers see every page read-only and may try changes in the simulator, whose save
view they cannot reach (DOMAIN §1, VISMA_RULES §2 r20). Every save goes through
`workflows.services` with a required comment.
"""

from workflows.views.editor import (
    workflow_activate,
    workflow_changes,
    workflow_create,
    workflow_deactivate,
    workflow_delete,
    workflow_detail,
    workflow_duplicate,
    workflow_edit,
    workflow_list,
)
from workflows.views.limits import limit_edit, limit_list
from workflows.views.simulator import (
    WorkflowSimulateApi,
    workflow_simulate,
    workflow_simulate_api,
    workflow_simulate_save,
)

__all__ = [
    "WorkflowSimulateApi",
    "limit_edit",
    "limit_list",
    "workflow_activate",
    "workflow_changes",
    "workflow_create",
    "workflow_deactivate",
    "workflow_delete",
    "workflow_detail",
    "workflow_duplicate",
    "workflow_edit",
    "workflow_list",
    "workflow_simulate",
    "workflow_simulate_api",
    "workflow_simulate_save",
]
