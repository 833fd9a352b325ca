"""`manage.py create_erp_client --company CODE --callback-url URL [--name NAME]`."""

from argparse import ArgumentParser

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.exceptions import ApplicationError
from erp_sync.services.clients import erp_client_create
from orgunits.models import Company


class Command(BaseCommand):
    help = (
        "Create an ERP client (OAuth2 client credentials) for a company and print its "
        "client_id, client_secret and signing_secret. The secrets are shown only now."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--company", required=True, help="Company code")
        parser.add_argument(
            "--callback-url",
            required=True,
            help="Where outcome events are POSTed (https; http only for localhost)",
        )
        parser.add_argument("--name", default="", help="Client name (default: ERP)")

    def handle(self, *args: object, **options: str) -> None:
        company = Company.objects.filter(code=options["company"]).first()
        if company is None:
            raise CommandError(f"No company with code “{options['company']}”.")
        try:
            credentials = erp_client_create(
                company=company,
                name=options["name"] or "ERP",
                callback_url=options["callback_url"],
            )
        except ValidationError as exc:
            raise CommandError(_describe(exc)) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"client_id: {credentials.client_id}")
        self.stdout.write(f"client_secret: {credentials.client_secret}")
        self.stdout.write(f"signing_secret: {credentials.signing_secret}")
        self.stderr.write(
            "Store the secrets now: Signoff keeps only a hash of client_secret and "
            "never shows either secret again."
        )


def _describe(error: ValidationError) -> str:
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return " ".join(
        f"{field}: {' '.join(messages)}"
        for field, messages in error.message_dict.items()
    )
