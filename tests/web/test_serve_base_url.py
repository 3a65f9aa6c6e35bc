"""`make run` (``kobling serve --port N``) puts links in e-mails that point at port N, unless
KOBLING_BASE_URL is set (e-mail links once said :8000 whatever PORT was)."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from django.core.management import call_command

from kobling.web.management.commands.serve import Command

pytestmark = pytest.mark.django_db


@pytest.fixture
def serve(monkeypatch):
    served = []
    monkeypatch.setattr(Command, "_runserver", lambda self, host, port, reload: served.append(port))
    monkeypatch.setattr("kobling.web.management.commands.serve._can_bind", lambda h, p: True)

    def run(port: int) -> None:
        with mock.patch.dict(os.environ):
            call_command("serve", "--port", str(port), "--no-worker", "--no-mail-server")
            run.environ = dict(os.environ)

    yield run
    assert served


def test_the_base_url_follows_the_served_port(serve, monkeypatch, settings):
    monkeypatch.delenv("KOBLING_BASE_URL", raising=False)
    settings.KOBLING_BASE_URL = "http://127.0.0.1:8000"
    serve(8123)
    assert settings.KOBLING_BASE_URL == "http://127.0.0.1:8123"
    assert serve.environ["KOBLING_BASE_URL"] == "http://127.0.0.1:8123"  # the worker's


def test_a_configured_base_url_wins(serve, monkeypatch, settings):
    monkeypatch.setenv("KOBLING_BASE_URL", "https://kobling.example.no")
    settings.KOBLING_BASE_URL = "https://kobling.example.no"
    serve(8123)
    assert settings.KOBLING_BASE_URL == "https://kobling.example.no"
    assert serve.environ["KOBLING_BASE_URL"] == "https://kobling.example.no"


def test_the_makefile_serves_on_port(settings):
    makefile = (settings.BASE_DIR.parent.parent / "Makefile").read_text()
    assert "serve --port $(PORT)" in makefile
