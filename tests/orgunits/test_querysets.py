"""Substitution periods are half-open [starts_at, ends_at); None is an open end."""

from datetime import UTC, datetime, timedelta

import pytest

from orgunits.models import Substitution
from tests.factories.orgunits import SubstitutionFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
D = timedelta(days=1)

# existing (start, end), asked (start, end), overlaps?
OVERLAP_CASES = [
    ("same-period", (T0, T0 + D), (T0, T0 + D), True),
    ("inside", (T0, T0 + 5 * D), (T0 + D, T0 + 2 * D), True),
    ("partly-before", (T0, T0 + 2 * D), (T0 - D, T0 + D), True),
    ("touching-after-the-end", (T0, T0 + D), (T0 + D, T0 + 2 * D), False),
    ("touching-before-the-start", (T0, T0 + D), (T0 - D, T0), False),
    ("disjoint", (T0, T0 + D), (T0 + 3 * D, T0 + 4 * D), False),
    ("existing-open-end-overlaps-everything-after", (T0, None), (T0 + 99 * D, T0 + 100 * D), True),
    ("existing-open-end-not-before-its-start", (T0, None), (T0 - 2 * D, T0), False),
    ("asked-open-end-overlaps-a-later-period", (T0 + 50 * D, T0 + 51 * D), (T0, None), True),
    ("asked-open-end-starting-at-the-end", (T0 - D, T0), (T0, None), False),
    ("both-open", (T0 + 9 * D, None), (T0, None), True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("existing", "asked", "overlaps"),
    [case[1:] for case in OVERLAP_CASES],
    ids=[case[0] for case in OVERLAP_CASES],
)
def test_overlapping(
    existing: tuple[datetime, datetime | None],
    asked: tuple[datetime, datetime | None],
    overlaps: bool,
) -> None:
    SubstitutionFactory(starts_at=existing[0], ends_at=existing[1])
    found = Substitution.objects.overlapping(starts_at=asked[0], ends_at=asked[1])
    assert found.exists() is overlaps


@pytest.mark.parametrize(
    ("at", "active"),
    [(T0 - D, False), (T0, True), (T0 + D, True), (T0 + 2 * D, False)],
    ids=["before", "at-the-start", "during", "at-the-end"],
)
def test_active_at(at: datetime, active: bool) -> None:
    SubstitutionFactory(starts_at=T0, ends_at=T0 + 2 * D)
    assert Substitution.objects.active_at(at).exists() is active
