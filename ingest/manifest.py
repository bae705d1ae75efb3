"""The sources manifest (corpus/sources.toml): which statutes and guides make up the corpus.

Two parts:

* ``[finlex]`` — the bulk of statutes: ``dir`` (relative to the repository root) and ``include``
  globs relative to it; optional ``mirror`` names the folder ``lahde sources fetch`` fills with
  Akoma Ntoso files (also read at build time when present).
* ``[[source]]`` — one table per source with ``id``, ``title``, ``kind``, ``lang`` and either
  ``path`` (a file under ``corpus/``) or ``statute`` (``"531/2017"``, read from the Finlex folder or
  the mirror, and what ``lahde sources fetch`` downloads); optional ``issuer``, ``url``,
  ``valid_from``. An unknown or missing key is an error that names the entry; that entry is
  left out and the rest of the corpus goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError, SourceFormatError
from .text import strip_controls

logger = logging.getLogger(__name__)

KINDS = ("laki", "asetus", "opas", "ohje", "ukk")  # a [[source]]'s kinds; perusteet are [[peruste]]
LANGS = ("fi", "sv")
_FINLEX_KEYS = {"dir", "include", "mirror"}
_REQUIRED = ("id", "title", "kind", "lang")
_OPTIONAL = ("issuer", "url", "valid_from", "path", "statute", "institution")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class ManifestError(IngestError):
    """A manifest entry is invalid; the message names the entry and the key."""


@dataclass(frozen=True)
class SourceEntry:
    """One ``[[source]]`` of the manifest."""

    id: str
    title: str
    kind: str
    lang: str
    issuer: str | None = None
    url: str | None = None
    valid_from: str | None = None  # ISO date
    path: Path | None = None  # resolved file for guides
    statute: str | None = None  # "531/2017" for statutes
    institution: str | None = None  # a guide of one institution's own: only its users see it

    def finlex_name(self) -> str | None:
        """``531/2017`` → ``asd20170531.xml``."""
        if not self.statute:
            return None
        number, year = self.statute.split("/")
        return f"asd{year}{int(number):04d}.xml"

    def akn_name(self) -> str | None:
        """``531/2017`` (sv) → ``2017_531_swe.xml``, the mirror's file name."""
        if not self.statute:
            return None
        number, year = self.statute.split("/")
        return f"{year}_{int(number)}_{'swe' if self.lang == 'sv' else 'fin'}.xml"


@dataclass(frozen=True)
class PerusteEntry:
    """One ``[[peruste]]`` of the manifest: an ePerusteet peruste by diaarinumero and id."""

    diaarinumero: str  # "OPH-2762-2017"
    id: str  # ePerusteet's peruste id, "3397336": what `lahde sources fetch` downloads
    file: str  # its JSON in the [eperusteet] folder

    @property
    def name(self) -> str:
        """Short human name for messages."""
        return f"peruste {self.diaarinumero} (id {self.id})"


@dataclass(frozen=True)
class SourcesConfig:
    """Which files make up the corpus."""

    finlex_dir: Path | None
    finlex_include: tuple[str, ...] = ()
    entries: tuple[SourceEntry, ...] = ()
    errors: tuple[IngestError, ...] = ()  # invalid entries, reported by the ingest run
    mirror_dir: Path | None = None
    manifest: Path | None = None
    extra_roots: tuple[Path, ...] = ()  # further folders sources may be read from (LAHDE_SOURCE_ROOTS)
    eperusteet_dir: Path | None = None  # where the perusteet's JSON files are read from
    eperusteet_mirror: Path | None = None  # where `lahde sources fetch` writes them (read when dir lacks one)
    perusteet: tuple[PerusteEntry, ...] = ()

    def allowed_roots(self) -> list[Path]:
        """Folders a source may lie in, resolved: the manifest's own folder, the Finlex folder, the mirror, the extra roots."""
        roots = [
            self.manifest.parent if self.manifest else None,
            self.finlex_dir,
            self.mirror_dir,
            self.eperusteet_dir,
            self.eperusteet_mirror,
            *self.extra_roots,
        ]
        return [Path(os.path.realpath(r)) for r in roots if r is not None]

    def confine(self, path: Path) -> Path:
        """The file's real path when it lies inside an allowed root (symlinks followed); else an error naming it."""
        real = Path(os.path.realpath(path))
        if not any(real == root or real.is_relative_to(root) for root in self.allowed_roots()):
            raise SourceFormatError(
                path,
                "outside the allowed source folders (the manifest's folder, the Finlex folder, the mirror and "
                "LAHDE_SOURCE_ROOTS); refused",
            )
        return real

    def finlex_files(self) -> list[Path]:
        """The Finlex XML files selected by the include globs (empty when the folder is absent)."""
        if self.finlex_dir is None or not self.finlex_dir.is_dir():
            return []
        files: dict[Path, None] = {}
        for pattern in self.finlex_include:
            for path in sorted(self.finlex_dir.glob(pattern)):
                if path.is_file():
                    files[path] = None
        return list(files)

    def mirror_files(self) -> list[Path]:
        """Akoma Ntoso files fetched into the mirror folder (empty when there is none)."""
        if self.mirror_dir is None or not self.mirror_dir.is_dir():
            return []
        return sorted(p for p in self.mirror_dir.glob("*.xml") if p.is_file())

    def peruste_files(self) -> list[tuple[PerusteEntry, Path]]:
        """Each listed peruste with its file: in the folder, else fetched into the mirror (missing: reported)."""
        out: list[tuple[PerusteEntry, Path]] = []
        for entry in self.perusteet:
            folders = [f for f in (self.eperusteet_dir, self.eperusteet_mirror) if f is not None]
            found = next((f / entry.file for f in folders if (f / entry.file).is_file()), None)
            if folders:
                out.append((entry, found or folders[0] / entry.file))
        return out

    def statute_file(self, entry: SourceEntry) -> Path | None:
        """Where a statute entry's text is: the Finlex folder first, then the mirror."""
        name = entry.finlex_name()
        if name and self.finlex_dir is not None:
            candidate = self.finlex_dir / entry.lang / name
            if candidate.is_file():
                return candidate
        akn = entry.akn_name()
        if akn and self.mirror_dir is not None and (self.mirror_dir / akn).is_file():
            return self.mirror_dir / akn
        return None


def _entry(data: object, index: int, corpus_dir: Path, manifest: Path) -> SourceEntry:
    where = f"[[source]] #{index}"
    if not isinstance(data, dict):
        raise ManifestError(manifest, f"{where}: must be a table")
    if isinstance(data.get("id"), str):
        where = f"{where} (id {data['id']!r})"
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise ManifestError(manifest, f"{where}: unknown keys {unknown}; allowed: {list(_REQUIRED + _OPTIONAL)}")
    missing = [k for k in _REQUIRED if k not in data]
    if missing:
        raise ManifestError(manifest, f"{where}: missing required keys {missing}")
    for key in (*_REQUIRED, "issuer", "url", "path", "statute", "institution"):
        if key in data and not isinstance(data[key], str):
            raise ManifestError(manifest, f"{where}: {key} must be a string")
    if not _ID_RE.match(data["id"]):
        raise ManifestError(manifest, f"{where}: id must be lower-case letters, digits and '-'")
    if data["kind"] not in KINDS:
        raise ManifestError(manifest, f"{where}: kind {data['kind']!r} is not one of {list(KINDS)}")
    if data["lang"] not in LANGS:
        raise ManifestError(manifest, f"{where}: lang {data['lang']!r} is not one of {list(LANGS)}")
    if ("path" in data) == ("statute" in data):
        raise ManifestError(manifest, f"{where}: give exactly one of 'path' (a file) or 'statute' (\"531/2017\")")
    if "institution" in data and ("statute" in data or not _ID_RE.match(data["institution"])):
        raise ManifestError(
            manifest,
            f"{where}: institution names a guide's own institution (an id like 'esimerkkiopisto'); statutes are public",
        )
    if "statute" in data and not re.fullmatch(r"\d+/\d{4}", data["statute"]):
        raise ManifestError(manifest, f'{where}: statute must look like "531/2017"')
    valid_from = data.get("valid_from")
    if isinstance(valid_from, dt.date):
        valid_from = valid_from.isoformat()
    elif valid_from is not None:
        try:
            valid_from = dt.date.fromisoformat(str(valid_from)).isoformat()
        except ValueError as exc:
            raise ManifestError(manifest, f"{where}: valid_from must be a date (YYYY-MM-DD)") from exc
    return SourceEntry(
        id=data["id"],
        title=strip_controls(data["title"]),
        kind=data["kind"],
        lang=data["lang"],
        issuer=strip_controls(data["issuer"]) if data.get("issuer") else None,
        url=data.get("url"),
        valid_from=valid_from,
        path=(corpus_dir / data["path"]) if "path" in data else None,
        statute=data.get("statute"),
        institution=data.get("institution"),
    )


def _peruste_entry(data: object, index: int, manifest: Path, folder: Path | None) -> PerusteEntry:
    where = f"[[peruste]] #{index}"
    if not isinstance(data, dict):
        raise ManifestError(manifest, f"{where}: must be a table")
    keys = ("diaarinumero", "id", "file")
    if set(data) != set(keys):
        raise ManifestError(manifest, f"{where}: needs exactly the keys {list(keys)}, has {sorted(data)}")
    if not all(isinstance(data[k], str) and data[k] for k in keys):
        raise ManifestError(manifest, f"{where}: {', '.join(keys)} must be non-empty strings")
    if not data["id"].isdigit():
        raise ManifestError(
            manifest, f'{where} ({data["diaarinumero"]}): id must be ePerusteet\'s number, e.g. "3397336"'
        )
    if folder is None:
        raise ManifestError(
            manifest, f"{where} ({data['diaarinumero']}): no [eperusteet] dir or mirror to read it from"
        )
    if "/" in data["file"] or "\\" in data["file"] or data["file"].startswith("."):
        raise ManifestError(
            manifest, f"{where} ({data['diaarinumero']}): file must be a plain name in the [eperusteet] dir"
        )
    return PerusteEntry(strip_controls(data["diaarinumero"]), data["id"], data["file"])


def load_sources(
    manifest: str | Path,
    *,
    finlex_dir: str | Path | None = None,
    mirror_dir: str | Path | None = None,
    extra_roots: Sequence[str | Path] = (),
) -> SourcesConfig:
    """Read the manifest; ``finlex_dir`` / ``mirror_dir`` override the folders it names.

    An unreadable manifest raises :class:`IngestError`; an invalid ``[[source]]`` entry is kept
    in ``errors`` so that the rest of the corpus is still ingested.
    """
    manifest = Path(manifest)
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IngestError(manifest, f"cannot read sources manifest: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(manifest, f"invalid TOML: {exc}") from exc
    unknown_top = sorted(set(data) - {"finlex", "source", "eperusteet", "peruste"})
    if unknown_top:
        raise IngestError(
            manifest, f"unknown top-level keys {unknown_top}; allowed: ['finlex', 'source', 'eperusteet', 'peruste']"
        )
    finlex = data.get("finlex", {})
    unknown = set(finlex) - _FINLEX_KEYS
    if unknown:
        raise IngestError(manifest, f"[finlex]: unknown keys {sorted(unknown)}")
    corpus_dir = manifest.parent
    root = corpus_dir.parent  # corpus/sources.toml → repository root
    if finlex_dir is not None:
        folder: Path | None = Path(finlex_dir)
    elif "dir" in finlex:
        folder = (root / finlex["dir"]).resolve()
    else:
        folder = None
    if mirror_dir is not None:
        mirror: Path | None = Path(mirror_dir)
    elif "mirror" in finlex:
        mirror = (root / finlex["mirror"]).resolve()
    else:
        mirror = None
    entries: list[SourceEntry] = []
    errors: list[IngestError] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(data.get("source", []), 1):
        try:
            entry = _entry(raw, index, corpus_dir, manifest)
            if (entry.lang, entry.id) in seen:
                raise ManifestError(
                    manifest, f"[[source]] #{index} (id {entry.id!r}): duplicate id for lang {entry.lang}"
                )
            seen.add((entry.lang, entry.id))
            entries.append(entry)
        except ManifestError as exc:
            errors.append(exc)
    eperusteet = data.get("eperusteet", {})
    if not isinstance(eperusteet, dict) or set(eperusteet) - {"dir", "mirror"}:
        raise IngestError(manifest, "[eperusteet]: only the keys 'dir' and 'mirror' are allowed")
    eperusteet_dir = (root / eperusteet["dir"]).resolve() if "dir" in eperusteet else None
    eperusteet_mirror = (root / eperusteet["mirror"]).resolve() if "mirror" in eperusteet else None
    perusteet: list[PerusteEntry] = []
    for index, raw in enumerate(data.get("peruste", []), 1):
        try:
            perusteet.append(_peruste_entry(raw, index, manifest, eperusteet_dir or eperusteet_mirror))
        except ManifestError as exc:
            errors.append(exc)
    return SourcesConfig(
        eperusteet_dir=eperusteet_dir,
        eperusteet_mirror=eperusteet_mirror,
        perusteet=tuple(perusteet),
        finlex_dir=folder,
        finlex_include=tuple(finlex.get("include", ())),
        entries=tuple(entries),
        errors=tuple(errors),
        mirror_dir=mirror,
        manifest=manifest,
        extra_roots=tuple(Path(r) for r in extra_roots),
    )
