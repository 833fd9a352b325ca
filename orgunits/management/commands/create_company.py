"""`manage.py create_company CODE --name NAME --currency CUR`: a new tenant."""

from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from orgunits.services_company import DEFAULT_APPROVER_ROLE_NAME, company_create


class Command(BaseCommand):
    help = "Create a company (tenant) with its default approver role."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code", help="Short unique code (a slug), e.g. nordlys")
        parser.add_argument("--name", required=True, help="Company name")
        parser.add_argument(
            "--currency", required=True, help="Base currency, ISO 4217 (e.g. NOK)"
        )

    def handle(self, *args: object, **options: str) -> None:
        try:
            company = company_create(
                code=options["code"], name=options["name"], currency=options["currency"]
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created company {company.name} ({company.code}, {company.currency}) "
                f"with the role “{DEFAULT_APPROVER_ROLE_NAME}”."
            )
        )


def _describe(error: ValidationError) -> str:
    """One line per problem, named by field, fit for a terminal."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{field}: {' '.join(messages)}"
        for field, messages in error.message_dict.items()
    )
