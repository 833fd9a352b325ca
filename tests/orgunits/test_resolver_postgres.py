"""The resolver table of `resolver_cases.py`, rerun on PostgreSQL (CI sets DATABASE_URL)."""

import pytest

from tests.orgunits.resolver_cases import CASES, Case, build_world, check

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_resolver_table_on_postgresql(case: Case) -> None:
    check(build_world(), case)
