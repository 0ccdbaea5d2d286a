"""A LaTeX two-column article with a side-by-side author block, for the column and title tests.

    python tests/data/make_tex_authors.py   # writes tex-twocolumn-authors.pdf here (needs pdflatex)

``tex-twocolumn-authors.pdf``: ``\\documentclass[twocolumn]{article}`` with a full-width head made
by ``\\twocolumn[...]``: the journal's name in larger type than the title (and repeated as the
running head of every page), the title, then three authors side by side, each with an affiliation
under the name (a tabular, as conference templates set it). The body has footnotes under the
columns and a sentence that runs from the foot of the left column to the top of the right one.
The sentences are those of make_tex_pdfs.py.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_tex_pdfs import build, prose  # noqa: E402

JOURNAL = "Journal of Inland Waterways"
TITLE = "Locks, Tolls and the Price of Water"
COLUMN_PHRASE = "the lock keepers wrote the names of the boats into a ledger kept at the summit"
AUTHORS = [
    ("Ada Example", "University of Leeds"),
    ("Ben Sample", "Canal Institute"),
    ("Carla Third", "Harbour College"),
]


def document() -> str:
    names = " & ".join(name for name, _ in AUTHORS)
    places = " & ".join(place for _, place in AUTHORS)
    out = [
        r"""\pdfinfoomitdate=1 \pdftrailerid{}
\documentclass[twocolumn,10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{hyperref}
\hypersetup{pdftitle={Cover A4.indd}}
\pagestyle{myheadings}
\markright{@JOURNAL@}
\begin{document}
\twocolumn[
\begin{center}
{\Huge @JOURNAL@\par}
\vspace{1.5em}
{\LARGE\bfseries @TITLE@\par}
\vspace{1.2em}
{\large\begin{tabular}{ccc}
@NAMES@ \\
@PLACES@ \\
\end{tabular}\par}
\vspace{1.5em}
\end{center}
]
\thispagestyle{myheadings}
""".replace("@JOURNAL@", JOURNAL)
        .replace("@TITLE@", TITLE)
        .replace("@NAMES@", names)
        .replace("@PLACES@", places)
    ]
    notes = [
        r"Smith, J. (2001). Water and Trade. Journal of Transport History 3(2), 1--10.",
        r"The toll boards are described in the company minutes for 1821.",
        r"Brown, A. (1999). Wharf Rates. London: Harbour Press.",
        r"Green, P. (2010). Boat Families. Economic History Review 63(4), 900--925.",
        r"The ledgers are kept in the county record office.",
    ]
    out.append(r"\section{Introduction}" + "\n")
    for i in range(6):
        note = r"\footnote{" + notes[i] + "}" if i < len(notes) else ""
        out.append(prose(i * 3 + 1, 6) + note + "\n\n")
        if i == 2:
            out.append(r"\section{Tolls and the water}" + "\n")
    out.append(prose(4, 8) + " At the height of the trade " + COLUMN_PHRASE + ", and " + prose(9, 7) + "\n\n")
    out.append(r"\section{Conclusion}" + "\n" + prose(12, 9) + "\n\n" + prose(3, 9) + "\n")
    out.append("\\end{document}\n")
    return "".join(out)


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: apt-get install texlive-latex-base texlive-latex-recommended")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        build("tex-twocolumn-authors.pdf", document(), Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
