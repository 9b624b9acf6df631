"""Sending the reports and the failure alert to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import ipaddress
import logging
import socket
import ssl
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pypdf import PdfReader

from flows import emailer
from flows.config import EmailSettings
from flows.reports import ReportFiles, write_reports
from tests.test_reports import (
    PERSONS_TOTAL,
    RENTAN_TOTAL,
    REPORT_DATE,
    SAWIT_TOTAL,
    build_report_database,
    report_settings,
)

pytestmark = pytest.mark.server

SENDER = "jamsos@singkawangkota.go.id"
STAFF = ("dpmtk@singkawangkota.go.id", "walikota@singkawangkota.go.id")
ON_CALL = ("data@singkawangkota.go.id",)
PASSWORD_ENV = "JAMSOS_TEST_SMTP_PASSWORD"
TINY_DELAYS = (0.01, 0.01)


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(parsed)
        return "250 OK"


class RefusingInbox(Inbox):
    """A server that refuses every recipient for good (550)."""

    async def handle_RCPT(
        self, server: object, session: object, envelope: object, address: str, options: list
    ) -> str:
        return "550 5.1.1 mailbox unavailable"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def email_settings(port: int, **changes: object) -> EmailSettings:
    settings = EmailSettings(
        enabled=True,
        host="127.0.0.1",
        port=port,
        security="none",
        username="",
        password_env=PASSWORD_ENV,
        password_secret_block="",
        sender=SENDER,
        recipients=STAFF,
        alert_recipients=ON_CALL,
    )
    return dataclasses.replace(settings, **changes)


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def staff_reports(tmp_path_factory: pytest.TempPathFactory) -> ReportFiles:
    root = tmp_path_factory.mktemp("email")
    settings = report_settings()
    db = build_report_database(root / "jamsos.duckdb", settings)
    return write_reports(db, root / "reports", settings, REPORT_DATE, public=False)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a certificate for 127.0.0.1 and its key; return (certificate, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_path = directory / "server.pem"
    key_path = directory / "server.key"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate_path, key_path


def test_report_email_arrives_with_headline_figures_and_readable_attachments(
    inbox: tuple[Inbox, int], staff_reports: ReportFiles
) -> None:
    handler, port = inbox
    assert emailer.send_reports(email_settings(port), staff_reports, retry_delays=TINY_DELAYS)
    assert len(handler.messages) == 1
    message = handler.messages[0]
    assert handler.envelopes[0] == (SENDER, list(STAFF))
    assert message["From"] == SENDER
    assert message["To"] == ", ".join(STAFF)
    assert "22 Desember 2025" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert f"Pekerja Rentan: {RENTAN_TOTAL:,} dari 7.737 orang".replace(",", ".") in body
    assert f"{SAWIT_TOTAL} dari 767 orang" in body
    assert f"{PERSONS_TOTAL:,} orang".replace(",", ".") in body
    assert "Rp16.800 per peserta per bulan" in body
    assert "Baris Ditolak" in body
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {staff_reports.xlsx.name, staff_reports.pdf.name}
    xlsx = attachments[staff_reports.xlsx.name]
    assert xlsx.get_content_type() == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.get_content()))
    assert {"Ringkasan", "Baris Ditolak"} <= set(workbook.sheetnames)
    summary = {row[0]: row for row in workbook["Ringkasan"].iter_rows(values_only=True)}
    assert summary["Pekerja Rentan"][2] == RENTAN_TOTAL
    pdf = attachments[staff_reports.pdf.name]
    assert pdf.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.get_content()))
    assert 2 <= len(reader.pages) <= 4
    assert f"{RENTAN_TOTAL:,} orang".replace(",", ".") in reader.pages[0].extract_text()


def test_failure_alert_goes_to_the_alert_recipients_without_a_full_nik(
    inbox: tuple[Inbox, int],
) -> None:
    handler, port = inbox
    sent = emailer.send_failure_alert(
        email_settings(port),
        "run-42",
        "Pemeriksaan gagal pada baris NIK 6172011203900001.",
        when=dt.datetime(2025, 12, 22, 2, 5, tzinfo=dt.UTC),
        retry_delays=TINY_DELAYS,
    )
    assert sent
    message = handler.messages[0]
    assert handler.envelopes[0][1] == list(ON_CALL)
    assert message["Subject"].startswith("[jamsos] GAGAL")
    body = message.get_content()
    assert "run-42" in body and "tetap berlaku" in body
    assert "6172********0001" in body and "6172011203900001" not in body


def test_starttls_and_login_use_the_password_from_the_environment(
    tmp_path: Path, staff_reports: ReportFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    certificate, key = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(certificate, key)
    client_context = ssl.create_default_context(cafile=str(certificate))
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(
        server: object, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"rahasia-smtp")

    handler = Inbox()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    monkeypatch.setenv(PASSWORD_ENV, "rahasia-smtp")
    try:
        settings = email_settings(port, security="starttls", username="jamsos")
        sent = emailer.send_reports(
            settings, staff_reports, retry_delays=TINY_DELAYS, ssl_context=client_context
        )
    finally:
        controller.stop()
    assert sent
    assert logins == [(b"jamsos", b"rahasia-smtp")]
    assert len(handler.messages) == 1


def test_unreachable_server_is_retried_then_logged_and_never_raises(
    staff_reports: ReportFiles, caplog: pytest.LogCaptureFixture
) -> None:
    settings = email_settings(free_port())
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="jamsos.email"):
        sent = emailer.send_reports(settings, staff_reports, retry_delays=TINY_DELAYS)
    assert sent is False
    assert time.perf_counter() - started < 5
    retries = [record for record in caplog.records if record.levelno == logging.WARNING]
    failures = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert len(retries) == 2 and len(failures) == 1
    assert "setelah 3 percobaan" in failures[0].getMessage()


def test_permanent_refusal_is_not_retried(
    staff_reports: ReportFiles, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with caplog.at_level(logging.WARNING, logger="jamsos.email"):
            sent = emailer.send_reports(email_settings(port), staff_reports, retry_delays=(30.0,))
    finally:
        controller.stop()
    assert sent is False
    assert [record.levelno for record in caplog.records] == [logging.ERROR]


def test_no_recipients_means_no_message(
    inbox: tuple[Inbox, int], staff_reports: ReportFiles
) -> None:
    handler, port = inbox
    settings = email_settings(port, recipients=())
    assert emailer.send_reports(settings, staff_reports, retry_delays=TINY_DELAYS) is False
    assert handler.messages == []


def test_password_comes_from_the_environment_before_the_secret_block(
    prefect_harness: None,
) -> None:
    from prefect.blocks.system import Secret

    Secret(value="dari-blok").save("jamsos-smtp-test", overwrite=True)
    settings = email_settings(25, password_secret_block="jamsos-smtp-test")
    assert emailer.smtp_password(settings, {PASSWORD_ENV: "dari-env"}) == "dari-env"
    assert emailer.smtp_password(settings, {}) == "dari-blok"
    assert emailer.smtp_password(email_settings(25), {}) is None


def test_unreadable_secret_block_skips_sending_without_raising(
    prefect_harness: None, staff_reports: ReportFiles
) -> None:
    settings = email_settings(free_port(), username="jamsos", password_secret_block="hilang")
    assert emailer.send_reports(settings, staff_reports, environ={}) is False
