# One image for both kinds of Kobling process (docs/deploy.md):
#   web:    kobling serve --production --host 0.0.0.0 --port 8000   (the default command)
#   worker: kobling worker
FROM python:3.11-slim-bookworm

# WeasyPrint (letters and reports as PDF) needs Pango and a font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --system --create-home --home-dir /var/lib/kobling kobling
WORKDIR /opt/kobling

COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN pip install --no-cache-dir -c constraints.txt . && rm -rf src

ENV KOBLING_ENV=production \
    KOBLING_VAR_DIR=/var/lib/kobling \
    MEDIA_ROOT=/var/lib/kobling/media \
    STATIC_ROOT=/var/lib/kobling/static \
    KOBLING_LOG_FORMAT=json \
    PYTHONUNBUFFERED=1

USER kobling
RUN mkdir -p /var/lib/kobling/media /var/lib/kobling/static
VOLUME ["/var/lib/kobling/media"]
EXPOSE 8000

# /healthz answers over plain HTTP; the Host header must be one of ALLOWED_HOSTS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import os, urllib.request as u; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': os.environ['ALLOWED_HOSTS'].split(',')[0]}), timeout=4)"

CMD ["kobling", "serve", "--production", "--host", "0.0.0.0", "--port", "8000"]
