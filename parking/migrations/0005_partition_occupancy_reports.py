"""Occupancy reports become a table partitioned by month of observed_at (local time).

The old table is renamed, a partitioned table with the same columns, checks, foreign key
and index names takes its name, the rows are copied into it (first into the DEFAULT
partition, then moved into one partition per month they fall in, see
parking/partitions.py), and the old table is dropped. The primary key becomes
(id, observed_at): PostgreSQL requires a partitioned table's unique constraints to hold
the partition key. Ids keep coming from one sequence owned by ``id``, so ``id`` stays
unique and Django keeps it as the model's primary key.

Triggers keep ``parking_occupancylatest`` (the newest report of each facility) right for
every insert, update and delete, set-based over the statement's rows (transition tables),
so a bulk load of millions of reports does one upsert per statement, not one per row.

The conversion copies every row once: on a table already holding tens of millions of
reports, run it in a maintenance window (the copy is the time it takes).
"""

import datetime as dt

from django.db import migrations

CONVERT = """
ALTER TABLE parking_occupancyreport DROP CONSTRAINT parking_occupancyrep_facility_id_3b711da1_fk_parking_f;
DROP TRIGGER parking_occupancyreport_public_version ON parking_occupancyreport;
ALTER TABLE parking_occupancyreport RENAME TO parking_occupancyreport_unpartitioned;
ALTER INDEX parking_occupancyreport_pkey RENAME TO parking_occupancyreport_unpartitioned_pkey;
ALTER INDEX parking_occ_facilit_1b635b_idx RENAME TO parking_occupancyreport_unpartitioned_fo;
ALTER INDEX parking_occupancyreport_observed_at_45530a6a RENAME TO parking_occupancyreport_unpartitioned_o;
ALTER INDEX parking_occupancyreport_facility_id_3b711da1 RENAME TO parking_occupancyreport_unpartitioned_f;
ALTER TABLE parking_occupancyreport_unpartitioned
    RENAME CONSTRAINT parking_occupancyreport_free_berths_check TO parking_occupancyreport_unpartitioned_free;
ALTER TABLE parking_occupancyreport_unpartitioned
    RENAME CONSTRAINT parking_occupancyreport_occupied_berths_check TO parking_occupancyreport_unpartitioned_occ;

CREATE TABLE parking_occupancyreport (
    id bigint NOT NULL,
    observed_at timestamp with time zone NOT NULL,
    free_berths integer NOT NULL CONSTRAINT parking_occupancyreport_free_berths_check CHECK (free_berths >= 0),
    occupied_berths integer CONSTRAINT parking_occupancyreport_occupied_berths_check CHECK (occupied_berths >= 0),
    source character varying(200) NOT NULL,
    received_at timestamp with time zone NOT NULL,
    facility_id bigint NOT NULL
        CONSTRAINT parking_occupancyrep_facility_id_3b711da1_fk_parking_f
        REFERENCES parking_facility (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT parking_occupancyreport_pkey PRIMARY KEY (id, observed_at)
) PARTITION BY RANGE (observed_at);
-- Identity columns on partitioned tables arrive only in PostgreSQL 17: a sequence owned by
-- the column (what Django's sequence reset and pg_get_serial_sequence look for).
CREATE SEQUENCE parking_occupancyreport_id_seq1 OWNED BY parking_occupancyreport.id;
ALTER TABLE parking_occupancyreport ALTER COLUMN id SET DEFAULT nextval('parking_occupancyreport_id_seq1');
SELECT setval('parking_occupancyreport_id_seq1',
              coalesce((SELECT max(id) FROM parking_occupancyreport_unpartitioned), 0) + 1, false);
CREATE INDEX parking_occ_facilit_1b635b_idx ON parking_occupancyreport (facility_id, observed_at DESC);
CREATE INDEX parking_occupancyreport_observed_at_45530a6a ON parking_occupancyreport (observed_at);
CREATE TABLE parking_occupancyreport_default PARTITION OF parking_occupancyreport DEFAULT;
INSERT INTO parking_occupancyreport SELECT id, observed_at, free_berths, occupied_berths, source,
    received_at, facility_id FROM parking_occupancyreport_unpartitioned;
-- Check the copied rows' foreign keys now: DDL below refuses tables with pending checks.
SET CONSTRAINTS ALL IMMEDIATE;
DROP TABLE parking_occupancyreport_unpartitioned;
CREATE TRIGGER parking_occupancyreport_public_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parking_occupancyreport
    FOR EACH STATEMENT EXECUTE FUNCTION parking_public_version_bump();
"""

LATEST = """
CREATE FUNCTION parking_occupancy_latest_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The newest of the statement's rows per facility replaces the stored latest if newer.
    INSERT INTO parking_occupancylatest AS l
        (facility_id, report_id, observed_at, free_berths, occupied_berths)
    SELECT DISTINCT ON (facility_id) facility_id, id, observed_at, free_berths, occupied_berths
    FROM new_rows ORDER BY facility_id, observed_at DESC, id DESC
    ON CONFLICT (facility_id) DO UPDATE SET
        report_id = excluded.report_id, observed_at = excluded.observed_at,
        free_berths = excluded.free_berths, occupied_berths = excluded.occupied_berths
    WHERE (excluded.observed_at, excluded.report_id) >= (l.observed_at, l.report_id);
    RETURN NULL;
END $$;

CREATE FUNCTION parking_occupancy_latest_recompute() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- A changed or removed report that was some facility's latest: look that facility up
    -- again (one index probe per partition on (facility_id, observed_at DESC)).
    WITH touched AS (
        DELETE FROM parking_occupancylatest l USING old_rows o
        WHERE l.facility_id = o.facility_id AND l.report_id = o.id
        RETURNING l.facility_id
    )
    INSERT INTO parking_occupancylatest
        (facility_id, report_id, observed_at, free_berths, occupied_berths)
    SELECT t.facility_id, r.id, r.observed_at, r.free_berths, r.occupied_berths
    FROM (SELECT DISTINCT facility_id FROM touched) t
    CROSS JOIN LATERAL (
        SELECT id, observed_at, free_berths, occupied_berths FROM parking_occupancyreport
        WHERE facility_id = t.facility_id ORDER BY observed_at DESC, id DESC LIMIT 1
    ) r;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO parking_occupancylatest AS l
            (facility_id, report_id, observed_at, free_berths, occupied_berths)
        SELECT DISTINCT ON (facility_id) facility_id, id, observed_at, free_berths, occupied_berths
        FROM new_rows ORDER BY facility_id, observed_at DESC, id DESC
        ON CONFLICT (facility_id) DO UPDATE SET
            report_id = excluded.report_id, observed_at = excluded.observed_at,
            free_berths = excluded.free_berths, occupied_berths = excluded.occupied_berths
        WHERE (excluded.observed_at, excluded.report_id) >= (l.observed_at, l.report_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER parking_occupancy_latest_insert AFTER INSERT ON parking_occupancyreport
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parking_occupancy_latest_upsert();
CREATE TRIGGER parking_occupancy_latest_update AFTER UPDATE ON parking_occupancyreport
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parking_occupancy_latest_recompute();
CREATE TRIGGER parking_occupancy_latest_delete AFTER DELETE ON parking_occupancyreport
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION parking_occupancy_latest_recompute();
CREATE FUNCTION parking_occupancy_latest_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM parking_occupancylatest;
    RETURN NULL;
END $$;
CREATE TRIGGER parking_occupancy_latest_truncate AFTER TRUNCATE ON parking_occupancyreport
    FOR EACH STATEMENT EXECUTE FUNCTION parking_occupancy_latest_truncate();

INSERT INTO parking_occupancylatest (facility_id, report_id, observed_at, free_berths, occupied_berths)
SELECT DISTINCT ON (facility_id) facility_id, id, observed_at, free_berths, occupied_berths
FROM parking_occupancyreport ORDER BY facility_id, observed_at DESC, id DESC;
"""

REVERSE = """
DROP TRIGGER parking_occupancy_latest_insert ON parking_occupancyreport;
DROP TRIGGER parking_occupancy_latest_update ON parking_occupancyreport;
DROP TRIGGER parking_occupancy_latest_delete ON parking_occupancyreport;
DROP TRIGGER parking_occupancy_latest_truncate ON parking_occupancyreport;
DROP FUNCTION parking_occupancy_latest_upsert();
DROP FUNCTION parking_occupancy_latest_recompute();
DROP FUNCTION parking_occupancy_latest_truncate();
DELETE FROM parking_occupancylatest;
ALTER TABLE parking_occupancyreport RENAME TO parking_occupancyreport_partitioned;
ALTER TABLE parking_occupancyreport_partitioned
    RENAME CONSTRAINT parking_occupancyreport_free_berths_check TO parking_occupancyreport_partitioned_free;
ALTER TABLE parking_occupancyreport_partitioned
    RENAME CONSTRAINT parking_occupancyreport_occupied_berths_check TO parking_occupancyreport_partitioned_occ;
ALTER TABLE parking_occupancyreport_partitioned
    DROP CONSTRAINT parking_occupancyrep_facility_id_3b711da1_fk_parking_f;
ALTER INDEX parking_occupancyreport_pkey RENAME TO parking_occupancyreport_partitioned_pkey;
ALTER INDEX parking_occ_facilit_1b635b_idx RENAME TO parking_occupancyreport_partitioned_fo;
ALTER INDEX parking_occupancyreport_observed_at_45530a6a RENAME TO parking_occupancyreport_partitioned_o;
CREATE TABLE parking_occupancyreport (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    observed_at timestamp with time zone NOT NULL,
    free_berths integer NOT NULL CONSTRAINT parking_occupancyreport_free_berths_check CHECK (free_berths >= 0),
    occupied_berths integer CONSTRAINT parking_occupancyreport_occupied_berths_check CHECK (occupied_berths >= 0),
    source character varying(200) NOT NULL,
    received_at timestamp with time zone NOT NULL,
    facility_id bigint NOT NULL
        CONSTRAINT parking_occupancyrep_facility_id_3b711da1_fk_parking_f
        REFERENCES parking_facility (id) DEFERRABLE INITIALLY DEFERRED
);
INSERT INTO parking_occupancyreport SELECT * FROM parking_occupancyreport_partitioned;
SET CONSTRAINTS ALL IMMEDIATE;
SELECT setval(pg_get_serial_sequence('parking_occupancyreport', 'id'),
              coalesce((SELECT max(id) FROM parking_occupancyreport), 0) + 1, false);
DROP TABLE parking_occupancyreport_partitioned;
CREATE INDEX parking_occ_facilit_1b635b_idx ON parking_occupancyreport (facility_id, observed_at DESC);
CREATE INDEX parking_occupancyreport_observed_at_45530a6a ON parking_occupancyreport (observed_at);
CREATE INDEX parking_occupancyreport_facility_id_3b711da1 ON parking_occupancyreport (facility_id);
CREATE TRIGGER parking_occupancyreport_public_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON parking_occupancyreport
    FOR EACH STATEMENT EXECUTE FUNCTION parking_public_version_bump();
"""


def monthly_partitions(apps, schema_editor):
    # The months the copied rows fall in, this month and the ones ahead (the default
    # partition empties as each month gets its own table), and the summaries of those
    # months.
    from parking import partitions

    today = dt.datetime.now(partitions.LOCAL).date()
    partitions.occupancy_partitions_ensure(today=today, ahead=3)
    for month in partitions.occupancy_partition_months():
        if month <= today:
            partitions.occupancy_monthly_refresh(month=month)


class Migration(migrations.Migration):
    # DDL and the row copy in one transaction: the conversion is all or nothing.
    atomic = True

    dependencies = [("parking", "0004_occupancy_latest_monthly")]

    operations = [
        migrations.RunSQL(CONVERT + LATEST, REVERSE),
        migrations.RunPython(monthly_partitions, migrations.RunPython.noop),
    ]
