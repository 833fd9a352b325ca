"""Cost unit sync: subaccount segments (cost unit types + values) and subaccounts.

See `erp_sync.services.sync` for the rules every sync follows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from erp_sync.services.sync_rows import SegmentRow, SubaccountRow, SubaccountSegmentRef
from erp_sync.services.upsert import (
    KEEP,
    Desired,
    RowErrors,
    SyncResult,
    check_unique,
    load_by,
    lock_company_for_sync,
    name_or_keep,
    present,
    upsert,
)
from orgunits.models import Company, CostUnit, CostUnitType, Subaccount

# --- subaccount segments (cost unit types and cost units) ------------------------------


def subaccount_segments_upsert_from_erp(
    *, company: Company, rows: Sequence[SegmentRow]
) -> SyncResult:
    """Upsert cost unit types (segments) and their cost units (segment values).

    Counts cover both the segments and their values. A segment's routing position is
    Signoff's own setting and is never touched. Raises ValidationError (duplicates).
    """
    errors = RowErrors()
    check_unique(
        ((f"[{i}].segmentId", row.segment_id) for i, row in enumerate(rows)),
        errors,
        "segmentId",
    )
    for i, row in enumerate(rows):
        check_unique(
            (
                (f"[{i}].segmentValues[{j}].valueId", value.code)
                for j, value in enumerate(row.values)
            ),
            errors,
            "valueId",
        )
    errors.raise_if_any()

    result = SyncResult()
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_company_for_sync(company)
        existing_types = {
            t.segment_id: t
            for t in CostUnitType.objects.filter(
                company=company, segment_id__in=[row.segment_id for row in rows]
            )
        }
        types = upsert(
            CostUnitType,
            existing=existing_types,
            desired=[
                Desired(
                    key=row.segment_id,
                    values=present(
                        name=name_or_keep(row.name),
                        active=row.active,
                        erp_internal_id=row.erp_internal_id,
                    ),
                    create_defaults={
                        "segment_id": row.segment_id,
                        "name": f"Segment {row.segment_id}",
                    },
                )
                for row in rows
            ],
            base={"company": company},
            now=now,
            result=result,
        )
        type_ids = [types[row.segment_id].pk for row in rows if row.values]
        existing_units = {
            (unit.type_id, unit.code): unit
            for unit in load_by(
                CostUnit.objects.filter(company=company, type_id__in=type_ids),
                "code",
                {value.code for row in rows for value in row.values},
            )
        }
        upsert(
            CostUnit,
            existing=existing_units,
            desired=[
                Desired(
                    key=(types[row.segment_id].pk, value.code),
                    values=present(
                        name=value.name,
                        active=value.active,
                        erp_internal_id=value.erp_internal_id,
                    ),
                    create_defaults={
                        "type": types[row.segment_id],
                        "code": value.code,
                    },
                )
                for row in rows
                for value in row.values
            ],
            base={"company": company},
            now=now,
            result=result,
        )
    return result


# --- subaccounts -----------------------------------------------------------------------


def subaccounts_upsert_from_erp(
    *, company: Company, rows: Sequence[SubaccountRow]
) -> SyncResult:
    """Upsert subaccounts; their segment values become cost units (created if unknown,
    with their segment) so approver tables can key on them. Counts cover the
    subaccounts only. Raises ValidationError (duplicate numbers or segment ids).
    """
    errors = RowErrors()
    check_unique(
        ((f"[{i}].subaccountNumber", row.number) for i, row in enumerate(rows)),
        errors,
        "subaccountNumber",
    )
    for i, row in enumerate(rows):
        if row.segments is not KEEP:
            check_unique(
                (
                    (f"[{i}].segments[{j}].segmentId", ref.segment_id)
                    for j, ref in enumerate(row.segments)
                ),
                errors,
                "segmentId",
            )
    errors.raise_if_any()

    refs = [ref for row in rows if row.segments is not KEEP for ref in row.segments]
    result = SyncResult()
    now = timezone.now()
    with transaction.atomic(durable=True):
        lock_company_for_sync(company)
        types = _ensure_segment_types(company=company, refs=refs, now=now)
        _ensure_cost_units(company=company, types=types, refs=refs, now=now)
        existing = {
            sub.number: sub
            for sub in load_by(
                Subaccount.objects.filter(company=company),
                "number",
                [row.number for row in rows],
            )
        }
        upsert(
            Subaccount,
            existing=existing,
            desired=[
                Desired(
                    key=row.number,
                    values=present(
                        description=row.description,
                        active=row.active,
                        erp_internal_id=row.erp_internal_id,
                        segment_values=(
                            KEEP
                            if row.segments is KEEP
                            else {str(ref.segment_id): ref.code for ref in row.segments}
                        ),
                    ),
                    create_defaults={"number": row.number},
                )
                for row in rows
            ],
            base={"company": company},
            now=now,
            result=result,
        )
    return result


def _ensure_segment_types(
    *, company: Company, refs: Sequence[SubaccountSegmentRef], now: datetime
) -> dict[int, CostUnitType]:
    names: dict[int, str] = {}
    for ref in refs:
        if not names.get(ref.segment_id):
            names[ref.segment_id] = ref.segment_name
    existing = {
        t.segment_id: t
        for t in CostUnitType.objects.filter(
            company=company, segment_id__in=list(names)
        )
    }
    missing = [
        Desired(
            key=segment_id,
            values={},
            create_defaults={
                "segment_id": segment_id,
                "name": (name or f"Segment {segment_id}")[:100],
            },
        )
        for segment_id, name in sorted(names.items())
        if segment_id not in existing
    ]
    return upsert(
        CostUnitType,
        existing=existing,
        desired=missing,
        base={"company": company},
        now=now,
        result=None,
    )


def _ensure_cost_units(
    *,
    company: Company,
    types: dict[int, CostUnitType],
    refs: Sequence[SubaccountSegmentRef],
    now: datetime,
) -> None:
    wanted: dict[tuple[int, str], str] = {}
    for ref in refs:
        key = (types[ref.segment_id].pk, ref.code)
        if not wanted.get(key):
            wanted[key] = ref.value_name
    existing = {
        (unit.type_id, unit.code): unit
        for unit in load_by(
            CostUnit.objects.filter(
                company=company, type_id__in=[t.pk for t in types.values()]
            ),
            "code",
            {code for _type_id, code in wanted},
        )
    }
    by_pk = {t.pk: t for t in types.values()}
    upsert(
        CostUnit,
        existing=existing,
        desired=[
            Desired(
                key=key,
                values={},
                create_defaults={"type": by_pk[key[0]], "code": key[1], "name": name},
            )
            for key, name in wanted.items()
            if key not in existing
        ],
        base={"company": company},
        now=now,
        result=None,
    )
