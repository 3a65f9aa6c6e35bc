"""Where receipts are kept and what may be uploaded.

Receipts live under ``MEDIA_ROOT/receipts/`` with random names, and have **no public URL**:
:meth:`ReceiptStorage.url` refuses, so a template or serializer can never link to the file
directly. They are served only by the scoped, audited receipt views (page and API)."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from kobling.pay.choices import RECEIPT_MAX_BYTES, RECEIPT_TYPES

# The first bytes of each allowed kind of file. The browser's Content-Type and the file name are
# never trusted: a file is what its bytes say it is.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@deconstructible(path="kobling.pay.storage.ReceiptStorage")
class ReceiptStorage(FileSystemStorage):
    """Files under MEDIA_ROOT (read when first used, so tests can point it elsewhere) that are
    never given a URL."""

    def url(self, name: str | None) -> str:
        raise ValueError("Receipts have no public URL; serve them through the receipt view.")


receipt_storage = ReceiptStorage()


def get_receipt_storage() -> ReceiptStorage:
    return receipt_storage


def receipt_upload_to(instance: Any, filename: str) -> str:
    """A random name in a folder per municipality and month; the original name is kept on the
    expense only for display."""
    extension = RECEIPT_TYPES.get(getattr(instance, "receipt_content_type", ""), "bin")
    today = timezone.localdate()
    return f"receipts/{instance.municipality_id}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


def sniff_receipt(upload: Any) -> str:
    """The content type of an uploaded receipt, from its bytes. Raises a ValidationError (on the
    ``receipt`` field) for an empty, too big or unsupported file."""
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError({"receipt": _("The receipt file is empty.")})
    if size > RECEIPT_MAX_BYTES:
        raise ValidationError(
            {
                "receipt": _("The receipt is too big (%(size)s MB); at most %(max)s MB.")
                % {
                    "size": f"{size / 1024 / 1024:.1f}",
                    "max": RECEIPT_MAX_BYTES // (1024 * 1024),
                }
            }
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    raise ValidationError(
        {"receipt": _("The receipt must be a PDF, JPEG or PNG file (a photo or a scan).")}
    )


def clean_receipt_name(name: str) -> str:
    """The uploaded file's own name, for display only: no folders, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return base[:120] or "kvittering"


# PDF names that make a document do something when opened or clicked (scripts, launching
# programs, embedded files, forms with scripts, rich media). Names may escape characters as #xx.
_ACTIVE_PDF_NAMES = frozenset(
    {"JavaScript", "JS", "Launch", "OpenAction", "AA", "EmbeddedFile", "RichMedia", "XFA"}
)
_PDF_NAME = re.compile(rb"/([A-Za-z0-9#]+)")


def _pdf_names(data: bytes) -> set[str]:
    names = set()
    for raw in _PDF_NAME.findall(data):
        name = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
        names.add(name.decode("latin-1"))
    return names


def clean_receipt(upload: Any, content_type: str) -> Any:
    """The receipt as it is kept: a photo re-encoded without its metadata (EXIF: where and when
    it was taken, the camera; turned upright first), a PDF refused when it carries active
    content (scripts, actions, embedded files). Raises a ValidationError on ``receipt``.

    The PDF check reads the file's own dictionary names; names inside compressed object streams
    are not seen, so it is a first guard, not a sandbox (receipts are served as attachments)."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    name = getattr(upload, "name", "") or "kvittering"
    if content_type == "application/pdf":
        if _pdf_names(data) & _ACTIVE_PDF_NAMES:
            raise ValidationError(
                {
                    "receipt": _(
                        "The PDF contains scripts, actions or attached files. Save it again as a "
                        "plain PDF (for example with 'Print to PDF') or upload a photo."
                    )
                }
            )
        return upload
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
            out = io.BytesIO()
            if content_type == "image/jpeg":
                upright.convert("RGB").save(out, format="JPEG", quality=90)
            else:
                upright.save(out, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValidationError(
            {"receipt": _("The image cannot be read. Take the photo again or upload a PDF.")}
        ) from exc
    return ContentFile(out.getvalue(), name=name)
