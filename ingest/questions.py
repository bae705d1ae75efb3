"""The question bank (kysymyspankki): questions staff ask, written per section, read and checked against the corpus.

``corpus/questions/*.toml`` hold one statute each (``statute = "531/2017"``, then ``[[q]]`` tables
with ``section``, ``lang``, ``q``, ``answer`` and optionally ``act``). Every entry's answer phrase
must occur verbatim in the section's text of ``act`` (default: the statute) in its language; the
question is then tied to the chunk that holds the phrase. :func:`attach_bank` checks every entry
and raises one :class:`~ingest.errors.QuestionBankError` naming each bad one, so a bad bank is
never indexed silently. Entries whose act is not in the ingested corpus at all (a corpus without
the statutes) are left out and counted, not refused.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .chunking import normalise_section
from .errors import QuestionBankError
from .models import BankQuestion, Chunk, Document, text_hash

logger = logging.getLogger(__name__)

LANGS = ("fi", "sv")
STATUTE_RE = re.compile(r"^\d{1,4}/\d{4}$")
SECTION_RE = re.compile(r"^\d+(?: ?[a-z])?$")
MAX_QUESTION_CHARS = 500
DEFAULT_BANK = Path(__file__).resolve().parents[1] / "corpus" / "questions"
FIELDS = {"section", "lang", "q", "answer", "act"}


@dataclass(frozen=True)
class BankEntry:
    """One ``[[q]]`` entry as written in a bank file, before it is checked against the corpus."""

    statute: str
    section: str
    lang: str
    text: str
    answer: str
    act: str
    source: str  # "corpus/questions/531-2017.toml:12" (entry number, 1-based)


@dataclass(frozen=True)
class BankReport:
    """What :func:`attach_bank` did: the questions tied to chunks and the entries left out."""

    questions: tuple[BankQuestion, ...]
    skipped: int  # entries whose act is not in the corpus


def normalise_space(text: str) -> str:
    """Runs of whitespace as one space: phrases are compared the way people read them."""
    return " ".join(text.split())


def bank_files(directory: str | Path) -> list[Path]:
    """The bank's TOML files in name order ([] when the folder does not exist)."""
    path = Path(directory)
    return sorted(path.glob("*.toml")) if path.is_dir() else []


def read_bank_file(path: Path) -> list[BankEntry]:
    """The entries of one bank file; raises QuestionBankError naming the file and entry of each problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise QuestionBankError([f"{path}: unreadable: {exc}"]) from exc
    statute = data.get("statute")
    if not isinstance(statute, str) or not STATUTE_RE.match(statute):
        raise QuestionBankError([f"{path}: 'statute' must be a statute number like \"531/2017\", got {statute!r}"])
    entries = data.get("q", [])
    if not isinstance(entries, list):
        raise QuestionBankError([f"{path}: 'q' must be an array of tables ([[q]])"])
    problems: list[str] = []
    out: list[BankEntry] = []
    for n, raw in enumerate(entries, start=1):
        where = f"{path}:{n}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: entry is not a table")
            continue
        unknown = sorted(set(raw) - FIELDS)
        bad = [k for k in ("section", "lang", "q", "answer") if not isinstance(raw.get(k), str) or not raw[k].strip()]
        if unknown or bad:
            problems.append(
                f"{where}: "
                + "; ".join([f"missing or empty '{k}'" for k in bad] + [f"unknown key '{k}'" for k in unknown])
            )
            continue
        values: dict[str, str] = {k: raw[k] for k in ("section", "lang", "q", "answer")}
        act = raw.get("act", statute)
        section = normalise_section(values["section"])
        if not isinstance(act, str) or not STATUTE_RE.match(act):
            problems.append(f"{where}: 'act' must be a statute number like \"1218/2020\", got {act!r}")
        elif not SECTION_RE.match(section):
            problems.append(f'{where}: \'section\' {values["section"]!r} is not a section number like "97" or "52 a"')
        elif values["lang"] not in LANGS:
            problems.append(f"{where}: 'lang' must be fi or sv, got {values['lang']!r}")
        elif len(values["q"]) > MAX_QUESTION_CHARS:
            problems.append(f"{where}: question longer than {MAX_QUESTION_CHARS} characters")
        else:
            out.append(
                BankEntry(
                    statute,
                    section,
                    values["lang"],
                    normalise_space(values["q"]),
                    normalise_space(values["answer"]),
                    act,
                    where,
                )
            )
    if problems:
        raise QuestionBankError(problems)
    return out


def load_bank(directory: str | Path) -> list[BankEntry]:
    """Every entry of every bank file in ``directory``; all files' problems are reported together."""
    problems: list[str] = []
    out: list[BankEntry] = []
    for path in bank_files(directory):
        try:
            out.extend(read_bank_file(path))
        except QuestionBankError as exc:
            problems.extend(exc.problems)
    if problems:
        raise QuestionBankError(problems)
    return out


def _chunk_for(phrase: str, chunks: Sequence[Chunk]) -> Chunk | None:
    """The chunk whose text holds the phrase; a phrase across a chunk border goes to the chunk where it starts."""
    for chunk in chunks:
        if phrase in normalise_space(chunk.text):
            return chunk
    texts = [normalise_space(c.text) for c in chunks]
    joined = " ".join(texts)
    at = joined.find(phrase)
    if at < 0:
        return None
    offset = 0
    for chunk, text in zip(chunks, texts):
        offset += len(text) + 1
        if at < offset:
            return chunk
    return chunks[-1]


def attach_bank(entries: Iterable[BankEntry], documents: Sequence[Document]) -> BankReport:
    """Tie each entry to the chunk holding its answer phrase; raise QuestionBankError naming every entry that fails."""
    sections: dict[tuple[str, str, str], list[Chunk]] = {}
    acts: set[tuple[str, str]] = set()
    for doc in documents:
        for chunk in doc.chunks:
            c = chunk.citation
            if c.statute is None:
                continue
            acts.add((c.statute, c.lang))
            if c.section is not None:
                sections.setdefault((c.statute, normalise_section(c.section), c.lang), []).append(chunk)
    problems: list[str] = []
    questions: list[BankQuestion] = []
    skipped = 0
    for e in entries:
        label = f"{e.source} ({e.act} {e.section} §, {e.lang})"
        if (e.act, e.lang) not in acts:
            skipped += 1
            continue
        found = sections.get((e.act, e.section, e.lang))
        if not found:
            problems.append(f"{label}: the corpus has no such section")
            continue
        if e.act != e.statute and found[0].citation.amends_statute != e.statute:
            problems.append(f"{label}: {e.act} does not amend {e.statute}")
            continue
        holder = _chunk_for(e.answer, found)
        if holder is None:
            problems.append(f"{label}: answer phrase not in the section's text: {e.answer!r}")
            continue
        questions.append(BankQuestion(holder.id, e.statute, e.section, e.lang, e.text, e.answer, e.act, e.source))
    if problems:
        raise QuestionBankError(problems)
    if skipped:
        logger.info("question bank: %d entries left out (their act is not in this corpus)", skipped)
    return BankReport(tuple(questions), skipped)


def bank_hash(questions: Iterable[BankQuestion]) -> str:
    """A hash of the questions and where they point (a new generation is written when it changes)."""
    return text_hash("\n".join(f"{q.chunk_id}\t{q.lang}\t{q.text}" for q in questions))
