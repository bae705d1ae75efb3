"""What the command line prints: every line with control characters escaped (no input may drive the terminal)."""

from __future__ import annotations

import logging

import click


def printable(text: str) -> str:
    """Control characters shown as escapes (\\x1b), so no source text or file name can drive the terminal."""
    return "".join(ch if ch.isprintable() or ch in "\n\t" else f"\\x{ord(ch):02x}" for ch in text)


class PrintableFormatter(logging.Formatter):
    """Log lines with control characters escaped, like everything else the CLI prints."""

    def format(self, record: logging.LogRecord) -> str:
        return printable(super().format(record))


def echo(message: object = "", err: bool = False) -> None:
    """Print one message (escaped)."""
    click.echo(printable(str(message)), err=err)
