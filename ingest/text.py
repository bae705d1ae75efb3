"""What ingested text may hold: no NUL, no terminal escape sequences, no other control characters.

A source can carry bytes that mean something to a terminal or a parser rather than to a reader
(an ANSI colour code pasted into a Markdown guide, a NUL from a broken export). They are removed
where text enters the pipeline, so no chunk, citation or CLI line ever holds them. Tab and newline
stay: they are layout.
"""

from __future__ import annotations

import re

# ESC [ … final byte (CSI), ESC ] … BEL or ESC \ (OSC), and two-byte ESC sequences.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# C0 controls but tab and newline, DEL, C1 controls; carriage returns become newlines first.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def strip_controls(text: str) -> str:
    """The text without escape sequences and control characters (NEL becomes a newline)."""
    if text.isprintable():
        return text
    text = _ESCAPES.sub("", text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n"))
    return _CONTROLS.sub("", text)
