"""Writing a validated import: the importer's side of ``geo_cm.assets.BulkWrite``.

The clean columns of a ``Validated`` become COPY cells of a staging table; the asset-write
module does the rest (upsert, subdistricts, version, history, the checks under the lock,
``assets_changed``) by the rules every other asset write follows. A commit is one
transaction: any refusal or database error rolls everything back, and the ImportRecord
says why. A dry run stages the same rows without writing to count what a commit would
create, update, leave unchanged and delete.
"""

import psycopg2
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_cm.assets import BulkWrite, BulkWriteError, Counts, copy_cells
from geo_cm.models import Subdistrict

from .models import ImportRecord
from .readers import control_escape
from .validate import Validated, importable_fields

# The importer's refusals are the bulk writer's: one class, one sentence for the user.
CommitError = BulkWriteError


def _replaced_area(mode: str, subdistrict: str | None) -> Subdistrict | None:
    if mode != "replace":
        return None
    area = (
        Subdistrict.objects.filter(code=subdistrict).first()
        or Subdistrict.objects.filter(code_old=subdistrict).first()
    )
    if area is None:
        raise CommitError(_("There is no subdistrict with the code %(c)s.") % {"c": subdistrict})
    return area


def bulk_write_for(
    *,
    layer,
    fields_named: list[str],
    mode: str,
    by=None,
    source: str = "",
    subdistrict=None,
    dry=False,
) -> BulkWrite:
    """The asset-write module's bulk writer for an import of ``fields_named`` into ``layer``."""
    fields = [f for f in importable_fields(layer) if f.name in fields_named]
    return BulkWrite(
        model=layer.model,
        fields=fields,
        mode=mode,
        by=by,
        source=source,
        status_field=layer.status_field,
        replace_subdistrict=_replaced_area(mode, subdistrict),
        dry=dry,
    )


def stage_chunk(writer: BulkWrite, cursor, validated: Validated) -> Counts:
    """Hand the clean rows of ``validated`` to ``writer`` (one chunk)."""
    if validated.lines is not None:
        return writer.add(cursor, rn=validated.rows, cells=None, wkb=None, lines=validated.lines)
    cells = {
        f.name: validated.cells.get(f.name)
        or copy_cells(validated.values[f.name].to_numpy(dtype=object), f.get_internal_type())
        for f in writer.fields
    }
    return writer.add(
        cursor,
        rn=validated.rows.tolist(),
        cells=cells,
        wkb=validated.wkb,
        generated=validated.generated.tolist() if validated.generated is not None else None,
    )


def refused(exc: Exception) -> CommitError:
    """A database refusal as the importer's sentence."""
    text = str(exc)
    if "violates foreign key constraint" in text:
        return CommitError(
            _(
                "Some records to be replaced are still referred to by other records (for "
                "example berths of a car park), so nothing was written."
            )
        )
    if "check constraint" in text:
        quoted = text.split('"')
        name = quoted[-2] if len(quoted) >= 3 else ""
        return CommitError(
            _("A row breaks the rule %(rule)s, so nothing was written.") % {"rule": name}
        )
    if "duplicate key" in text:
        # DETAIL:  Key (code)=(GC-0002) already exists.
        key = text.partition("Key (code)=(")[2].rpartition(") already exists")[0]
        if key:
            return CommitError(
                _(
                    "The code %(code)s already exists in the layer (mode create; it may have "
                    "been created since the file was checked), so nothing was written."
                )
                % {"code": control_escape(key)[:100]}
            )
        return CommitError(
            _(
                "A code in the file already exists in the layer (mode create), so nothing "
                "was written."
            )
        )
    return CommitError(
        _("The database refused the import, so nothing was written: %(reason)s")
        % {"reason": _first_line(exc)}
    )


def _first_line(exc: Exception) -> str:
    """The first line of a database error, shortened and printable."""
    lines = str(exc).strip().splitlines() or [exc.__class__.__name__]
    return control_escape(lines[0][:300])


# copy_expert is psycopg2's own: Django does not turn its errors into DatabaseError.
DATABASE_ERRORS = (IntegrityError, DatabaseError, psycopg2.Error)


def import_commit(
    *,
    validated: Validated,
    record: ImportRecord,
    by=None,
    mode: str = "upsert",
    subdistrict: str | None = None,
    progress=None,
) -> ImportRecord:
    """Write ``validated`` into its layer's table in one transaction and fill ``record``.

    mode create: every code must be new; upsert: update changed rows, insert new codes;
    replace: as upsert, and delete the layer's records in ``subdistrict`` (current or former
    code) that the file does not hold. Records get source ``import:<record id>``.
    Raises CommitError (nothing written) when the file had row errors or the database
    refused a row.
    """
    if not validated.ok:
        raise CommitError(
            _(
                "%(n)d rows have errors; nothing was written. "
                "Fix them (see the report) and import again."
            )
            % {"n": validated.error_rows}
        )
    tick = progress or (lambda *_a: None)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            writer = bulk_write_for(
                layer=validated.layer,
                fields_named=list(validated.values),
                mode=mode,
                by=by,
                source=record.source_label,
                subdistrict=subdistrict,
            )
            writer.begin(cursor)
            tick("staged")
            stage_chunk(writer, cursor, validated)
            tick("inserted")
            counts = writer.finish(cursor)
            tick("subdistricts")
            _record_counts(record, counts)
            record.status = ImportRecord.Status.COMMITTED
            record.finished_at = timezone.now()
            record.save()
    except DATABASE_ERRORS as exc:
        raise refused(exc) from exc
    return record


def _record_counts(record: ImportRecord, counts: Counts) -> None:
    record.created = counts.created
    record.updated = counts.updated
    record.unchanged = counts.unchanged
    record.deleted = counts.deleted
