"""The cost-unit combination table: one row = values per routing type → approver + role.

A cell is a concrete value, Any (stored as no value row, which the resolver reads as Any)
or (unspecified) (this and every lower segment must be empty). The rules live here so
the setup pages and the Django admin refuse the same things (DOMAIN §2, VISMA_RULES r7).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from orgunits.models import (
    ApproverRole,
    Company,
    CostUnit,
    CostUnitCombination,
    CostUnitCombinationValue,
    CostUnitType,
    Employee,
)
from orgunits.services import _require_system_admin
from orgunits.services_assignments import require_same_company

Match = CostUnitCombinationValue.Match


@dataclass(frozen=True)
class Cell:
    """One cell of a combination row."""

    match: str = Match.ANY
    cost_unit: CostUnit | None = None

    def key(self) -> tuple[str, int | None]:
        if self.match == Match.VALUE and self.cost_unit is not None:
            return (self.match, self.cost_unit.pk)
        return (self.match, None)


def cost_unit_value_problem(
    *,
    match: str | None,
    cost_unit: CostUnit | None,
    cost_unit_type: CostUnitType | None,
) -> str | None:
    """Why one cell is inconsistent, or None. Shared with the admin's value form."""
    if match == Match.VALUE:
        if cost_unit is None:
            return _("Choose a value, or match Any or (unspecified).")
        if cost_unit_type is not None and cost_unit.type_id != cost_unit_type.pk:
            return _("This value belongs to another cost unit type.")
    elif match and cost_unit is not None:
        return _("Leave the value empty for Any and (unspecified).")
    return None


def routing_hierarchy(*, company: Company) -> list[CostUnitType]:
    """The types that route, top first."""
    return list(
        CostUnitType.objects.filter(
            company=company, routing_position__isnull=False
        ).order_by("routing_position")
    )


def row_cells(row: CostUnitCombination, hierarchy: list[CostUnitType]) -> list[Cell]:
    """The row's cells in hierarchy order (prefetch `values__cost_unit` first)."""
    by_type = {v.type_id: v for v in row.values.all()}
    cells = []
    for unit_type in hierarchy:
        value = by_type.get(unit_type.pk)
        if value is None:
            cells.append(Cell())
        else:
            cells.append(Cell(match=value.match, cost_unit=value.cost_unit))
    return cells


def _check_cells(
    *, company: Company, hierarchy: list[CostUnitType], cells: Mapping[int, Cell]
) -> None:
    by_id = {t.pk: t for t in hierarchy}
    for type_id, cell in cells.items():
        unit_type = by_id.get(type_id)
        if unit_type is None:
            raise ApplicationError(
                "A cell names a cost unit type that is not selected for routing.",
                extra={"code": "combination_type_not_routing"},
            )
        if cell.match not in Match.values:
            raise ApplicationError(
                "Unknown kind of cell.", extra={"code": "combination_match_invalid"}
            )
        require_same_company(company=company, value=cell.cost_unit)
        problem = cost_unit_value_problem(
            match=cell.match, cost_unit=cell.cost_unit, cost_unit_type=unit_type
        )
        if problem is not None:
            raise ApplicationError(
                f"{unit_type.name}: {problem}",
                extra={"code": "combination_cell_invalid", "type_id": type_id},
            )
    above: CostUnitType | None = None
    for unit_type in hierarchy:
        cell = cells.get(unit_type.pk, Cell())
        if above is not None and cell.match == Match.VALUE:
            raise ApplicationError(
                f"{above.name} is (unspecified), so no lower segment may have a value: "
                f"leave {unit_type.name} as Any or (unspecified).",
                extra={"code": "combination_value_below_unspecified"},
            )
        if above is None and cell.match == Match.UNSPECIFIED:
            above = unit_type


@transaction.atomic
def cost_unit_combination_save(
    *,
    company: Company,
    combination: CostUnitCombination | None,
    role: ApproverRole,
    approver: Employee,
    cells: Mapping[int, Cell],
    actor: AbstractBaseUser,
) -> CostUnitCombination:
    """Create (combination None) or change one row; `cells` maps a routing type id to
    its cell, a type left out is Any. Values of types not routing now are kept.

    Raises ApplicationError: not_system_admin, other_company, assignment_gone,
    combination_type_not_routing, combination_match_invalid, combination_cell_invalid,
    combination_value_below_unspecified, combination_duplicate.
    """
    _require_system_admin(company=company, actor=actor)
    require_same_company(
        company=company, combination=combination, role=role, approver=approver
    )
    # The role row serialises saves of its rows, so two identical rows cannot both pass
    # the duplicate check below.
    ApproverRole.objects.select_for_update().filter(pk=role.pk).first()
    hierarchy = routing_hierarchy(company=company)
    _check_cells(company=company, hierarchy=hierarchy, cells=cells)

    wanted = [cells.get(t.pk, Cell()).key() for t in hierarchy]
    siblings = (
        CostUnitCombination.objects.filter(
            company=company, role=role, approver=approver
        )
        .prefetch_related("values__cost_unit")
        .order_by("pk")
    )
    if combination is not None:
        siblings = siblings.exclude(pk=combination.pk)
    for sibling in siblings:
        if [c.key() for c in row_cells(sibling, hierarchy)] == wanted:
            raise ApplicationError(
                f"Row #{sibling.pk} already gives {approver.name} this combination "
                "with this role.",
                extra={"code": "combination_duplicate"},
            )

    if combination is None:
        row = CostUnitCombination.objects.create(
            company=company, role=role, approver=approver
        )
    else:
        locked = (
            CostUnitCombination.objects.select_for_update()
            .filter(pk=combination.pk)
            .first()
        )
        if locked is None:
            raise ApplicationError(
                "This row was deleted in the meantime; nothing was saved.",
                extra={"code": "assignment_gone"},
            )
        row = locked
        row.role, row.approver = role, approver
        row.save(update_fields=["role", "approver", "updated_at"])
        CostUnitCombinationValue.objects.filter(
            combination=row, type__in=hierarchy
        ).delete()
    CostUnitCombinationValue.objects.bulk_create(
        CostUnitCombinationValue(
            company=company,
            combination=row,
            type_id=type_id,
            match=cell.match,
            cost_unit=cell.cost_unit,
        )
        for type_id, cell in cells.items()
        if cell.match != Match.ANY
    )
    return row


@transaction.atomic
def cost_unit_combination_delete(
    *, combination: CostUnitCombination, actor: AbstractBaseUser
) -> None:
    """Delete a row with its values; not retroactive (open tasks keep their approver)."""
    _require_system_admin(company=combination.company, actor=actor)
    CostUnitCombination.objects.filter(pk=combination.pk).delete()
