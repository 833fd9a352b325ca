"""`manage.py demo_banner --url URL`: where to open Signoff and how to sign in."""

from argparse import ArgumentParser

from django.core.management.base import BaseCommand

from orgunits.demo import COMPANY_CODE, DEMO_PASSWORD, LOGINS
from orgunits.models import Company, Membership


class Command(BaseCommand):
    help = "Print the URL to open and the demo logins with their roles."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/", help="Where Signoff listens"
        )

    def handle(self, *args: object, **options: str) -> None:
        url = options["url"].rstrip("/") + "/"
        lines = [
            "",
            "=" * 72,
            f"  Signoff is starting: open {url}",
            f"  Django admin:          {url}django-admin/",
        ]
        company = Company.objects.filter(code=COMPANY_CODE).first()
        if company is None:
            lines.append("  The demo company is not loaded: run `make demo`.")
        else:
            lines += [
                f"  Demo company {company.name}; password for every login: "
                f"{DEMO_PASSWORD}",
                "",
            ]
            # Roles as they are in the database now, not as the demo first set them.
            memberships = {
                m.user.username: m
                for m in Membership.objects.filter(
                    company=company, user__username__in=[x.username for x in LOGINS]
                ).select_related("user")
            }
            for login in LOGINS:
                membership = memberships.get(login.username)
                if membership is None:
                    continue
                lines.append(
                    f"  {login.username:<8} {_describe(membership, login.username)}"
                )
        lines += ["=" * 72, ""]
        self.stdout.write("\n".join(lines))


def _describe(membership: Membership, username: str) -> str:
    user = membership.user
    parts = []
    if membership.is_system_admin:
        parts.append("system administrator")
    if membership.is_system_viewer:
        parts.append("system viewer")
    if labels := membership.approvable_type_labels:
        parts.append("approves " + ", ".join(label.lower() for label in labels))
    if user.is_superuser:
        parts.append("Django admin")
    name = user.get_full_name()
    who = f"{name}: " if name and name.lower() != username else ""
    return who + ("; ".join(parts) or "no roles")
