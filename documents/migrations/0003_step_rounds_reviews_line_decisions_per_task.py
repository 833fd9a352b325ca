"""Re-approval rounds, review links, and line decisions made line by line.

Line decisions now belong to a task and carry who decided, because a line-approval
task is decided one line at a time and its `Decision` only comes at the end. Existing
rows get those values from their decision.
"""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def line_decisions_from_their_decision(apps, schema_editor):
    LineDecision = apps.get_model("documents", "LineDecision")
    rows = list(
        LineDecision.objects.filter(
            task__isnull=True, decision__isnull=False
        ).select_related("decision")
    )
    for row in rows:
        row.task_id = row.decision.task_id
        row.decided_by_id = row.decision.decided_by_id
        row.on_behalf_of_id = row.decision.on_behalf_of_id
        row.at = row.decision.at
    LineDecision.objects.bulk_update(
        rows, ["task", "decided_by", "on_behalf_of", "at"], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_append_only_triggers"),
        ("orgunits", "0002_project_approver_partial_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="linedecision",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="linedecision",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgunits.employee",
            ),
        ),
        migrations.AddField(
            model_name="linedecision",
            name="on_behalf_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="orgunits.employee",
            ),
        ),
        migrations.AddField(
            model_name="linedecision",
            name="task",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="line_decisions",
                to="documents.task",
            ),
        ),
        migrations.AddField(
            model_name="steprun",
            name="round",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="task",
            name="reapproval_reason",
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name="task",
            name="review_of",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reviews",
                to="documents.task",
            ),
        ),
        migrations.AddField(
            model_name="task",
            name="round",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name="linedecision",
            name="decision",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="line_decisions",
                to="documents.decision",
            ),
        ),
        migrations.AddConstraint(
            model_name="linedecision",
            constraint=models.UniqueConstraint(
                fields=("task", "line_number"), name="line_decision_one_per_task"
            ),
        ),
        migrations.RunPython(
            line_decisions_from_their_decision, migrations.RunPython.noop
        ),
    ]
