"""Readers for guides and institutional instructions: PDF, HTML, Markdown and plain text.

Each reader returns :class:`Block` paragraphs that know their heading path and (for PDF) page;
:mod:`ingest.guide_chunks` groups them into cited chunks.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .errors import SkippedSource, SourceFormatError
from .text import strip_controls

logger = logging.getLogger(__name__)

# "3 Työelämässä oppiminen", "3.2 Koulutussopimus": a numbered heading line of a PDF.
_PDF_HEADING_RE = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+([A-ZÅÄÖ][^.!?:]{1,90})$")
_PAGE_NUMBER_RE = re.compile(r"^\s*(?:(?:s\.|sivu|sida|page)\s*)?\d+\s*(?:(?:/|\(|of|av)\s*\d+\)?)?\s*$", re.IGNORECASE)
_ELLIPSIS_WORDS = {"ja", "tai", "sekä", "eli", "taikka", "och", "eller", "samt"}
_SENTENCE_END_RE = re.compile(r"[.!?:;]$")


@dataclass(frozen=True)
class Block:
    """One paragraph, list item or table row run, with its place in the document."""

    text: str
    heading_path: tuple[str, ...]
    page: int | None = None
    page_end: int | None = None  # last page, when the block runs onto the next page


def _digits_masked(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def _running_lines(pages: list[list[str]], edge: int = 2) -> set[str]:
    """Lines (digits masked) that recur at the top or bottom of at least half of the pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        edges = {_digits_masked(x) for x in lines[:edge] + lines[-edge:] if x.strip()}
        counts.update(edges)
    return {line for line, n in counts.items() if n >= max(2, (len(pages) + 1) // 2)}


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines; a hyphen at a line end before a lower-case letter is a split word."""
    text = ""
    for line in lines:
        line = line.strip()
        if not text:
            text = line
        elif (
            text.endswith("-")
            and line[:1].islower()
            and len(text) > 1
            and text[-2].isalpha()
            and line.split(" ", 1)[0] not in _ELLIPSIS_WORDS  # "opetus- ja" is not a split word
        ):
            text = text[:-1] + line
        else:
            text = f"{text} {line}"
    return text


def read_pdf(path: Path) -> list[Block]:
    """Text blocks of a PDF with page numbers; running headers, footers and page numbers removed."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        # Authorities often restrict copying or printing with an owner password only: the empty
        # user password opens those. Only a file that needs a real password is refused.
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceFormatError(path, "encrypted PDF: a password is needed to open it")
        raw_pages = [strip_controls(page.extract_text() or "") for page in reader.pages]
    except SourceFormatError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceFormatError(path, f"truncated or damaged PDF: {exc}") from exc
    if not reader.pages:
        raise SourceFormatError(path, "PDF has no pages")
    pages = [[line.rstrip() for line in text.splitlines()] for text in raw_pages]
    if not any(line.strip() for lines in pages for line in lines):
        raise SkippedSource(path, "PDF has no text layer (scanned image only?); OCR it first")
    running = _running_lines(pages)
    blocks: list[Block] = []
    path_: tuple[str, ...] = ()
    paragraph: list[str] = []
    first_page = last_page = 1

    def flush() -> None:
        if paragraph:
            end = last_page if last_page != first_page else None
            blocks.append(Block(_join_lines(paragraph), path_, first_page, end))
            paragraph.clear()

    for number, lines in enumerate(pages, 1):
        for line in lines:
            stripped = line.strip()
            if not stripped or _digits_masked(line) in running or _PAGE_NUMBER_RE.match(line):
                continue
            heading = _PDF_HEADING_RE.match(stripped)
            if heading:
                flush()
                level = heading.group(1).count(".") + 1
                path_ = path_[: level - 1] + (f"{heading.group(1)} {heading.group(2).strip()}",)
                continue
            if stripped.startswith(("•", "-", "–")) or re.match(r"^\d+\)\s", stripped):
                flush()  # a list item starts a new block
            if not paragraph:
                first_page = number
            last_page = number  # a paragraph left open at a page end goes on at the next page
            paragraph.append(line)
            if _SENTENCE_END_RE.search(stripped) and len(stripped) < 60:
                flush()  # a short line ending a sentence ends its paragraph
    flush()
    return blocks


def read_html(path: Path, text: str) -> list[Block]:
    """Main content of an HTML page (selectolax), headings kept as the heading path."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    for selector in ("script", "style", "nav", "header", "footer", "aside", "noscript", "form"):
        for node in tree.css(selector):
            node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body
    if root is None:
        raise SourceFormatError(path, "HTML has no body")
    blocks: list[Block] = []
    path_: tuple[str, ...] = ()
    previous: str | None = None
    for node in root.css("h1, h2, h3, h4, h5, h6, p, li, tr, dt, dd, pre, blockquote"):
        tag = node.tag
        if tag in ("li", "p") and node.parent is not None and node.parent.tag in ("li", "blockquote", "td", "th"):
            continue  # already part of its container's text
        if tag == "tr":
            cells = [re.sub(r"\s+", " ", c.text(separator=" ")).strip() for c in node.css("th, td")]
            line = " | ".join(cells)
        else:
            line = re.sub(r"\s+", " ", node.text(separator=" ")).strip()
        if not line:
            continue
        if tag and tag[0] == "h" and tag[1:].isdigit():
            level = int(tag[1:])
            path_ = path_[: level - 1] + (line,)
            previous = None
            continue
        if tag in ("li", "tr") and previous == tag and blocks:
            # Rows of one table, items of one list: one block, one line each.
            last = blocks[-1]
            blocks[-1] = Block(f"{last.text}\n{'• ' if tag == 'li' else ''}{line}", last.heading_path)
        else:
            blocks.append(Block(f"• {line}" if tag == "li" else line, path_))
        previous = tag
    return blocks


def read_markdown(path: Path, text: str) -> list[Block]:
    """Markdown: ``#`` headings make the heading path; blank lines separate blocks."""
    blocks: list[Block] = []
    path_: tuple[str, ...] = ()
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("\n".join(paragraph), path_))
            paragraph.clear()

    for line in text.splitlines():
        heading = re.match(r"^(#{1,6})\s+(.+?)\s*#*\s*$", line)
        if heading:
            flush()
            level = len(heading.group(1))
            path_ = path_[: level - 1] + (heading.group(2),)
        elif not line.strip():
            flush()
        elif re.match(r"^\s*\|?\s*:?-{3,}", line):
            continue  # table separator row
        else:
            paragraph.append(line.strip().strip("|").strip() if line.lstrip().startswith("|") else line.rstrip())
    flush()
    return blocks


def read_plain(path: Path, text: str) -> list[Block]:
    """Plain text: blank lines separate blocks; no headings."""
    return [Block(p.strip(), ()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def decode_utf8(path: Path, data: bytes) -> str:
    """Bytes as UTF-8 text, or a :class:`SourceFormatError` saying where it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from exc


READERS = {".pdf": "pdf", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown", ".txt": "text"}


def read_guide(path: Path) -> list[Block]:
    """Read a guide by its file extension; raises an :class:`IngestError` subclass naming the file."""
    fmt = READERS.get(path.suffix.lower())
    if fmt is None:
        raise SourceFormatError(path, f"unsupported file type {path.suffix!r} (pdf, html, md, txt)")
    if fmt == "pdf":
        blocks = read_pdf(path)
    else:
        text = strip_controls(decode_utf8(path, path.read_bytes()))
        blocks = {"html": read_html, "markdown": read_markdown, "text": read_plain}[fmt](path, text)
    if not blocks:
        raise SkippedSource(path, "no text found")
    return blocks
