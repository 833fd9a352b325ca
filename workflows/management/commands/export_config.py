"""`manage.py export_config --company CODE`: the approval setup as YAML or JSON."""

from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orgunits.models import Company
from workflows.config_io import config_dump, config_export


class Command(BaseCommand):
    help = (
        "Write a company's approval setup (roles, limits, assignments, memberships, "
        "substitutes, workflows) as YAML or JSON; see docs/configuration-as-code.md."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--company", required=True, help="The company code.")
        parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
        parser.add_argument(
            "--output", help="Write to this file instead of standard output."
        )

    def handle(self, *args: object, **options: object) -> None:
        code = str(options["company"])
        company = Company.objects.filter(code=code).first()
        if company is None:
            raise CommandError(f'There is no company with the code "{code}".')
        text = config_dump(config_export(company=company), fmt=str(options["format"]))
        output = options.get("output")
        if output:
            Path(str(output)).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote the configuration of {company} to {output}.")
        else:
            self.stdout.write(text, ending="")
