"""Checks on uploaded archives before anything is extracted, and the size limits.

A zip is inspected from its central directory first: entry count, every name (no absolute
paths, no ``..``, no drive letters, no symlinks), the declared uncompressed total and the
compression ratio. Only then are the entries extracted, by our own code, into a fresh
temporary folder, counting the bytes actually written (a lying header is caught too).
The limits are the ``IMPORT_MAX_*`` keys of settings.GEOCM.
"""

import stat
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeFile(ValueError):
    """The upload is refused before anything from it is used (a 400, with the reason)."""


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


def zip_check(*, path: Path) -> list[zipfile.ZipInfo]:
    """The archive's file entries if it is safe to extract, else UnsafeFile with the reason."""
    size = path.stat().st_size
    if size > limit("IMPORT_MAX_UPLOAD_BYTES"):
        raise UnsafeFile(
            _("The file is larger than the %(mb)d MB limit.")
            % {"mb": limit("IMPORT_MAX_UPLOAD_BYTES") // 1_000_000}
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeFile(_("The file is not a readable zip archive.")) from exc
    with archive:
        infos = archive.infolist()
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
            _("The archive would unpack to %(mb)d MB; the limit is %(max)d MB.")
            % {"mb": total // 1_000_000, "max": limit("IMPORT_MAX_UNCOMPRESSED_BYTES") // 1_000_000}
        )
    compressed = sum(i.compress_size for i in infos) or 1
    if total / compressed > limit("IMPORT_MAX_RATIO") and total > 1_000_000:
        raise UnsafeFile(
            _("The archive is compressed %(ratio)d times, like a zip bomb; it is refused.")
            % {"ratio": total // compressed}
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
            with archive.open(info) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    budget -= len(chunk)
                    if budget < 0:
                        raise UnsafeFile(_("The archive unpacks to more than the size limit."))
                    dst.write(chunk)
            out.append(target)
    return out
