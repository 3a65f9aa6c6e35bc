"""The private file store in an S3-compatible object store (``KOBLING_FILE_STORE=s3``).

A bucket that only Kobling's processes can read: objects are written private (no ACL that
grants anyone else), never overwritten (a taken name gets a new one, as on the disk), and have
no URL — neither public nor pre-signed — so a file leaves only through the scoped, audited views
that serve it (:func:`kobling.core.uploads.private_file_response`). Configuration and the backup
of the bucket: docs/deploy.md, "The file store"."""

from __future__ import annotations

from storages.backends.s3 import S3Storage


class PrivateS3Storage(S3Storage):
    default_acl = "private"
    file_overwrite = False
    querystring_auth = True

    def url(self, name: str | None, parameters=None, expire=None, http_method=None) -> str:  # noqa: ANN001
        raise ValueError("Private files have no public URL; serve them through a scoped view.")
