"""The parking data's version: a sequence advanced by every write to the public parking data.

The public "open at" answer is cached per version (parking/caching.py). A sequence rather
than a counter row: nextval is never rolled back and takes no row lock, so concurrent
feed inserts do not queue behind one another, and a rolled-back write still invalidates
(harmless) instead of letting a later write reuse its number.
"""

from django.db import migrations

TABLES = ("parking_facility", "parking_sharingwindow", "parking_occupancyreport")

FORWARD = """
CREATE SEQUENCE parking_public_version;
CREATE FUNCTION parking_public_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('parking_public_version');
    RETURN NULL;
END $$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_public_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION parking_public_version_bump();
"""
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER {table}_public_version ON {table};\n" for table in TABLES) + (
    "DROP FUNCTION parking_public_version_bump();\nDROP SEQUENCE parking_public_version;\n"
)


class Migration(migrations.Migration):
    dependencies = [("parking", "0002_unknown_kind_and_ownership")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
