"""Published versions and change-log rows cannot be rewritten, in the database itself.

`WorkflowVersion.save()` already refuses a second save; these triggers also stop
`QuerySet.update()` and raw SQL. A version may still be deleted together with its unused
workflow (the documents app PROTECTs the pinned ones). A change-log row may only be
detached from a deleted workflow or version (ON DELETE SET NULL), nothing else.
PostgreSQL only, as the documents app's append-only triggers: SQLite is the embedded
development default.
"""

from django.db import migrations

CREATE_FUNCTIONS = """
CREATE OR REPLACE FUNCTION workflows_version_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'A published workflow version cannot be changed'
        USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION workflows_change_append_only() RETURNS trigger AS $$
BEGIN
    IF (to_jsonb(NEW) - 'workflow_id' - 'version_id')
            IS DISTINCT FROM (to_jsonb(OLD) - 'workflow_id' - 'version_id')
        OR (NEW.workflow_id IS DISTINCT FROM OLD.workflow_id
            AND NEW.workflow_id IS NOT NULL)
        OR (NEW.version_id IS DISTINCT FROM OLD.version_id
            AND NEW.version_id IS NOT NULL)
    THEN
        RAISE EXCEPTION 'The workflow change log is append-only'
            USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

CREATE_TRIGGERS = """
CREATE TRIGGER workflows_workflowversion_immutable
BEFORE UPDATE ON workflows_workflowversion
FOR EACH ROW EXECUTE FUNCTION workflows_version_immutable();

CREATE TRIGGER workflows_workflowchange_append_only
BEFORE UPDATE ON workflows_workflowchange
FOR EACH ROW EXECUTE FUNCTION workflows_change_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS workflows_workflowversion_immutable ON workflows_workflowversion;
DROP TRIGGER IF EXISTS workflows_workflowchange_append_only ON workflows_workflowchange;
DROP FUNCTION IF EXISTS workflows_version_immutable();
DROP FUNCTION IF EXISTS workflows_change_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTIONS, params=None)
    schema_editor.execute(CREATE_TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflows", "0002_workflowchange_published")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
