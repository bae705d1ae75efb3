"""E-mail to the asker when a coach answers: plain SMTP (STARTTLS and login when configured), never the answer's text.

The message says that an answer is waiting and links to it; the answer itself stays behind the
sign-in, since a question may describe a student. The password is never logged.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpConfig:
    """Where mail goes; ``host`` None turns mail off."""

    host: str | None
    port: int = 25
    sender: str = "lahde@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0


def answer_message(to: str, sender: str, question_id: int, link: str, topic_name: str) -> EmailMessage:
    """The notification: Finnish first, Swedish below, a link, no question or answer text."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = f"Lähde: kysymykseesi #{question_id} on vastattu / din fråga har besvarats"
    msg.set_content(
        f"Valmentaja on vastannut kysymykseesi #{question_id} ({topic_name}).\n"
        f"Lue vastaus lähteineen: {link}\n\n"
        f"En coach har besvarat din fråga #{question_id}.\nLäs svaret med källor: {link}\n"
    )
    return msg


def send(config: SmtpConfig, message: EmailMessage) -> bool:
    """Send one message; False (logged, never raised) when mail is off or the server refuses."""
    if not config.host:
        return False
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("answer notification to %s not sent: %s", message["To"], type(exc).__name__)
        return False
