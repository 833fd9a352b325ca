from django.db import models

from orgunits.models import Company


class ImmutableRecord(models.Model):
    """A company-owned row written once: no `updated_at`, never edited afterwards.

    PROTECT on the company: these rows are the audit trail, and deleting a company must
    not take its trail along silently.
    """

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True
