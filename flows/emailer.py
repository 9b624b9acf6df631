"""Email the reports after a published run, and an alert after a failed one.

Sending never raises: an unreachable or refusing server is retried with a growing delay,
then logged, and the caller gets False. A published database stays published whatever
happens to the email.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from flows.config import EmailSettings
from schemas.columns import FILE_DUPLICATE, FILE_LOADED, FILE_REJECTED
from transforms.nik import mask_digit_runs
from transforms.report_format import (
    format_date,
    format_month,
    format_number,
    format_percent,
    format_rupiah,
)

if TYPE_CHECKING:
    from flows.reports import Headline, ReportFiles

LOGGER = logging.getLogger("jamsos.email")
RETRY_DELAYS_SECONDS = (10.0, 60.0, 300.0)
TIMEOUT_SECONDS = 30.0
ATTACHMENT_TYPES = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pdf": ("application", "pdf"),
    ".csv": ("text", "csv"),
}
SUBJECT_PREFIX = "[jamsos]"

Log = logging.Logger | logging.LoggerAdapter[Any]


def load_secret_block(name: str) -> str:
    """Return the value of the Prefect Secret block `name`."""
    # Imported here: Prefect costs over a second to import and only this path needs it.
    from prefect.blocks.system import Secret

    # Block.load returns a coroutine only inside an async task or flow; callers here are sync.
    secret = cast("Secret[str]", Secret.load(name))
    return str(secret.get())


def smtp_password(email: EmailSettings, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the SMTP password: the `password_env` variable, else the Secret block, else None."""
    environ = os.environ if environ is None else environ
    from_environment = environ.get(email.password_env, "") if email.password_env else ""
    if from_environment:
        return from_environment
    if email.password_secret_block:
        return load_secret_block(email.password_secret_block)
    return None


def _new_message(email: EmailSettings, recipients: Sequence[str], subject: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    domain = email.sender.rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    return message


def report_body(headline: Headline, attachments: Sequence[Path]) -> str:
    """Write the email text: headline figures, data quality and what is attached."""
    as_of = format_date(headline.data_as_of) if headline.data_as_of else "-"
    lines = [
        "Yth. Bapak/Ibu,",
        "",
        "Berikut laporan kepesertaan Jaminan Sosial Ketenagakerjaan pekerja rentan Kota "
        f"Singkawang tanggal {format_date(headline.report_date)} (data per {as_of}).",
        "",
        "Peserta terdaftar dibanding target:",
    ]
    for figure in headline.categories:
        persons = "-" if figure.persons is None else format_number(figure.persons)
        percent = (
            "-" if figure.percent_of_target is None else format_percent(figure.percent_of_target)
        )
        lines.append(
            f"- {figure.label}: {persons} dari {format_number(figure.target)} orang ({percent})"
        )
    if headline.persons_all is not None:
        lines.append(
            f"- Orang berbeda di semua kategori: {format_number(headline.persons_all)} orang"
        )
    lines += ["", "Premi (JKK dan JKM, APBD Kota Singkawang):"]
    if headline.premium_to_date_idr is not None:
        lines.append(
            f"- s.d. {format_month(headline.premium_month)}: "
            f"{format_rupiah(headline.premium_to_date_idr)}"
        )
    if headline.premium_committed_idr is not None:
        lines.append(
            f"- terikat untuk seluruh masa cakupan: {format_rupiah(headline.premium_committed_idr)}"
        )
    lines.append(f"- tarif: {format_rupiah(headline.monthly_premium_idr)} per peserta per bulan")
    files = headline.files_by_status
    lines += [
        "",
        f"Kualitas data: {format_number(files.get(FILE_LOADED, 0))} berkas dimuat, "
        f"{format_number(files.get(FILE_REJECTED, 0))} ditolak seluruhnya, "
        f"{format_number(files.get(FILE_DUPLICATE, 0))} duplikat; "
        f"{format_number(headline.rows_read)} baris dibaca, "
        f"{format_number(headline.rows_accepted)} diterima, "
        f"{format_number(headline.rows_rejected)} ditolak.",
    ]
    if headline.rows_rejected or files.get(FILE_REJECTED, 0):
        lines.append(
            "Baris yang ditolak, dengan nama berkas, nomor baris dan alasannya, ada di lembar "
            "'Baris Ditolak' pada lampiran Excel. Mohon perbaiki di berkas sumber lalu kirim "
            "ulang."
        )
    lines += ["", "Lampiran:"]
    lines += [f"- {path.name}" for path in attachments]
    lines += [
        "",
        "Pesan ini dikirim otomatis oleh jamsos setelah pemrosesan data malam berhasil.",
    ]
    return "\n".join(lines) + "\n"


def report_message(email: EmailSettings, files: ReportFiles) -> EmailMessage:
    """Build the report email with the staff XLSX and PDF attached."""
    headline = files.headline
    subject = (
        f"{SUBJECT_PREFIX} Laporan kepesertaan Jamsostek pekerja rentan Kota Singkawang, "
        f"{format_date(headline.report_date)}"
    )
    attachments = [files.xlsx, files.pdf]
    message = _new_message(email, email.recipients, subject)
    message.set_content(report_body(headline, attachments))
    for path in attachments:
        maintype, subtype = ATTACHMENT_TYPES.get(
            path.suffix.lower(), ("application", "octet-stream")
        )
        message.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return message


def failure_message(
    email: EmailSettings, run_id: str, error: str, when: datetime | None = None
) -> EmailMessage:
    """Build the alert sent when a run did not publish."""
    when = when or datetime.now().astimezone()
    subject = f"{SUBJECT_PREFIX} GAGAL: data jamsos {format_date(when.date())} tidak diterbitkan"
    recipients = email.alert_recipients or email.recipients
    message = _new_message(email, recipients, subject)
    message.set_content(
        "\n".join(
            [
                "Yth. Bapak/Ibu,",
                "",
                f"Pemrosesan data jamsos pada {format_date(when.date())} pukul "
                f"{when:%H.%M %Z} tidak berhasil diterbitkan.",
                "Database dan laporan yang terbit sebelumnya tetap berlaku dan tidak berubah.",
                "",
                "Penyebab:",
                mask_digit_runs(error),
                "",
                f"Nomor proses: {run_id}",
                "",
                "Perbaiki penyebab di atas, lalu jalankan 'jamsos run' lagi atau tunggu "
                "jadwal malam berikutnya.",
                "",
                "Pesan ini dikirim otomatis oleh jamsos.",
            ]
        )
        + "\n"
    )
    return message


def _deliver(
    email: EmailSettings,
    message: EmailMessage,
    password: str | None,
    timeout: float,
    ssl_context: ssl.SSLContext | None,
) -> None:
    context = ssl_context or ssl.create_default_context()
    client: smtplib.SMTP
    if email.security == "ssl":
        client = smtplib.SMTP_SSL(email.host, email.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(email.host, email.port, timeout=timeout)
    with client:
        client.ehlo()
        if email.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if email.username:
            client.login(email.username, password or "")
        client.send_message(message)


def _is_permanent(error: Exception) -> bool:
    """Tell whether the server refused for good (5xx): trying again cannot help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def send_message(
    email: EmailSettings,
    message: EmailMessage,
    *,
    log: Log = LOGGER,
    retry_delays: Sequence[float] = RETRY_DELAYS_SECONDS,
    timeout: float = TIMEOUT_SECONDS,
    ssl_context: ssl.SSLContext | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """Send one message, retrying network failures; log and return False when it fails."""
    subject = message["Subject"]
    if not message["To"]:
        log.warning("Email '%s' tidak dikirim: tidak ada penerima di konfigurasi.", subject)
        return False
    try:
        password = smtp_password(email, environ)
    except Exception as error:  # a missing block or an unreachable Prefect API alike
        log.error("Kata sandi SMTP tidak bisa dibaca, email '%s' tidak dikirim: %s", subject, error)
        return False
    if email.username and not password:
        log.error(
            "Email '%s' tidak dikirim: email.username diisi tetapi kata sandi tidak ada "
            "(variabel %s atau blok Secret).",
            subject,
            email.password_env,
        )
        return False
    attempts = len(retry_delays) + 1
    for attempt in range(1, attempts + 1):
        try:
            _deliver(email, message, password, timeout, ssl_context)
        except (OSError, smtplib.SMTPException) as error:
            if _is_permanent(error) or attempt == attempts:
                log.error(
                    "Email '%s' tidak terkirim lewat %s:%d setelah %d percobaan: %s",
                    subject,
                    email.host,
                    email.port,
                    attempt,
                    error,
                )
                return False
            delay = retry_delays[attempt - 1]
            log.warning(
                "Pengiriman email '%s' gagal (percobaan %d dari %d): %s. Dicoba lagi dalam "
                "%s detik.",
                subject,
                attempt,
                attempts,
                error,
                format_number(delay, 0 if delay >= 1 else 2),
            )
            time.sleep(delay)
        else:
            log.info("Email '%s' terkirim ke %s.", subject, message["To"])
            return True
    return False


def send_reports(email: EmailSettings, files: ReportFiles, **options: Any) -> bool:
    """Email the staff XLSX and PDF with the headline figures; never raises."""
    try:
        message = report_message(email, files)
    except OSError as error:
        options.get("log", LOGGER).error("Lampiran laporan tidak bisa dibaca: %s", error)
        return False
    return send_message(email, message, **options)


def send_failure_alert(email: EmailSettings, run_id: str, error: str, **options: Any) -> bool:
    """Email the alert of a failed run to the alert recipients; never raises."""
    when = options.pop("when", None)
    return send_message(email, failure_message(email, run_id, error, when), **options)
