"""SMTP as the reference configures it: host, port, SMTP_SECURE (implicit TLS), STARTTLS when the
server offers it, AUTH, with timeouts; one connection carries a whole batch.

stdlib smtplib rather than a wrapper library: it already speaks everything needed, and what it
leaves to us (when to upgrade to TLS, never sending a password in the clear) is a few lines.
"""

from __future__ import annotations

import functools
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tidecast.config import Settings
from tidecast.net.sockets import is_loopback
from tidecast.retry import with_retry

if TYPE_CHECKING:  # smtplib and ssl load on first use: most function invocations send no mail
    import smtplib
    import ssl


class PlaintextAuthRefused(Exception):
    """Credentials are configured but the connection to a non-local relay is not encrypted."""

    transient = False


@dataclass(frozen=True)
class SmtpTransport:
    host: str
    port: int
    secure: bool = False
    user: str | None = None
    password: str | None = None
    timeout: float = 10.0
    ca_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            secure=settings.smtp_secure,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )

    @functools.cached_property
    def tls_context(self) -> ssl.SSLContext:
        """Built once per transport: loading the system's CA store costs ~70 ms here."""
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        return context

    def open(self) -> smtplib.SMTP:
        """A connected, greeted, encrypted-if-possible and authenticated session.

        Connecting is retried briefly (a relay restarting); anything longer is the outbox's
        durable retry's business.
        """
        return with_retry(self._open, max_retries=3, delay=0.2, deadline=self.timeout)

    def _open(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP
        if self.secure:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.tls_context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            encrypted = self.secure
            if not encrypted and smtp.has_extn("starttls"):
                smtp.starttls(context=self.tls_context)
                smtp.ehlo()
                encrypted = True
            if self.user:
                if not encrypted and not is_loopback(self.host):
                    raise PlaintextAuthRefused(
                        f"{self.host}:{self.port} offers no TLS; refusing to send credentials in the clear"
                    )
                smtp.login(self.user, self.password or "")
        except BaseException:
            close(smtp)
            raise
        return smtp


def close(smtp: smtplib.SMTP) -> None:
    """Say QUIT if the session still answers; drop the socket either way."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
