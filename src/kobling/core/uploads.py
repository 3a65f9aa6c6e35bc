"""Uploaded files kept privately: typed by their bytes, never by their name, stored without a
public URL and served only by scoped views. Pay's receipts and grants' attachments both stand on
this; each keeps its own words for the refusals.

* :data:`private_files` — the configured private file store (``STORAGES["private"]``): the
  local :class:`PrivateStorage` by default, a private S3 bucket with ``KOBLING_FILE_STORE=s3``
  (:mod:`kobling.core.object_store`). File fields take it through their storage callable.
* :class:`PrivateStorage` — files under ``MEDIA_ROOT`` whose :meth:`url` refuses, so a template
  or serializer can never link to the file directly.
* :func:`sniff_content_type` — what the first bytes say the file is (PDF, JPEG, PNG), or None.
* :func:`clean_upload_name` — the uploaded file's own name, for display only.
* :func:`pdf_has_active_content` — a PDF that names scripts, actions or embedded files.
* :func:`private_file_response` — the download, private and not cached."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, Http404
from django.utils.deconstruct import deconstructible
from django.utils.functional import LazyObject, empty

# The first bytes of each kind of file we accept anywhere. The browser's Content-Type and the
# file name are never trusted: a file is what its bytes say it is.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


@deconstructible(path="kobling.core.uploads.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """Files under MEDIA_ROOT (read when first used, so tests can point it elsewhere) that are
    never given a URL."""

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no public URL; serve them through a scoped view.")


class PrivateFiles(LazyObject):
    """The storage ``STORAGES["private"]`` names, looked up when first used and again after the
    setting changes (a file field keeps the object its storage callable returned at import)."""

    def _setup(self) -> None:
        self._wrapped = storages["private"]


private_files = PrivateFiles()


@receiver(setting_changed)
def _private_files_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("STORAGES", "MEDIA_ROOT"):
        private_files._wrapped = empty


def sniff_content_type(upload: Any) -> str | None:
    """The content type the upload's first bytes announce (one of :data:`SIGNATURES`), or None.
    Leaves the file at its start."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def clean_upload_name(name: str, default: str) -> str:
    """The uploaded file's own name, for display only: no folders, no control characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return base[:120] or default


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


def pdf_has_active_content(data: bytes) -> bool:
    """Whether the PDF's own dictionary names include scripts, actions or embedded files. Names
    inside compressed object streams are not seen: a first guard, not a sandbox (such files are
    always served as attachments)."""
    return bool(_pdf_names(data) & _ACTIVE_PDF_NAMES)


def private_file_response(field: Any, *, filename: str, content_type: str) -> FileResponse:
    """A kept file as a download that no cache keeps; 404 when it is missing."""
    if not field.name:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
