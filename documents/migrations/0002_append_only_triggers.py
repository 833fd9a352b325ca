"""History and comments are append-only in the database itself (INV-5).

A trigger refuses UPDATE and DELETE on both tables. PostgreSQL only: SQLite is the
embedded development default and has no equivalent worth the complexity. TRUNCATE is
left alone on purpose: it is a statement-level operation the test runner uses to flush
the database between transactional tests, and no application code path issues it.
"""

from django.db import migrations

TABLES = ("documents_historyevent", "documents_comment")

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION documents_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'raise_exception';
END;
$$ LANGUAGE plpgsql;
"""

CREATE_TRIGGER = """
CREATE TRIGGER {table}_append_only
BEFORE UPDATE OR DELETE ON {table}
FOR EACH ROW EXECUTE FUNCTION documents_refuse_change();
"""

DROP_TRIGGER = "DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
DROP_FUNCTION = "DROP FUNCTION IF EXISTS documents_refuse_change();"


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the function body has literal % placeholders of RAISE.
    schema_editor.execute(CREATE_FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(CREATE_TRIGGER.format(table=table))


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(DROP_TRIGGER.format(table=table))
    schema_editor.execute(DROP_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
