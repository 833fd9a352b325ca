"""`manage.py import_config --company CODE FILE`: apply a YAML or JSON setup file."""

import sys
from argparse import ArgumentParser
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from orgunits.models import Company
from workflows.config_io import ConfigError, config_import, config_parse


class Command(BaseCommand):
    help = (
        "Apply a configuration file (YAML or JSON, as export_config writes it) to a "
        "company. All or nothing: every problem is listed with its path and nothing "
        "is written. Importing the same file again changes nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", help="The YAML or JSON file (- for stdin).")
        parser.add_argument("--company", required=True, help="The company code.")
        parser.add_argument(
            "--actor",
            help="Username recorded in the change log; substitutes need a system "
            "administrator of the company here.",
        )
        parser.add_argument(
            "--comment",
            default="",
            help='Change-log comment (default: "Imported from FILE").',
        )

    def handle(self, *args: object, **options: object) -> None:
        code = str(options["company"])
        company = Company.objects.filter(code=code).first()
        if company is None:
            raise CommandError(f'There is no company with the code "{code}".')
        actor = None
        if options.get("actor"):
            user_model = get_user_model()
            actor = user_model._default_manager.filter(
                **{user_model.USERNAME_FIELD: options["actor"]}
            ).first()
            if actor is None:
                raise CommandError(f'There is no user "{options["actor"]}".')
        name = str(options["file"])
        try:
            text = (
                sys.stdin.read()
                if name == "-"
                else Path(name).read_text(encoding="utf-8")
            )
        except OSError as error:
            raise CommandError(f"Cannot read {name}: {error}") from error
        fmt = "json" if name.endswith(".json") else None
        try:
            report = config_import(
                company=company,
                data=config_parse(text, fmt=fmt),
                actor=actor,
                comment=str(options["comment"] or f"Imported from {Path(name).name}"),
            )
        except ConfigError as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(
                f"Nothing was imported: {len(error.errors)} problem(s) in {name}."
            ) from error
        for line in report.lines():
            self.stdout.write(line)
        verdict = "Imported" if report.changed else "Nothing to change"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verdict}: {report.total('created')} created, "
                f"{report.total('updated')} updated, "
                f"{report.total('unchanged')} unchanged."
            )
        )
