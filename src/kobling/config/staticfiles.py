"""Static files in production: WhiteNoise's compressed, hashed files, made once per content.

``kobling serve --production`` runs ``collectstatic`` at every start. WhiteNoise would compress
every file again each time (brotli at its best level: ~20 s of CPU here for the admin's and the
browsable API's files). Hashed names are content-addressed, so a compressed copy that is already
there for a hashed name is the right one: it is kept. Only hashed files are kept and compressed
(templates always ask for them through ``{% static %}``)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import brotli
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class _ReusingCompressor(Compressor):
    def compress(self, path: str) -> list[str]:
        if self.use_brotli and self.use_gzip:
            with open(path, "rb") as source:
                data = source.read()
            copies = {".br": brotli.decompress, ".gz": gzip.decompress}
            try:
                # Checked, not trusted: a copy cut short by a crash is made again.
                if all(
                    Path(path + suffix).is_file()
                    and unpack(Path(path + suffix).read_bytes()) == data
                    for suffix, unpack in copies.items()
                ):
                    return [path + suffix for suffix in copies]
            except (OSError, EOFError, gzip.BadGzipFile, brotli.error):
                pass
        return super().compress(path)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    keep_only_hashed_files = True

    def create_compressor(self, **kwargs: Any) -> Compressor:  # noqa: ANN401
        return _ReusingCompressor(**kwargs)
