"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for tests to read."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMessage:
    envelope_to: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(preferencelist=("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(preferencelist=("html",)).get_content()


class _Recorder:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self.sink.refuse.get(address) or self.sink.refuse_with
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.sink.lock:
            self.sink.messages.append(ReceivedMessage(list(envelope.rcpt_tos), parsed))
        if self.sink.after_data is not None:
            self.sink.after_data()
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpSink:
    """``refuse_with`` answers every recipient with that reply, ``refuse`` some of them;
    ``smtputf8`` offers the SMTPUTF8 extension (international addresses); ``after_data`` runs
    once a message is stored, just before the server answers 250."""

    def __init__(self, port: int | None = None, smtputf8: bool = True):
        self.hostname = "127.0.0.1"
        self.port = port or free_port()
        self.smtputf8 = smtputf8
        self.messages: list[ReceivedMessage] = []
        self.lock = threading.Lock()
        self.refuse_with: str | None = None
        self.refuse: dict[str, str] = {}
        self.after_data = None
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Recorder(self), hostname=self.hostname, port=self.port,
                                      enable_SMTPUTF8=self.smtputf8)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} message(s), received {len(self.messages)}")

    def to(self, address: str) -> list[ReceivedMessage]:
        return [m for m in self.messages if address in m.envelope_to]
