"""`manage.py load_demo`: create or refresh the demo company (idempotent)."""

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from orgunits.demo import load_demo_company


class Command(BaseCommand):
    help = (
        "Create or refresh the demo company with org units, approver assignments and "
        "logins. Running it again changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--allow-outside-demo-mode",
            action="store_true",
            help="Load even when SIGNOFF_DEMO_MODE is off (the logins have a known "
            "password).",
        )

    def handle(self, *args: object, **options: object) -> None:
        # The demo creates a superuser with a published password: never by accident on
        # a real installation.
        if not settings.SIGNOFF_DEMO_MODE and not options["allow_outside_demo_mode"]:
            raise CommandError(
                "The demo has logins with a published password; set "
                "SIGNOFF_DEMO_MODE=true (make run does) or pass "
                "--allow-outside-demo-mode."
            )
        summary = load_demo_company()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo company {summary.company.name} ({summary.company.code}) is "
                f"loaded: {summary.created} rows created, {summary.updated} updated."
            )
        )
