"""Forms of the approver setup pages under `/c/<company code>/setup/`."""

from orgunits.forms.assignments import (
    ANY,
    UNSPECIFIED,
    ApproverRoleForm,
    BranchApproverForm,
    CombinationFilterForm,
    CombinationForm,
    CostUnitTypeForm,
    DepartmentApproverForm,
    ProjectApproverForm,
    RequesterExceptionForm,
    RoutingMoveForm,
    WinnerForm,
)
from orgunits.forms.setup import (
    SUBSTITUTION_ERROR_FIELD,
    DueDefaultsForm,
    HolidayForm,
    SubstitutionFilterForm,
    SubstitutionSetForm,
)

__all__ = [
    "ANY",
    "SUBSTITUTION_ERROR_FIELD",
    "UNSPECIFIED",
    "ApproverRoleForm",
    "BranchApproverForm",
    "CombinationFilterForm",
    "CombinationForm",
    "CostUnitTypeForm",
    "DepartmentApproverForm",
    "DueDefaultsForm",
    "HolidayForm",
    "ProjectApproverForm",
    "RequesterExceptionForm",
    "RoutingMoveForm",
    "SubstitutionFilterForm",
    "SubstitutionSetForm",
    "WinnerForm",
]
