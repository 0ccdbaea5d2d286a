"""Rebuild the LaTeX test PDFs in tests/data with Debian's texlive (``pdflatex``).

    python tests/data/make_tex_pdfs.py     # needs pdflatex (texlive-latex-base, -recommended, -extra)

The PDFs are committed; the tests read them and never need texlive. They stand for layouts
and note styles LibreOffice does not make:

``tex-twocolumn.pdf``
    a ``twocolumn`` article: footnotes under each column, a paragraph that runs from the
    foot of the left column to the top of the right one, and a numbered ``thebibliography``
    ("References", entries "[1] ...").
``tex-notes.pdf``
    a one-column article whose long footnote continues on the next page (LaTeX splits it),
    and an author-year reference list under a "Bibliography" heading, set with hanging indents.
``tex-endnotes.pdf``
    notes set as endnotes (the ``endnotes`` package: a "Notes" section at the end), followed
    by a flush author-year reference list that has no heading of its own.
``tex-issue.pdf``
    an article as a journal issue sends it: a cover (the journal's name in the largest type,
    the issue), the editorial board in small type, a table of contents ("... p. 12"), then the
    article's first page (its title in smaller type than the journal's name on the cover).
``tex-scanned.pdf``
    a page typeset by LaTeX and then rendered to a grey image by Ghostscript's ``pdfimage8``
    device (needs ``gs``): a PDF with no text layer, as a scanner makes, for the OCR path.

Every sentence is written here; the text of each document is built from them in a fixed order,
and PDF dates and IDs are left out so a rebuild gives the same files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SENTENCES = [
    "Inland waterways carried most of the heavy goods of the early industrial economy.",
    "A barge drawn by one horse could move thirty tons of coal along a level cut.",
    "The first summit canals needed reservoirs that filled slowly over the winter months.",
    "Engineers argued for decades about the proper width of a lock chamber.",
    "Tolls were set by the mile and by the ton, and the rates were printed on boards at every wharf.",
    "Merchants complained that the tolls rose whenever a dry summer lowered the water.",
    "The companies answered that pumping engines and puddled clay cost more each year.",
    "Local landowners often demanded a bridge for every field the new channel divided.",
    "Some of those bridges still stand, narrow and humped, over water that no longer carries trade.",
    "The account books of the boatmen show how small the margins of a family boat were.",
    "A wet season could close the towpath for weeks and leave cargoes waiting at the basin.",
    "Railway promoters used such delays as their strongest argument in parliament.",
    "Yet the canals kept their bulk trade in stone, lime and grain for another generation.",
    "Historians have read the decline as a story of technical failure, but the ledgers tell of price wars.",
    "Where a railway bought the canal beside it, the waterway was often left to silt up quietly.",
    "Where the canal stayed independent, it cut its rates and kept its customers for years.",
    "The evidence of the toll tickets is therefore more mixed than the older literature admits.",
    "Parish registers add a further layer, naming the boat families who married along the line.",
    "Those families moved between wharves as contracts changed, and their children worked the locks.",
    "A full history of inland trade must read the water, the ledgers and the registers together.",
]
PHRASE = "the towpath horses were stabled at every third lock along the northern reach"

HEAD = r"""\pdfinfoomitdate=1 \pdftrailerid{}
\documentclass[%s]{article}
\usepackage[utf8]{inputenc}
%s
\usepackage{hyperref}
\hypersetup{pdftitle={}}
\title{%s}
\author{%s}
\date{}
\begin{document}
\maketitle
"""


def prose(start: int, count: int) -> str:
    return " ".join(SENTENCES[(start + k) % len(SENTENCES)] for k in range(count))


def twocolumn() -> str:
    body = [HEAD % ("twocolumn,10pt", "", "Canals and the Making of Inland Trade", r"Ada Example \and Ben Sample")]
    body.append(r"\begin{abstract}" + prose(0, 3) + r"\end{abstract}" + "\n")
    body.append(r"\section{Introduction}" + "\n")
    notes = [
        r"Smith, J. (2001). Water and Trade. Journal of Transport History 3(2), 1--10.",
        r"On the toll boards see Brown, A. (1999). Wharf Rates. London: Harbour Press.",
        r"The ledgers are kept in the county record office.",
        r"Green, P. (2010). Boat Families. Economic History Review 63(4), 900--925.",
    ]
    for i in range(8):
        note = r"\footnote{" + notes[i // 2] + "}" if i % 2 == 0 and i // 2 < len(notes) else ""
        body.append(prose(i * 3, 5) + note + "\n\n")
        if i == 3:
            body.append(r"\section{Tolls and the water}" + "\n")
    # a long paragraph that crosses from the left column to the right one
    body.append(prose(5, 9) + " In the summer of the survey " + PHRASE + ", and " + prose(11, 6) + "\n\n")
    body.append(r"\section{Conclusion}" + "\n" + prose(14, 6) + "\n")
    body.append(r"""\begin{thebibliography}{9}
\bibitem{a} J. Smith, Water and trade in the canal age, Journal of Transport History 3 (2001) 1--10.
\bibitem{b} A. Brown, Wharf Rates and Their Makers, Harbour Press, London, 1999.
\bibitem{c} P. Green, Boat families on the northern canals, Economic History Review 63 (2010) 900--925.
\bibitem{d} M. White, The Summit Reservoirs: Engineering and Weather, Canal Society, Leeds, 1987.
\bibitem{e} R. Black and T. Grey, Railway promoters in parliament, Parliamentary History 12 (1993) 45--70.
\bibitem{f} L. Stone, The decline of the waterways reconsidered, Business History 40 (1998) 1--22.
\end{thebibliography}
\end{document}
""")
    return "".join(body)


def notes_doc() -> str:
    body = [HEAD % ("11pt", "", "Ledgers of the Northern Reach", "Clara Witness")]
    body.append(r"\interfootnotelinepenalty=0" + "\n")
    long_note = (
        "The toll tickets survive in three runs. "
        + prose(2, 14)
        + " See further Green, P. (2010). Boat Families. Economic History Review 63(4), 900--925."
    )
    for i in range(9):
        text = prose(i * 2, 7)
        if i == 4:
            text += r"\footnote{" + long_note + "}"
        elif i % 2 == 1:
            text += (
                r"\footnote{"
                + prose(i + 7, 1)
                + " Compare White, M. (1987). The Summit Reservoirs. Leeds: Canal Society.}"
            )
        body.append(text + "\n\n")
        if i in (2, 6):
            body.append(rf"\section{{Part {i // 3 + 1}}}" + "\n")
    body.append(r"\section*{Bibliography}" + "\n")
    entries = [
        r"Black, R., and Grey, T. (1993). Railway promoters in parliament: evidence from the committee books of the northern lines. \emph{Parliamentary History}, 12(1), 45--70.",
        r"Brown, A. (1999). \emph{Wharf Rates and Their Makers: The Printed Toll Boards of the Canal Companies}. London: Harbour Press.",
        r"Green, P. (2010). Boat families on the northern canals, 1790--1880. \emph{Economic History Review}, 63(4), 900--925.",
        r"Smith, J. (2001). Water and trade in the canal age. \emph{Journal of Transport History}, 3(2), 1--10.",
        r"Stone, L. (1998). The decline of the waterways reconsidered: price wars and the ledgers of the independent companies. \emph{Business History}, 40(1), 1--22.",
        r"White, M. (1987). \emph{The Summit Reservoirs: Engineering and Weather on the Pennine Canals}. Leeds: Canal Society.",
    ]
    for entry in entries:
        body.append(r"\noindent\hangindent=2em\hangafter=1 " + entry + "\n\n")
    body.append(r"\end{document}" + "\n")
    return "".join(body)


def endnotes_doc() -> str:
    body = [
        HEAD % ("11pt", r"\usepackage{endnotes}\let\footnote=\endnote", "Registers of the Boat Families", "Dora Record")
    ]
    for i in range(7):
        text = prose(i * 3 + 1, 6)
        if i % 2 == 0:
            text += (
                r"\footnote{"
                + prose(i + 3, 1)
                + " See Smith, J. (2001). Water and Trade. Journal of Transport History 3(2), 1--10.}"
            )
        body.append(text + "\n\n")
    body.append(r"\theendnotes" + "\n\n" + r"\bigskip" + "\n\n")
    entries = [
        "Green, P. (2010). Boat families on the northern canals. Economic History Review, 63(4), 900--925.",
        "Harbour, K. (2004). Marriage along the line: parish registers and the canal trade. Local Population Studies, 72, 10--31.",
        "Smith, J. (2001). Water and trade in the canal age. Journal of Transport History, 3(2), 1--10.",
        "Stone, L. (1998). The decline of the waterways reconsidered. Business History, 40(1), 1--22.",
        "Tanner, E. (2015). Children at the locks. History Workshop Journal, 80, 5--28.",
        "Wright, S. (1979). The Boat People of the Midlands. Birmingham: Lock Press.",
    ]
    for entry in entries:
        body.append(r"\noindent " + entry + "\n\n")
    body.append(r"\end{document}" + "\n")
    return "".join(body)


def issue_doc() -> str:
    board = "\\\\\n".join(
        f"{name}, Professor of {field}, University of {town}"
        for name, field, town in [
            ("Anna Rossi", "Public Law", "Padua"),
            ("Bruno Weber", "Legal History", "Basel"),
            ("Carla Nunes", "Private Law", "Coimbra"),
            ("Dieter Hahn", "Economic History", "Vienna"),
            ("Elena Petrova", "Transport Law", "Sofia"),
            ("Frank Moore", "Comparative Law", "Leeds"),
            ("Greta Lind", "Environmental Law", "Uppsala"),
            ("Hugo Blanc", "European Law", "Lyon"),
        ]
    )
    contents = "\\\\\n".join(
        f"{title} \\dotfill\\ p. {page}"
        for title, page in [
            ("Editorial: twenty years of the review", 1),
            ("Ledgers of the Northern Reach", 5),
            ("Registers of the Boat Families", 27),
            ("Tolls, wharves and the law of the canal companies", 49),
            ("Book reviews", 71),
        ]
    )
    return (
        r"""\pdfinfoomitdate=1 \pdftrailerid{}
\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{hyperref}
\hypersetup{pdftitle={}}
\pagestyle{plain}
\begin{document}
\begin{titlepage}
\centering
\vspace*{5cm}
{\Huge Review of Inland Waterway Law\par}
\vspace{1cm}
{\Large 2025, n. 1\par}
\end{titlepage}
\noindent{\scriptsize\textbf{EDITORIAL BOARD}\\
"""
        + board
        + r"""\par}
\newpage
\section*{Contents}
\noindent """
        + contents
        + r"""
\newpage
\begin{center}
{\Large\bfseries Ledgers of the Northern Reach: Tolls and Trade on an Inland Canal\par}
\vspace{0.5cm}
{\large Clara Witness\par}
\end{center}
\begin{abstract}
"""
        + prose(0, 3)
        + r"""
\end{abstract}
\section{Introduction}
"""
        + prose(3, 8)
        + "\n\n"
        + prose(11, 8)
        + "\n\\end{document}\n"
    )


def scanned_doc() -> str:
    return (
        r"""\pdfinfoomitdate=1 \pdftrailerid{}
\documentclass[12pt]{article}
\usepackage[paperwidth=15cm,paperheight=10cm,margin=1.5cm]{geometry}
\pagestyle{empty}
\begin{document}
\section*{The Summit Reservoirs}
"""
        + prose(2, 4)
        + "\n\\end{document}\n"
    )


DOCUMENTS = {
    "tex-twocolumn.pdf": twocolumn,
    "tex-notes.pdf": notes_doc,
    "tex-endnotes.pdf": endnotes_doc,
    "tex-issue.pdf": issue_doc,
}
#: typeset, then rendered to an image-only PDF
SCANS = {"tex-scanned.pdf": scanned_doc}


def build(name: str, source: str, work: Path, scan: bool = False) -> None:
    tex = work / (Path(name).stem + ".tex")
    tex.write_text(source, encoding="utf-8")
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", FORCE_SOURCE_DATE="1")
    for _ in range(2):  # twice, for the references and the endnotes
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
        )
    if scan:  # the page as a 150 dpi grey image, no text
        subprocess.run(
            ["gs", "-q", "-sDEVICE=pdfimage8", "-r150", "-o", str(HERE / name), str(work / (tex.stem + ".pdf"))],
            check=True,
        )
    else:
        shutil.copy(work / (tex.stem + ".pdf"), HERE / name)
    print(f"wrote {HERE / name}")


def main() -> int:
    if shutil.which("pdflatex") is None:
        print("pdflatex not found: apt-get install texlive-latex-base texlive-latex-recommended texlive-latex-extra")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for name, make in DOCUMENTS.items():
            build(name, make(), Path(tmp))
        if shutil.which("gs") is None:
            print("gs not found (apt-get install ghostscript): tex-scanned.pdf not rebuilt")
            return 1
        for name, make in SCANS.items():
            build(name, make(), Path(tmp), scan=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
