"""`manage.py seed_bench [--documents N] [--reset]`: the benchmark data (bench/seed.py)."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from bench.seed import Scale, add_arguments, seed


class Command(BaseCommand):
    help = (
        "Build the benchmark data set (1 M documents, 10 M lines, 200 k open tasks by "
        "default) in PostgreSQL; a rerun at the same scale does nothing."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        report = seed(
            Scale(
                documents=int(options["documents"]),  # type: ignore[call-overload]
                lines=int(options["lines"]),  # type: ignore[call-overload]
                tasks_per_approver=int(options["tasks_per_approver"]),  # type: ignore[call-overload]
            ),
            reset=bool(options["reset"]),
        )
        self.stdout.write(str(report.as_dict()))
