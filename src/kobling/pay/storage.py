"""Where receipts are kept and what may be uploaded.

Receipts live under ``MEDIA_ROOT/receipts/`` with random names, and have **no public URL**:
:meth:`ReceiptStorage.url` refuses, so a template or serializer can never link to the file
directly. They are served only by the scoped, audited receipt views (page and API)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
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
