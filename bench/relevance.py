"""Benchmark: how well search finds known passages (MRR@10, recall@10), natural vs strict reading.

Usage: python -m bench.relevance [--index DIR] [--backend tantivy] [--verbose] [--explain] [--page-index DIR]

The corpus is the sample corpus plus real web pages and PDFs from ../shared/realdocs (those
that read today); it is tagged and indexed once (kept in --index DIR when given). Each query
names the passage a user wants: its document and a piece of its text (any of several). A
third of the queries are hard: other word forms, British/American spellings, aliases of
names, prefixes, fuzzy words, misspellings and questions in plain words. The queries were
written before the mechanisms they measure, and are not tuned to them.

HELD_OUT (and HELD_OUT_2, HELD_OUT_3) are further sets, written before the ranking changes they
check and never tuned on:
its figures are printed apart (its ranks only with --held-out-ranks), to show whether a change
made for QUERIES holds on queries it was not made for.

Printed: MRR@10 and recall@10 overall and on the hard queries, for the search as it reads
queries now (natural: most words when not all, aliases, word forms) and for the strict
reading of the same queries (every word required, as written) in the same run.
With --page-index (an index built by bench/query.py), the size of the search page's HTML.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SAMPLE = ROOT / "webui" / "sample_corpus"
REALDOCS = ROOT.parent.parent / "shared" / "realdocs"
if not REALDOCS.exists():
    REALDOCS = Path("/work/shared/realdocs")
REAL_FILES = [
    "html/sh-04a6711caa.html",
    "html/sh-06e5123e4e.html",
    "html/sh-098bb3e96c.html",
    "html/sh-14cc2a0ca5.html",
    "html/sh-156770d676.html",
    "html/sh-16c30add7e.html",
    "html/sh-1ee91d1fce.html",
    "html/sh-1f765c4878.html",
    "html/sh-232a43fb15.html",
    "html/sh-2f42ef1d3e.html",
    "html/sh-359fee2285.html",
    "html/sh-374ac9a59a.html",
    "html/rd-aclu.html",
    "html/rd-nytimes-2.html",
    "pdf/10.3249_1868-1581-1-2-gutbrod.pdf",
    "pdf/10.54648__eelr2015001.pdf",
    "pdf/10.1177__1461452917693337.pdf",
]

E, H = False, True  # easy, hard
#: (query, document id prefix, pieces of text the wanted passage holds (any), hard, what makes it hard)
QUERIES: list[tuple[str, str, tuple[str, ...], bool, str]] = [
    # --- sample corpus: EU migration policy on the Western Balkans route
    ("Frontex status agreement North Macedonia", "003", ("The agreement with North Macedonia, signed",), E, ""),
    ("Hungary fence border Serbia", "003", ("Hungary decided to build a fence",), E, ""),
    ("Idomeni camp", "003", ("Idomeni camp",), E, ""),
    ("European Parliament approved New Pact on Migration and Asylum", "003", ("approved the New Pact",), E, ""),
    ("facial recognition bias", "003", ("Regarding facial recognition",), E, ""),
    ("dialect recognition asylum", "003", ("dialect recognition systems",), E, ""),
    ("Itflows Horizon 2020", "003", ("Itflows, launched",), E, ""),
    ("drones BVMN incidents", "003", ("BVMN recorded 33 incidents",), E, ""),
    ("Montenegro agreement Frontex staff", "003", ("Montenegro signed an agreement",), E, ""),
    ("Albania agreement entered into force June 2024", "003", ("Albania on Sept. 15, 2023",), E, ""),
    ("EUROPOL Operational Task Force Serbia Hungary", "001", ("EUROPOL Operational Task Force",), E, ""),
    ("anti-smuggling programme EUR 30 million", "001", ("anti-smuggling programme worth EUR 30 million",), E, ""),
    ("Eurodac registration gaps", "001", ("accurate registration in Eurodac",), E, ""),
    ("Dublin transfers roadmap", "001", ("implementation of Dublin transfers",), E, ""),
    ("migration management team Greece", "001", ("migration management team in Greece",), E, ""),
    ("visa suspension mechanism", "001", ("visa suspension mechanism",), E, ""),
    ("IPA III EUR 201.7 million", "001", ("201.7 million",), E, ""),
    ("130 000 irregular border crossings", "001", ("130 000 attempted irregular border crossings",), E, ""),
    ("Johansson gaps visa policy", "000", ("significant gaps when it comes to",), E, ""),
    ("joint summit Albanian capital", "000", ("Albanian capital for the first joint summit",), E, ""),
    ("Pathways Seefar Meta online campaign", "002", ("Pathways EMR",), E, ""),
    ("ICMPD Dutch-funded", "002", ("Dutch-funded",), E, ""),
    ("Frontex Standing Corps officers", "002", ("Standing Corps officers",), E, ""),
    ("Global Alliance against migrant smuggling", "004", ("Global Alliance against migrant smuggling",), E, ""),
    ("hidden compartments vans trailers", "004", ("hidden compartments",), E, ""),
    ("visa-free regimes China Belarus Russia", "004", ("visa-free regimes with some third countries",), E, ""),
    ("Ministerial Forum 28 October 2024", "004", ("Ministerial Forum held on 28 October 2024",), E, ""),
    (
        "Expert Group on Artificial Intelligence Home Affairs",
        "003",
        ("Expert Group on Artificial Intelligence",),
        E,
        "",
    ),
    # hard ones
    ("BiH reception capacity migrants", "004", ("reception capacities",), H, "alias, most words"),
    ("Turkey nationals returned from the Western Balkans", "004", ("Türkiye (47)",), H, "alias"),
    ("Kosovo visa liberalisation", "003", ("visa liberalization policies",), H, "spelling, most words"),
    ("returnees Bosnia voluntary", "004", ("Assisted Voluntary Return",), H, "word form, alias"),
    ("asylum seekers pushed back Croatia police violence", "003", ("accused of illegal pushbacks",), H, "compound"),
    ("smugglers Serbia Hungary fence", "003", ("Hungary decided to build a fence",), H, "word form"),
    ("EU border agents deployed outside its jurisdiction", "000", ("outside its jurisdiction",), H, "natural"),
    ("liberalisation of visas roadmaps", "003", ("Visa Liberalisation Roadmaps",), H, "word form"),
    ("externalization policy Western Balkans", "002", ("externalisation coverage",), H, "spelling"),
    ("smuggler networks Europol", "004", ("According to Europol",), H, "word form"),
    ("surveilance drones migrants", "003", ("drones and biometric surveillance",), H, "misspelling"),
    ("readmiss* committee Serbia", "001", ("Joint Readmission Committee with Serbia",), H, "prefix"),
    ("Frontx~ deployments reinforce border management", "000", ("The Frontex deployments",), H, "fuzzy"),
    (
        "what did the Hungarian Presidency want to discuss about the migratory routes?",
        "004",
        ("Hungarian Presidency is to organise",),
        H,
        "question",
    ),
    ("how many people were returned voluntarily in 2024", "004", ("315 persons were returned",), H, "question"),
    (
        "European Union visa policy alignment partners",
        "001",
        ("visa policy alignment with the EU is crucial",),
        H,
        "alias",
    ),
    (
        "deportation of migrants to Pakistan from BiH",
        "002",
        ("conducting deportations to Turkey and Pakistan",),
        H,
        "alias",
    ),
    # --- real web pages and PDFs
    ("Kentucky governor Bevin Trump endorsement", "sh-04a6711caa", ("Complete and Total Endorsement",), E, ""),
    ("ABC News poll impeachment removal", "sh-04a6711caa", ("A new ABC News poll",), E, ""),
    ("New York Attorney General investigating WeWork", "sh-06e5123e4e", ("(Reuters) — The New York State",), E, ""),
    ("SoftBank WeWork debt equity", "sh-06e5123e4e", ("SoftBank agreed to inject",), E, ""),
    ("Disney+ launch coding glitch demand", "sh-098bb3e96c", ("computer-coding glitch",), E, ""),
    ("pay-TV bundle collapse ESPN streaming", "sh-098bb3e96c", ("pay-TV bundle to collapse",), E, ""),
    ("water vapor Europa Keck Observatory", "sh-14cc2a0ca5", ("W. M. Keck Observatory",), E, ""),
    ("Europa Clipper mission", "sh-14cc2a0ca5", ("Europa Clipper mission",), E, ""),
    ("Titan geological map dunes", "sh-359fee2285", ("first global geological map",), E, ""),
    ("Dragonfly drone Titan 2034", "sh-359fee2285", ("Dragonfly is scheduled",), E, ""),
    ("Emirates Boeing 787 Dreamliner Dubai Air Show", "sh-374ac9a59a", ("Dubai Air Show",), E, ""),
    ("Airbus A380 scrap production", "sh-374ac9a59a", ("scrap its production",), E, ""),
    ("Facebook Like button browsing habits", "rd-aclu", ("browsing habits",), E, ""),
    ("Cambridge Analytica scandal centralized social control", "rd-aclu", ("The Cambridge Analytica scandal",), E, ""),
    ("Yahoo Verizon appraisal rights asset sale", "rd-nytimes-2", ("There will be no appraisal rights",), E, ""),
    ("breakup fee superior offer", "rd-nytimes-2", ("breakup fee",), E, ""),
    ("meth serious problem SD", "sh-156770d676", ("serious problem in SD",), E, ""),
    ("creeping consequential expropriation", "10-3249", ("distinguish between “creeping”",), E, ""),
    ("Estonian Bank Licence case Genin", "10-3249", ("Estonian Bank Licence case",), E, ""),
    ("Ambient Air Quality Directive pollutants", "10-54648", ("Ambient Air Quality Directive (AAQD)",), E, ""),
    ("revised NECD reduction commitments", "10-54648", ("revised NECD",), E, ""),
    ("cross-border river basins Scotland England", "10-1177", ("cross-border river basins",), E, ""),
    ("Delhi gas chamber Kejriwal", "sh-16c30add7e", ("gas chamber",), E, ""),
    # hard ones
    (
        "Russian Syrian defence ministries accuse US forces al-Tanf",
        "sh-1ee91d1fce",
        ("defense ministries accused",),
        H,
        "spelling",
    ),
    ("Prince Andrew interview a great success", "sh-1f765c4878", ("great success",), H, "natural"),
    ("MacBook Pro scissor keyboards", "sh-232a43fb15", ("scissor switch keyboard",), H, "word form"),
    ("neo-banks monetise brokeness", "sh-2f42ef1d3e", ("monetize their brokeness",), H, "spelling"),
    ("WeWork layoffs radical restructuring", "sh-06e5123e4e", ("radical restructuring",), H, "most words"),
    ("Disney subscriber free trial retention", "sh-098bb3e96c", ("weeklong trial",), H, "word form"),
    ("Facebook tracks profiles of non-users", "rd-aclu", ("non-users don't necessarily",), H, "word form"),
    ("indirect expropriation diminution of property value", "10-3249", ("diminution in property value",), H, "natural"),
    ("UK leaving the EU taking back control", "10-1177", ("Taking back control",), H, "word form, alias"),
    ("Boeing 737 Max crash grounded", "sh-374ac9a59a", ("catastrophic crashes",), H, "word form"),
    (
        "what will Yahoo be renamed after the Verizon sale",
        "rd-nytimes-2",
        ("change its name", "renamed"),
        H,
        "question",
    ),
    (
        "NASA confirms water vapour plumes on Europa",
        "sh-14cc2a0ca5",
        ("confirmed traces of water",),
        H,
        "spelling, word form",
    ),
    ("air polution Delhi forecasters emergency", "sh-16c30add7e", ("forecasters warning",), H, "misspelling"),
]


#: held-out queries, written before the ranking changes of the relevance stop (issue 11) and
#: never looked at one by one while making them: only their totals are read, to see whether
#: the changes made for QUERIES hold on queries they were not made for. Same shape as QUERIES.
HELD_OUT: list[tuple[str, str, tuple[str, ...], bool, str]] = [
    ("immunities of Frontex agents North Macedonia", "003", ("immunity granted to agents",), H, "word form"),
    ("Frontex patrol vehicle Bogorodica", "003", ("21 patrol vehicles",), H, "word form"),
    ("Hungarian border fence with Serbia", "003", ("Hungary decided to build a fence",), H, "word form"),
    ("Türkiye visa-free regime", "004", ("visa-free regimes with some third countries",), E, ""),
    ("EU-Turkey statement resumption of returns", "001", ("resumption of returns",), H, "word form"),
    ("Afghan networks Europol", "002", ("Afghan felony networks",), H, "most words"),
    ("AVRR returns since 2016 IOM", "002", ("3,376 returns",), H, "natural"),
    ("lie detecting avatars at the border", "003", ("digital avatars",), H, "word form"),
    ("EU AI Act bans lie detectors", "003", ("banned by the EU's AI Act",), H, "word form"),
    ("NESTOR grant agreement pages blacked out", "003", ("completely blacked out",), E, ""),
    ("Willkomenskultur~ Syrian refugees German government", "003", ("Willkommenskultur",), H, "fuzzy"),
    ("refugee crisis 2015 peak", "003", ("This increase peaked in 2015",), H, "word form"),
    ("Vienna conference February 2016 observers", "003", ("Vienna conference on February 24, 2016",), E, ""),
    ("Sofia summit 2018 Frontex cooperation", "003", ("2018 EU-Balkans Summit",), E, ""),
    ("racialised asylum seekers Achiume", "003", ("racializes this category",), H, "spelling"),
    ("algorithms misidentifying Black women", "003", ("misidentify images",), H, "word form"),
    ("Moldova Frontex agreement entered into force November 2022", "003", ("1 November 2022",), E, ""),
    ("Bulgaria rewarded Schengen border controls", "003", ("Bulgaria has been rewarded",), E, ""),
    ("sanctioning transport operators smuggling", "001", ("transport operators involved",), H, "word form"),
    ("Burundi Tunisia visa requirement Serbia", "001", ("Burundi and Tunisia",), E, ""),
    ("Schinas visa alignment is a must", "000", ("visa alignment is a must",), E, ""),
    ("Russian Chinese influence pro-western alignment", "000", ("Russian and Chinese attempts",), E, ""),
    ("undocumented migrants 130,000 first ten months", "000", ("first 10 months",), H, "natural"),
    ("smuggling routes BiH Slovenia Austria Italy", "004", ("Most reports pertain to smuggling",), H, "alias"),
    ("main nationalities Syrians Turkish Afghans 2024", "004", ("Syrians (32%)",), E, ""),
    ("women returnees percentage IOM", "004", ("highest percentage of women",), H, "word form"),
    ("Frontex return specialists escort training", "001", ("deploying return specialists",), E, ""),
    ("smuggler network shift back Serbia Hungary", "004", ("partially shifting",), H, "word form"),
    ("Idomenni~ Gevgelija transit points", "003", ("Idomeni, on the Greek-Macedonian border",), H, "fuzzy"),
    ("biometr* drones Frontex Balkan Route", "003", ("high-resolution cameras",), H, "prefix"),
    ("deport* Bangladesh negotiation", "002", ("negotiation with Bangladesh",), H, "prefix"),
    (
        "when did the European Parliament approve the migration pact",
        "003",
        ("approved the New Pact on Migration and Asylum on April 10, 2024",),
        H,
        "question",
    ),
    (
        "how many forced returns did the pilot project in Bosnia carry out",
        "004",
        ("53 forced returns",),
        H,
        "question",
    ),
]


#: a second held-out set over the sample corpus, written at the start of the second relevance
#: stop (before its scoring changes) and, like HELD_OUT, only read in totals: the kinds of hard
#: query issue 11 lists (word forms, British/American spellings, aliases, prefixes, fuzzy
#: words, questions and natural queries whose words no single passage holds all of).
HELD_OUT_2: list[tuple[str, str, tuple[str, ...], bool, str]] = [
    ("irregular border crosser men women share", "004", ("91% of illegal border crossers are men",), H, "word form"),
    ("busiest border crossing section Bosnia Croatia", "004", ("the busiest part of that route",), H, "natural"),
    ("visa harmonization Türkiye China Belarus", "004", ("visa harmonisation",), H, "spelling"),
    ("forced return operation diplomatic relations Pakistan", "004", ("strong diplomatic relations",), H, "word form"),
    ("smuggled Turks Syrians Egyptians", "004", ("Among the smuggled nationalities",), H, "word form"),
    ("how many migrants are accommodated in reception centres", "001", ("7 500 migrants currently",), H, "question"),
    ("multipurpose reception center Lipa", "001", ("reception centre at Lipa",), H, "spelling, compound"),
    ("contingency plans winter", "001", ("develop contingency planning",), H, "word form"),
    ("fast-track asylum pilot safe third country", "001", ("fast asylum procedures",), H, "natural"),
    ("Turkey eastern border management funding", "001", ("EUR 220 million action",), H, "alias, word form"),
    ("Albanian flag paraded Pristina celebrations", "000", ("110th anniversary of independence",), H, "word form"),
    ("visa free travel deals backdoor into the EU", "000", ("provide a backdoor to EU entry",), H, "natural"),
    ("Serbia sanction Russia foreign security policy", "000", ("western sanctions against Moscow",), H, "word form"),
    ("countries waiting 17 years as EU candidate", "000", ("official EU candidates for 17 years",), H, "word form"),
    ("transit permit 72 hours personal data", "003", ("transit permits valid for 72 hours",), H, "word form"),
    ("Presevo reception centre Serbian authorities", "003", ("the one in Preševo",), H, "accents, spelling"),
    ("militarisation of borders European fortress guardian", "003", ("militarization of borders",), H, "spelling"),
    ("securitisation wave accession goals", "003", ("new wave of securitization",), H, "spelling"),
    ("Croatia closes border Serbia 11,000 migrants", "003", ("poured into Croatia",), H, "word form"),
    (
        "EU Turkey deal March 2016 Frontex mandate",
        "003",
        ("controversial agreement between the EU and Turkey",),
        H,
        "natural",
    ),
    ("searching asylum seekers phones data extraction", "003", ("electronic devices",), H, "word form"),
    ("pre-screen* Croatia Greece detention", "003", ("Croatia and Greece will become places",), H, "prefix"),
    ("Schengen acquis Croatia verificaton~", "003", ("Member States wishing to join the Schengen",), H, "fuzzy"),
    ("autonomous swarm robots border surveillance", "003", ("operating in swarms",), H, "word form"),
    ("deport* workshops Morocco Algeria", "002", ("Frontex has organized workshops",), H, "prefix"),
    ("multipurpose centres detention entry points", "002", ("multi-purpose centres",), H, "compound"),
    ("what are buffer zones in migration management", "003", ("Buffer zones are geographical areas",), H, "question"),
    ("Tirana Declaration artificial intelligence support", "003", ("Tirana Declaration, adopted",), E, ""),
    ("screening regulation biometric data police databases", "003", ("The Screening Regulation",), E, ""),
    ("IPA budget 14.2 billion border control", "003", ("€14.2 billion is earmarked",), E, ""),
]


#: a third held-out set over the sample corpus (20 queries), written at the start of the
#: proximity work of issue 11 (before the second stage's term-proximity feature) and, like the
#: other held-out sets, read only in totals while that feature was made.
HELD_OUT_3: list[tuple[str, str, tuple[str, ...], bool, str]] = [
    (
        "German government took over asylum claim of Syrians without quota",
        "003",
        ("directly take over asylum claims",),
        H,
        "word form",
    ),
    ("250 million 49 projects high-tech border control", "003", ("49 specific projects",), E, ""),
    ("black people misrecognised by facial recognition", "003", ("frequently misrecognized",), H, "spelling"),
    ("ethics committee aware of human rights risks", "003", ("ethics committee were aware",), H, "word form"),
    (
        "Macedonia let in only Syrians Afghans Iraqis",
        "003",
        ("allowed entry only to migrants from specific",),
        H,
        "word form",
    ),
    (
        "statutory staff executive powers verifying identity",
        "003",
        ("statutory staff has significant powers",),
        H,
        "word form",
    ),
    (
        "automated decision making regularisation of stay",
        "003",
        ("reviewing applications for regularization",),
        H,
        "spelling",
    ),
    ("democratic regression Serbia North Macedonia Schengen", "003", ("signs of democratic regression",), E, ""),
    (
        "AI forecasting early warning migration flows",
        "003",
        ("early warning tools on migration flows",),
        H,
        "word form",
    ),
    ("Frontex operational plan BiH border police August 2025", "002", ("operational plan in August 2025",), H, "alias"),
    ("AMIF funded pilot returns Serbia", "002", ("pilot venture on pressured returns",), E, ""),
    ("Anas Ambri Border Violence Monitoring", "002", ("Anas Ambri",), E, ""),
    ("irregular crossings reduced 80 percent in 2024", "004", ("80% reduction",), H, "word form"),
    (
        "Frontex return operations from a third country to another",
        "004",
        ("from a third country to a third country",),
        H,
        "natural",
    ),
    (
        "violent smugglers attacking law enforcement",
        "004",
        ("violent actions against law enforcement",),
        H,
        "word form",
    ),
    ("root causes irregular migration poverty conflict", "004", ("root causes of irregular migration",), E, ""),
    ("firearm trafficking smugglers violence", "001", ("firearms trafficking",), H, "word form"),
    ("Voluntary Solidarity Mechanism accelerated", "001", ("Voluntary Solidarity Mechanism",), E, ""),
    ("visa free countries exploit loopholes illegal access", "000", ("exploiting the loopholes",), H, "word form"),
    ("wars of the 1990s EU expansion target", "000", ("devastated by the wars",), E, ""),
]


def build(index_dir: Path, backend: str = "whoosh") -> int:
    """Read, tag and index the corpus into ``index_dir`` (with ``backend``'s writer); returns
    the number of documents."""
    from corpus import read_document
    from corpus.models import ReadError
    from indexer.backend import open_writer
    from indexer.ner import EntityTagger
    from indexer.writer import activate

    paths = sorted(SAMPLE.glob("0*.txt")) + [REALDOCS / name for name in REAL_FILES]
    docs = []
    for path in paths:
        try:
            docs.append(read_document(path))
        except (ReadError, OSError) as exc:
            print(f"  skipped {path.name}: {exc}")
    entities = EntityTagger().tag(docs)
    writer = open_writer(index_dir, backend, copy=False)
    for doc, ents in zip(docs, entities, strict=True):
        writer.add_document(doc, ents)
    writer.commit()
    activate(index_dir, writer.generation)
    return len(docs)


def rank_of(results, doc: str, needles: tuple[str, ...]) -> int | None:
    """1-based rank of the first wanted passage among the hits, or None.

    A passage is the wanted one when its text, or the text of a footnote it cites (shown
    with it), holds one of the needles.
    """
    wanted = [n.casefold() for n in needles]
    for i, hit in enumerate(results.hits, 1):
        seen = " ".join([hit.text, *(str(n.get("text", "")) for n in hit.footnotes)]).casefold()
        if hit.doc_id.startswith(doc) and any(n in seen for n in wanted):
            return i
    return None


def evaluate(searcher, relax: bool, queries=QUERIES) -> list[tuple[int | None, float]]:
    """(rank or None, CPU ms of the search) per query (CPU time: the machine may be shared)."""
    from indexer.search import QueryError

    out = []
    for text, doc, needles, _hard, _why in queries:
        began = time.process_time()
        try:
            results = searcher.search(text, pagelen=10, relax=relax)
            spent = time.process_time() - began
            found = rank_of(results, doc, needles)
        except QueryError:
            spent = time.process_time() - began
            found = None
        out.append((found, spent * 1000))
    return out


def figures(rows: list[tuple[int | None, float]], which: list[bool]) -> tuple[float, float, int]:
    """(MRR@10, recall@10, n) over the queries selected by ``which``."""
    chosen = [r for r, keep in zip(rows, which, strict=True) if keep]
    if not chosen:
        return 0.0, 0.0, 0
    mrr = sum(1 / r for r, _ in chosen if r is not None) / len(chosen)
    recall = sum(r is not None for r, _ in chosen) / len(chosen)
    return mrr, recall, len(chosen)


def check_needles(searcher) -> list[str]:
    """Queries whose wanted passage is not in the index (a broken query, not a miss)."""
    bad = []
    reader = searcher._current()[0]
    texts = [
        (f["doc_id"], " ".join([f["text"], *(n["text"] for n in json.loads(f.get("notes") or "[]"))]).casefold())
        for f in reader.all_stored_fields()
    ]
    for text, doc, needles, _hard, _why in QUERIES + HELD_OUT + HELD_OUT_2 + HELD_OUT_3:
        if not any(d.startswith(doc) and n.casefold() in t for d, t in texts for n in needles):
            bad.append(text)
    return bad


def explain(searcher, queries) -> None:
    """For each query whose wanted passage is not first: the passages listed down to it (score,
    kind, words, start of the text), and what the page says about words held."""
    for text, doc, needles, _hard, _why in queries:
        results = searcher.search(text, pagelen=10)
        found = rank_of(results, doc, needles)
        if found == 1:
            continue
        print(f"  {text!r}: rank {found or '-'}; {results.relaxed_message or 'every passage listed has every word'}")
        for i, hit in enumerate(results.hits[: found or 10], 1):
            mark = "*" if i == found else " "
            words = len(hit.text.split())
            print(
                f"   {mark}{i:2d} {hit.score:7.3f} {hit.kind:9s} {hit.doc_id[:14]:14s} {words:4d} words  {hit.text[:70]!r}"
            )


def page_sizes(index_dir: Path) -> None:
    """HTML size of the search page for a few queries over an existing (large) index."""
    from webui.app import create_app

    data = Path(tempfile.mkdtemp(prefix="glossa-bench-page-"))
    try:
        app = create_app({"DATA_DIR": str(data), "INDEX_DIR": str(index_dir), "TESTING": True})
        client = app.test_client()
        for q in ("Frontex", "migration", "border management", "EU"):
            response = client.get("/", query_string={"q": q})
            body = response.get_data()
            api = client.get("/api/search", query_string={"q": q}).get_data()
            print(f"search page q={q!r}: HTML {len(body) / 1024:.0f} KB, API JSON {len(api) / 1024:.0f} KB")
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="keep the built index in DIR and reuse it on later runs")
    parser.add_argument("--verbose", action="store_true", help="print each query's rank")
    parser.add_argument("--held-out-ranks", action="store_true", help="with --verbose, the held-out queries' ranks too")
    parser.add_argument("--page-index", type=Path, help="also measure search page sizes over this index")
    parser.add_argument("--backend", default="whoosh", help="search backend: whoosh (default) or tantivy")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="for each known-item query below rank 1, the passages above the wanted one",
    )
    args = parser.parse_args()
    from indexer.backend import open_searcher

    root = Path(tempfile.mkdtemp(prefix="glossa-bench-relevance-"))
    try:
        index_dir = args.index or root / "index"
        if not (index_dir / "CURRENT").exists():
            began = time.perf_counter()
            n = build(index_dir, args.backend)
            print(f"indexed {n} documents in {time.perf_counter() - began:.0f}s")
        searcher = open_searcher(index_dir, args.backend)
        if args.backend == "whoosh":  # the needles are checked against Whoosh's stored fields
            broken = check_needles(searcher)
            if broken:
                raise SystemExit(f"queries whose wanted passage is not indexed: {broken}")
        print(f"{searcher.passage_count()} passages ({args.backend})")
        evaluate(searcher, True)  # warm caches (the vocabulary of word forms is built once per index)
        sets = (
            ("known-item queries", QUERIES),
            ("held-out queries", HELD_OUT),
            ("held-out queries 2", HELD_OUT_2),
            ("held-out queries 3", HELD_OUT_3),
        )
        for label, queries in sets:
            hard = [q[3] for q in queries]
            sample = [q[1].startswith("00") for q in queries]
            print(f"{len(queries)} {label}, {sum(hard)} hard, {sum(sample)} on the sample corpus")
            natural = evaluate(searcher, True, queries)
            strict = evaluate(searcher, False, queries)
            for name, rows in (("strict AND (before)", strict), ("natural (now)", natural)):
                overall = figures(rows, [True] * len(rows))
                tough = figures(rows, hard)
                easy = figures(rows, [not h for h in hard])
                ms = sorted(t for _, t in rows)
                print(
                    f"  {name:20s} MRR@10 {overall[0]:.3f} recall@10 {overall[1]:.3f} | hard ({tough[2]}): "
                    f"MRR@10 {tough[0]:.3f} recall@10 {tough[1]:.3f} | easy ({easy[2]}): MRR@10 {easy[0]:.3f}"
                    f" | CPU p50 {ms[len(ms) // 2]:.1f} ms, mean {sum(ms) / len(ms):.1f} ms"
                )
                if not all(sample) and any(sample):
                    own = figures(rows, sample)
                    own_hard = figures(rows, [a and b for a, b in zip(sample, hard, strict=True)])
                    print(
                        f"  {'':20s} sample corpus ({own[2]}): MRR@10 {own[0]:.3f} recall@10 {own[1]:.3f}"
                        f" | its hard ({own_hard[2]}): MRR@10 {own_hard[0]:.3f}"
                    )
            if args.verbose and (queries is QUERIES or args.held_out_ranks):
                for (text, _doc, _n, h, why), (rs, _), (rn, _) in zip(queries, strict, natural, strict=True):
                    flag = f"hard: {why}" if h else ""
                    print(f"    strict {rs or '-':>2} natural {rn or '-':>2}  {text}  {flag}")
        if args.explain:
            explain(searcher, QUERIES)
        if args.page_index:
            page_sizes(args.page_index)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
