"""Generate the team's sample PDF (corpus/esimerkkiopisto/hoks-ohje.pdf) from its source text.

Usage: python corpus/tools/make_pdf.py [SOURCE.txt] [OUT.pdf]

The source is plain text: ``# 3 Heading`` lines start numbered sections, ``- `` lines are list
items, other lines are paragraphs; ``\\u00ad`` marks a soft hyphen where a long word may break.
Every page gets a running header and a "Sivu N / M" footer, which the PDF reader must remove.
The output is deterministic (fixed creation date), so the committed PDF can be regenerated.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "esimerkkiopisto" / "src" / "hoks-ohje.txt"
OUT = HERE.parent / "esimerkkiopisto" / "hoks-ohje.pdf"
TITLE = "Esimerkkiopiston HOKS-ohje"
HEADER = "Esimerkkiopisto - HOKS-ohje (kuvitteellinen esimerkkiaineisto)"


class GuidePdf(FPDF):
    """A5 pages with a running header and a page-number footer."""

    def header(self) -> None:
        """Running header on every page."""
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 6, HEADER, align="R", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        """Page number on every page."""
        self.set_y(-15)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 10, f"Sivu {self.page_no()} / {{nb}}", align="C")


def build(source: Path = SOURCE, out: Path = OUT) -> Path:
    """Render the source text into a multi-page PDF."""
    pdf = GuidePdf(format="A5")
    pdf.set_creation_date(datetime(2025, 8, 1, tzinfo=timezone.utc))
    pdf.set_title(TITLE)
    pdf.set_author("Esimerkkiopisto (kuvitteellinen)")
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.multi_cell(0, 10, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(
        0, 6, "Voimassa 1.8.2025 alkaen. Esimerkkiopisto on kuvitteellinen oppilaitos.", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    for raw in source.read_text(encoding="utf-8").splitlines():
        line = raw.replace("\\u00ad", "\u00ad").rstrip()
        if not line:
            continue
        if line.startswith("# "):
            pdf.ln(3)
            pdf.set_font("Helvetica", "B", 13)
            pdf.multi_cell(0, 8, line[2:], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 11)
        elif line.startswith("- "):
            pdf.set_x(pdf.l_margin + 6)
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))
    return out


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:3]]
    print(build(*args))
