"""Where receipts are kept and what may be uploaded.

Receipts live in the private file store (:data:`kobling.core.uploads.private_files`: under
``MEDIA_ROOT/receipts/`` or in the private bucket) with random names, and have **no public
URL**: the store's ``url`` refuses, so a template or serializer can never link to the file
directly. They are served only by the scoped, audited receipt views (page and API)."""

from __future__ import annotations

import io
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext as _

from kobling.core.uploads import (
    PrivateStorage,
    clean_upload_name,
    pdf_has_active_content,
    private_files,
    sniff_content_type,
)
from kobling.pay.choices import RECEIPT_MAX_BYTES, RECEIPT_TYPES


@deconstructible(path="kobling.pay.storage.ReceiptStorage")
class ReceiptStorage(PrivateStorage):
    """Private files on the disk (:class:`kobling.core.uploads.PrivateStorage`); the class keeps
    its name because older migrations may refer to it."""


def get_receipt_storage() -> Any:
    """The receipt field's storage (migrations name this callable): the private file store."""
    return private_files


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
    content_type = sniff_content_type(upload)
    if content_type in RECEIPT_TYPES:
        return content_type
    raise ValidationError(
        {"receipt": _("The receipt must be a PDF, JPEG or PNG file (a photo or a scan).")}
    )


def clean_receipt_name(name: str) -> str:
    """The uploaded file's own name, for display only: no folders, no control characters."""
    return clean_upload_name(name, "kvittering")


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
        if pdf_has_active_content(data):
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
