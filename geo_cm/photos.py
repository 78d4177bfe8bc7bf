"""Checks for photos sent with a change: type, size, pixel count and an end-to-end checksum.

The client states each photo's SHA-256; we recompute it over the bytes we received and
refuse the upload when they differ (a truncated or altered upload never lands).
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int


def photo_check(*, data: bytes, declared_sha256: str | None, index: int) -> CheckedPhoto:
    """Validate one photo; raise ValidationError on the ``photos`` field naming it by number."""
    limits = settings.GEOCM
    label = _("photo %(n)s") % {"n": index + 1}

    def fail(message):
        raise ValidationError({"photos": f"{label}: {message}"})

    if len(data) > limits["PHOTO_MAX_BYTES"]:
        fail(_("larger than %(mb)s MB.") % {"mb": f"{limits['PHOTO_MAX_BYTES'] / 1e6:g}"})
    if not data:
        fail(_("the file is empty."))
    digest = hashlib.sha256(data).hexdigest()
    if declared_sha256 is not None and declared_sha256.lower() != digest:
        fail(
            _(
                "the checksum does not match what the phone sent; the upload was damaged. "
                "Send it again."
            )
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > limits["PHOTO_MAX_PIXELS"]:
                    fail(
                        _("more than %(mp)s megapixels.")
                        % {"mp": f"{limits['PHOTO_MAX_PIXELS'] / 1e6:g}"}
                    )
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        Image.DecompressionBombWarning,
        Image.DecompressionBombError,
    ):
        fail(_("not a readable JPEG, PNG or WebP image."))
    if kind not in ALLOWED:
        fail(_("type %(kind)s is not accepted; send JPEG, PNG or WebP.") % {"kind": kind})
    content_type, extension = ALLOWED[kind]
    return CheckedPhoto(
        data=data,
        sha256=digest,
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
    )
