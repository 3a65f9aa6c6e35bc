"""Request ids, the access log and structured (JSON) logs, the reverse proxy's headers, and
no personal data in the log: the real logging configuration of the settings, written to a
buffer instead of stderr."""

from __future__ import annotations

import copy
import io
import json
import logging.config
import re

import pytest
from django.conf import settings as django_settings
from django.http import HttpResponse
from django.test import Client

from kobling.core.logs import NATIONAL_ID_MASK, mask
from kobling.web.middleware import TrustedProxyMiddleware

TOKEN = "s3cr3t-T0KEN.abcdefghijklmnop"
UUID_HEX = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture
def log_output(settings):
    """The settings' LOGGING with its console handler writing to a buffer; the access log on."""

    def configure(log_format: str) -> io.StringIO:
        buffer = io.StringIO()
        config = copy.deepcopy(django_settings.LOGGING)
        config["handlers"]["console"]["formatter"] = log_format
        config["handlers"]["console"]["stream"] = buffer
        config["loggers"]["kobling.access"]["level"] = "INFO"
        logging.config.dictConfig(config)
        return buffer

    yield configure
    logging.config.dictConfig(django_settings.LOGGING)


def json_lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@pytest.mark.django_db
def test_every_response_carries_a_new_request_id():
    first = Client().get("/konto/logg-inn/")["X-Request-ID"]
    second = Client().get("/konto/logg-inn/")["X-Request-ID"]
    assert UUID_HEX.match(first) and UUID_HEX.match(second) and first != second


@pytest.mark.django_db
def test_the_proxys_request_id_is_kept_when_it_is_a_uuid_and_replaced_when_not():
    nginx_id = "0f2a8c3e5b7d49e1a6c4f8b2d0e6a9c1"  # nginx's $request_id: 32 hex digits
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID=nginx_id)
    assert kept["X-Request-ID"] == nginx_id
    for insane in ("x" * 200, "abc\r\nSet-Cookie: a=b", "<script>", "1; DROP TABLE"):
        replaced = Client().get("/healthz", HTTP_X_REQUEST_ID=insane)["X-Request-ID"]
        assert UUID_HEX.match(replaced), insane


@pytest.mark.django_db
def test_json_log_lines_parse_and_carry_the_request_id(log_output):
    buffer = log_output("json")
    response = Client().get(f"/innsjekk/{TOKEN}/?svar=available&token={TOKEN}")
    assert response.status_code == 404
    lines = json_lines(buffer)
    assert {line["logger"] for line in lines} >= {"kobling.access", "django.request"}
    assert all(line["request_id"] == response["X-Request-ID"] for line in lines), lines
    access = next(line for line in lines if line["logger"] == "kobling.access")
    assert access["route"] == "/innsjekk/<str:token>/"
    assert access["status"] == 404 and access["method"] == "GET"
    assert isinstance(access["duration_ms"], float)
    assert {"time", "level", "message"} <= access.keys()


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_request_id_with_eleven_digits_in_a_row_is_logged_whole(log_output, log_format):
    # About one random request id in ten holds 11 decimal digits in a row; the line's id must
    # still match the response's header, and a national id elsewhere in the line is still masked
    buffer = log_output(log_format)
    request_id = "aa85969971384a07b1c2d3e4f5a6b7c8"
    response = Client().get("/finnes-ikke/", HTTP_X_REQUEST_ID=request_id)
    assert response["X-Request-ID"] == request_id
    lines = buffer.getvalue().strip().splitlines()
    assert lines and all(request_id in line for line in lines)
    assert NATIONAL_ID_MASK not in buffer.getvalue()


def test_mask_keeps_the_request_id_and_masks_a_national_id_around_it():
    request_id = "aa85969971384a07b1c2d3e4f5a6b7c8"
    line = f"[{request_id}] person 01019012345 x{request_id[:14]}"
    masked = mask(line, keep=request_id)
    assert masked == f"[{request_id}] person {NATIONAL_ID_MASK} xaa{NATIONAL_ID_MASK}a"
    assert mask("a01019012345b") == f"a{NATIONAL_ID_MASK}b"  # after a letter: still masked
    assert mask(line) == mask(line, keep="-")


@pytest.mark.django_db
@pytest.mark.parametrize("log_format", ["json", "text"])
def test_a_signed_link_token_in_the_url_never_reaches_the_log(log_output, log_format):
    buffer = log_output(log_format)
    for path in (
        f"/innsjekk/{TOKEN}/?svar=available",
        f"/oppfolging/{TOKEN}/",
        f"/kartlegging/{TOKEN}/",
        f"/konto/passord/MQ/{TOKEN}/",
        f"/finnes-ikke/{TOKEN}/?token={TOKEN}",
        f"/innsjekk/{TOKEN}",  # no slash: redirected before any URL pattern matched
    ):
        Client().get(path)
    output = buffer.getvalue()
    assert output.count("\n") >= 6  # it did log: one access line per request at least
    assert TOKEN not in output and "s3cr3t" not in output
    assert "/finnes-ikke/" in output  # an unknown path: its first segment only


@pytest.mark.django_db
@pytest.mark.urls("tests.web.urls_failing")
def test_the_500_page_shows_the_request_id_that_every_log_line_of_the_request_has(log_output):
    buffer = log_output("json")
    response = Client(raise_request_exception=False).get(f"/feil/{TOKEN}/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f"<code data-request-id>{request_id}</code>" in response.content.decode()
    lines = json_lines(buffer)
    error = next(line for line in lines if line["logger"] == "django.request")
    assert error["level"] == "ERROR" and "RuntimeError" in error["exc_info"]
    assert all(line["request_id"] == request_id for line in lines)
    output = buffer.getvalue()
    assert TOKEN not in output
    assert "01019012345" not in output and "[11 digits]" in output


@pytest.mark.django_db
def test_text_log_lines_carry_the_request_id(log_output):
    buffer = log_output("text")
    response = Client().get("/healthz")
    line = buffer.getvalue().strip().splitlines()[-1]
    assert f"[{response['X-Request-ID']}]" in line and "GET /healthz 200" in line


def seen_by_the_app(rf, proxies: int, settings, **headers: str) -> tuple[str, bool]:
    settings.KOBLING_TRUSTED_PROXY_COUNT = proxies
    seen: dict = {}

    def view(request):  # noqa: ANN001, ANN202
        seen.update(address=request.META["REMOTE_ADDR"], secure=request.is_secure())
        return HttpResponse()

    TrustedProxyMiddleware(view)(rf.get("/", REMOTE_ADDR="10.0.0.1", **headers))
    return seen["address"], seen["secure"]


def test_the_trusted_proxy_count_decides_which_forwarded_values_are_believed(rf, settings):
    headers = {
        "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9",  # the client claims 6.6.6.6
        "HTTP_X_FORWARDED_PROTO": "https",
    }
    assert seen_by_the_app(rf, 0, settings, **headers) == ("10.0.0.1", False)
    assert seen_by_the_app(rf, 1, settings, **headers) == ("203.0.113.9", True)
    assert seen_by_the_app(rf, 2, settings, **headers) == ("6.6.6.6", False)
    # Two proxies, each appending: the outer one's "https" is believed, the client's is not.
    two = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 10.0.0.5", "HTTP_X_FORWARDED_PROTO": "http, https"}
    assert seen_by_the_app(rf, 1, settings, **two) == ("10.0.0.5", True)
    assert seen_by_the_app(rf, 2, settings, **two) == ("203.0.113.9", False)


@pytest.mark.django_db
def test_https_from_the_proxy_is_honoured_only_when_a_proxy_is_trusted(settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.KOBLING_TRUSTED_PROXY_COUNT = 0
    claimed = Client().get("/konto/logg-inn/", HTTP_X_FORWARDED_PROTO="https")
    assert claimed.status_code == 301 and claimed["Location"].startswith("https://")
    settings.KOBLING_TRUSTED_PROXY_COUNT = 1
    assert Client().get("/konto/logg-inn/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
