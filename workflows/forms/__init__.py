"""Forms of the workflow pages: the definition editor, limits, comments, the simulator.

`DefinitionEditor` bundles the workflow options, the step formset and one rule formset
per step. It turns posted data into a `WorkflowDefinition` without writing anything,
so the editor (which then saves through the service) and the simulator (which only
routes with it) share one way of reading the page.

Blank rows are how rows are added: every formset renders one empty row, and a step
without a name and rules, or a rule without a kind, is simply left out.
"""

from workflows.forms.common import (
    CommentForm,
    LimitAmountFormSet,
    LimitForm,
    WorkflowCreateForm,
    WorkflowDuplicateForm,
)
from workflows.forms.editor import ADD_RULE_PREFIX, ADD_STEP, DefinitionEditor
from workflows.forms.simulation import ADD_LINE, SimulationInput

__all__ = [
    "ADD_LINE",
    "ADD_RULE_PREFIX",
    "ADD_STEP",
    "CommentForm",
    "DefinitionEditor",
    "LimitAmountFormSet",
    "LimitForm",
    "SimulationInput",
    "WorkflowCreateForm",
    "WorkflowDuplicateForm",
]
