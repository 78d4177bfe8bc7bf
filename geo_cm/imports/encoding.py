"""Deciding the text encoding of a shapefile's .dbf (or a CSV) ourselves.

GDAL's default guess cannot be trusted: without a .cpg, pyogrio's bundled GDAL returns
mojibake for GBK text *with no error*, the system GDAL passes raw bytes. So the order is:
the user's choice, else the .cpg, else strict UTF-8, else GB18030 (a superset of GBK and
GB2312), else refuse and ask. The chosen name is then passed to the reader explicitly.
"""

import codecs
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext as _


class EncodingError(ValueError):
    """The text encoding is unknown or the bytes do not decode with it."""


@dataclass(frozen=True)
class Encoding:
    name: str  # a name both Python and GDAL/iconv understand: "UTF-8", "GB18030", "CP936"
    reason: str  # how it was decided, shown on the inspection page

    @property
    def codec(self) -> str:
        return codecs.lookup(self.name).name


# Values seen in .cpg files and typed by users -> the name handed to GDAL and Python.
KNOWN = {
    "utf8": "UTF-8",
    "utf-8": "UTF-8",
    "65001": "UTF-8",
    "cp936": "CP936",
    "936": "CP936",
    "ansi936": "CP936",
    "gbk": "CP936",
    "gb2312": "CP936",
    "gb18030": "GB18030",
    "54936": "GB18030",
    "big5": "BIG5",
    "cp950": "BIG5",
    "latin1": "ISO-8859-1",
    "iso88591": "ISO-8859-1",
    "88591": "ISO-8859-1",
    "cp1252": "CP1252",
    "1252": "CP1252",
}
# Bytes read from a .dbf to decide (field names and the first records); enough to meet
# non-ASCII text in practice and bounded so a 1 GB file is not read twice.
_SAMPLE_BYTES = 8_000_000


def encoding_normalise(value: str) -> str:
    """A user's or .cpg's encoding name -> the canonical name, or EncodingError."""
    key = value.strip().lower().replace(" ", "").replace("_", "")
    if key.startswith("ansi") and key != "ansi936":
        key = key[4:]
    name = KNOWN.get(key) or KNOWN.get(key.replace("-", ""))
    if name is None:
        raise EncodingError(
            _("The encoding %(value)s is not supported; use UTF-8, GBK or GB18030.")
            % {"value": value[:30]}
        )
    return name


def encoding_of_bytes(data: bytes, *, where: str) -> Encoding:
    """Strict UTF-8, then GB18030; ``where`` names the file in the reason."""
    try:
        data.decode("utf-8")
        return Encoding("UTF-8", _("%(file)s decodes as UTF-8") % {"file": where})
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return Encoding(
            "GB18030", _("%(file)s is not UTF-8; it decodes as GB18030/GBK") % {"file": where}
        )
    except UnicodeDecodeError as exc:
        raise EncodingError(
            _(
                "The text in %(file)s is neither UTF-8 nor GBK; give its encoding "
                "(--encoding or the encoding field)."
            )
            % {"file": where}
        ) from exc


def _cut_to_whole_record(data: bytes, header_len: int, record_len: int) -> bytes:
    if record_len <= 0 or len(data) <= header_len:
        return data
    whole = header_len + ((len(data) - header_len) // record_len) * record_len
    return data[:whole]


def encoding_detect_dbf(*, dbf: Path, override: str | None = None) -> Encoding:
    """Decide the encoding of a shapefile's attribute table (.dbf next to its .cpg)."""
    if override:
        name = encoding_normalise(override)
        try:
            _dbf_text_sample(dbf).decode(codecs.lookup(name).name)
        except UnicodeDecodeError as exc:
            raise EncodingError(
                _(
                    "The text in %(file)s does not decode as %(encoding)s, the encoding you "
                    "chose; leave the encoding to be detected or choose another."
                )
                % {"file": dbf.name, "encoding": name}
            ) from exc
        return Encoding(name, _("given by the user"))
    cpg = dbf.with_suffix(".cpg")
    if not cpg.exists():
        cpg = next((p for p in dbf.parent.glob(dbf.stem + ".*") if p.suffix.lower() == ".cpg"), cpg)
    if cpg.exists():
        text = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip()
        try:
            return Encoding(encoding_normalise(text), _("from the .cpg file (%(v)s)") % {"v": text})
        except EncodingError:
            pass  # an unknown .cpg value: detect from the bytes instead
    return encoding_of_bytes(_dbf_text_sample(dbf), where=dbf.name)


def _dbf_text_sample(dbf: Path) -> bytes:
    """The start of a .dbf's text: field names (header) and the first whole records; the
    0x1A end-of-file marker and padding are ASCII."""
    with dbf.open("rb") as fh:
        data = fh.read(_SAMPLE_BYTES)
    header_len = int.from_bytes(data[8:10], "little") if len(data) >= 12 else 0
    record_len = int.from_bytes(data[10:12], "little") if len(data) >= 12 else 0
    # Never split a multi-byte character at the end of the sample: stop at a record edge.
    return _cut_to_whole_record(data, header_len, record_len)[32:]
