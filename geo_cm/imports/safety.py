"""Checks on uploaded archives before anything is extracted, and the size limits.

A zip is inspected from its central directory first: entry count, every name (no absolute
paths, no ``..``, no drive letters, no symlinks), the declared uncompressed total and the
compression ratio. Only then are the entries extracted, by our own code, into a fresh
temporary folder, counting the bytes actually written (a lying header is caught too).
The limits are the ``IMPORT_MAX_*`` keys of settings.GEOCM.
"""

import stat
import struct
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeFile(ValueError):
    """The upload is refused before anything from it is used (a 400, with the reason)."""


# What Python's zipfile and zlib raise on a damaged archive: a truncated file, a corrupt
# central directory or deflate stream (zlib.error), a checksum or size that does not match
# (BadZipFile, EOFError), an encrypted entry (RuntimeError) or an unknown compression
# method (NotImplementedError).
ZIP_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    struct.error,
    OSError,
    ValueError,
    OverflowError,
    RuntimeError,
    NotImplementedError,
)


def zip_damage(exc: BaseException) -> str:
    """Why an entry could not be unpacked, in the words of a GIS technician."""
    text = str(exc).lower()
    if isinstance(exc, zlib.error) or "decompress" in text:
        return _("its compressed data is corrupt")
    if "crc" in text:
        return _("its checksum does not match its content")
    if isinstance(exc, EOFError) or "truncated" in text or "eof" in text:
        return _("the archive ends too early (an incomplete download?)")
    if "encrypt" in text or "password" in text:
        return _("it is protected by a password")
    if isinstance(exc, NotImplementedError) or "compression" in text:
        return _("it uses a compression method GeoCM cannot read")
    return _("its headers are damaged")


def limit(name: str) -> int:
    """An import limit from settings.GEOCM (``IMPORT_MAX_*``; the settings say each unit)."""
    return int(settings.GEOCM[name])


def _bad_name(name: str) -> bool:
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return True
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return any(part == ".." for part in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix mode bits live in the high 16 bits of external_attr (zip made on Unix).
    return stat.S_ISLNK(info.external_attr >> 16)


def zip_check(*, path: Path, kind: str | None = None) -> list[zipfile.ZipInfo]:
    """The archive's file entries if it is safe to extract, else UnsafeFile with the reason.

    ``kind`` names a format that is a zip inside (an Excel workbook, a KMZ file) in the
    messages; the same limits apply to it: entries, declared uncompressed size and ratio.
    """
    kind = kind or _("zip archive")
    size = path.stat().st_size
    if size > limit("IMPORT_MAX_UPLOAD_BYTES"):
        raise UnsafeFile(
            _("The file is larger than the %(mb)d MB limit.")
            % {"mb": limit("IMPORT_MAX_UPLOAD_BYTES") // 1_000_000}
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except ZIP_FAILURES as exc:
        raise UnsafeFile(
            _("The file is not a readable %(kind)s (%(why)s); is it complete and not damaged?")
            % {"kind": kind, "why": zip_damage(exc)}
        ) from exc
    if len(infos) > limit("IMPORT_MAX_ENTRIES"):
        raise UnsafeFile(
            _("The archive holds %(n)d entries; at most %(max)d are accepted.")
            % {"n": len(infos), "max": limit("IMPORT_MAX_ENTRIES")}
        )
    total = 0
    for info in infos:
        if _bad_name(info.filename):
            raise UnsafeFile(
                _("The archive entry %(name)s points outside the archive; it is refused.")
                % {"name": info.filename[:80]}
            )
        if _is_symlink(info):
            raise UnsafeFile(
                _("The archive entry %(name)s is a symbolic link; links are refused.")
                % {"name": info.filename[:80]}
            )
        total += info.file_size
    if total > limit("IMPORT_MAX_UNCOMPRESSED_BYTES"):
        raise UnsafeFile(
            _(
                "The %(kind)s would unpack to %(mb)d MB; the limit is %(max)d MB "
                "(uncompressed size, GEOCM_IMPORT_MAX_UNCOMPRESSED_BYTES)."
            )
            % {
                "kind": kind,
                "mb": total // 1_000_000,
                "max": limit("IMPORT_MAX_UNCOMPRESSED_BYTES") // 1_000_000,
            }
        )
    compressed = sum(i.compress_size for i in infos) or 1
    if total / compressed > limit("IMPORT_MAX_RATIO") and total > 1_000_000:
        raise UnsafeFile(
            _(
                "The %(kind)s is compressed %(ratio)d times, like a zip bomb; it is refused "
                "(the limit is %(max)d times, GEOCM_IMPORT_MAX_RATIO)."
            )
            % {"kind": kind, "ratio": total // compressed, "max": limit("IMPORT_MAX_RATIO")}
        )
    return [i for i in infos if not i.is_dir()]


def zip_extract(*, path: Path, dest: Path) -> list[Path]:
    """Check the archive (zip_check), then extract its files flat-checked into ``dest``.

    Bytes are counted while writing, so an entry whose header under-states its size stops
    at the limit. Returns the extracted paths.
    """
    infos = zip_check(path=path)
    budget = limit("IMPORT_MAX_UNCOMPRESSED_BYTES")
    dest = dest.resolve()
    out = []
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            name = info.filename.replace("\\", "/")
            # macOS resource forks are noise, never data.
            if name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._"):
                continue
            target = (dest / name).resolve()
            if dest not in target.parents:
                raise UnsafeFile(
                    _("The archive entry %(name)s points outside the archive.")
                    % {"name": name[:80]}
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(1 << 20):
                        budget -= len(chunk)
                        if budget < 0:
                            raise UnsafeFile(
                                _(
                                    "The archive unpacks to more than the size limit "
                                    "(GEOCM_IMPORT_MAX_UNCOMPRESSED_BYTES)."
                                )
                            )
                        dst.write(chunk)
            except UnsafeFile:
                raise
            except ZIP_FAILURES as exc:
                raise UnsafeFile(
                    _(
                        "The archive is damaged: %(name)s cannot be unpacked (%(why)s). "
                        "Make the archive again from the original files."
                    )
                    % {"name": name[:80], "why": zip_damage(exc)}
                ) from exc
            out.append(target)
    return out
