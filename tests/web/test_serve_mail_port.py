"""`make run` never sends its e-mails to another process's mail server by accident.

The probe found `make run` silently using whatever listened on port 1025 — another checkout's
local mail server — so e-mails with live sign-in and check-in links landed in someone else's
log. Unless EMAIL_PORT says to use that server, the local one takes a free port."""

from __future__ import annotations

import builtins
import io
import os
import socket
from unittest import mock

import pytest
from django.core.management.base import CommandError

from kobling.web.management.commands.serve import Command


@pytest.fixture
def someone_elses_mail_server():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture
def development(settings, tmp_path, monkeypatch):
    settings.KOBLING_ENV = "development"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.VAR_DIR = tmp_path
    monkeypatch.delenv("EMAIL_PORT", raising=False)
    with mock.patch.dict(os.environ):
        yield settings


def _command() -> Command:
    return Command(stdout=io.StringIO(), stderr=io.StringIO())


def test_a_taken_default_mail_port_makes_the_local_server_take_a_free_one(
    development, someone_elses_mail_server
):
    development.EMAIL_PORT = someone_elses_mail_server
    command = _command()
    controller = command._start_mail_server()
    try:
        assert controller is not None
        assert development.EMAIL_PORT not in (someone_elses_mail_server, 0)
        assert controller.port == development.EMAIL_PORT
        assert os.environ["EMAIL_PORT"] == str(development.EMAIL_PORT)  # for the worker
        assert "another process's mail server" in command.stdout.getvalue()
    finally:
        controller.stop()


def test_without_aiosmtpd_a_taken_default_mail_port_is_refused(
    development, someone_elses_mail_server
):
    development.EMAIL_PORT = someone_elses_mail_server
    real_import = builtins.__import__

    def no_aiosmtpd(name, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if name.startswith("aiosmtpd"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    with (
        mock.patch("builtins.__import__", side_effect=no_aiosmtpd),
        pytest.raises(CommandError, match="Set EMAIL_PORT"),
    ):
        _command()._start_mail_server()


def test_a_mail_server_named_in_email_port_is_used_as_it_is(development, someone_elses_mail_server):
    development.EMAIL_PORT = someone_elses_mail_server
    os.environ["EMAIL_PORT"] = str(someone_elses_mail_server)
    assert _command()._start_mail_server() is None
    assert someone_elses_mail_server == development.EMAIL_PORT
