"""A real SMTP server for tests: aiosmtpd on a free port on 127.0.0.1, collecting what it gets.

Use the ``smtp_server`` fixture (tests/conftest.py), which also points Django's SMTP backend at
it. The server can be told to answer the next deliveries with a temporary failure (451), or be
stopped and started again on the same port, to exercise retries."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO; keep test output about our code.
logging.getLogger("mail.log").setLevel(logging.WARNING)


LINK = r"https?://[^\s\"'<>]+"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def links(self) -> list[str]:
        return re.findall(LINK, self.text)

    @property
    def prose(self) -> str:
        """The plain text with every link replaced by "<link>": what to search for words that must
        not be in a mail. A link's random token holds any short string now and then ("16", "Eva"),
        so a search of the whole text fails about once in a hundred runs."""
        return re.sub(LINK, "<link>", self.text)

    @property
    def html_prose(self) -> str:
        """The HTML part with every link replaced by "<link>" (see ``prose``)."""
        return re.sub(LINK, "<link>", self.html)


class CollectingHandler:
    """aiosmtpd handler: keeps every accepted message; can refuse the next ones with 451."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.refused = 0
        self._failures_left = 0
        self._lock = threading.Lock()

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures_left = count

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        with self._lock:
            if self._failures_left > 0:
                self._failures_left -= 1
                self.refused += 1
                return "451 4.3.0 Temporary failure, please try again later"
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append(
                Received(
                    mail_from=envelope.mail_from,
                    rcpt_tos=list(envelope.rcpt_tos),
                    message=message,
                )
            )
        return "250 OK"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class SmtpServer:
    host: str = "127.0.0.1"
    port: int = field(default_factory=free_port)
    handler: CollectingHandler = field(default_factory=CollectingHandler)
    _controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]

    def fail_next(self, count: int = 1) -> None:
        """Answer the next ``count`` deliveries with ``451`` (a temporary failure)."""
        self.handler.fail_next(count)

    def start(self) -> None:
        self._controller = Controller(
            self.handler, hostname=self.host, port=self.port, server_hostname="localhost"
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived (for deliveries from other processes)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
