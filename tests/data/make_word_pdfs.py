"""Word-style manuscripts for the footnote tests, typeset by LibreOffice Writer (real ``text:note`` footnotes).

    python tests/data/make_word_pdfs.py   # writes word-*.fodt and word-*.pdf here (needs soffice)

A manuscript as people send it: notes in the body's type size (12 pt, no smaller type to tell them
from the body), under Writer's short rule (``word-bodysize-notes``), or under no rule at all with the
body double-spaced (``word-double-spaced``). The body's note marks run to two digits; some notes run
over two lines. The texts are written for these files.
"""

from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_pdfs import HEAD, TAIL, paragraph_xml, soffice  # noqa: E402

NOTES = {
    "1": "Jane Hollis, The Common Fields of England (Oxford: Clarendon Press, 1998), 41.",
    "2": "Ibid., 44.",
    "3": "M. Rossi, Le terre comuni e il diritto, Bologna: il Mulino 2004, p. 17.",
    "4": "Peter Albrecht: Allmende und Gemeinschaft, Frankfurt/M: Campus 2011, S. 203.",
    "5": "Hollis, supra note 1, at 52.",
    "6": "On the enclosure commissioners and their surveys see the county returns kept at the record "
    "office, which list every allotment with its size and the name of the person who received it.",
    "7": "Clara Dunmore, 'Grazing Rights and the Village Court', Journal of Rural History 12 (2006), 88-104.",
    "8": "T. Becker and S. Lindqvist, Commons in Northern Europe, Uppsala: Almqvist 2015, p. 9.",
    "9": "Ibid., p. 12.",
    "10": "Robert Vance, The Parish and the Manor (London: Longman, 1979), 133.",
    "11": "Dunmore, supra note 7, at 95; Vance, supra note 10, at 140.",
    "12": "A. Novak, Obecní pastviny v Čechách, Praha: Academia 2009, s. 56.",
    "13": "The surveys were not kept after 1850 in most counties; where they were, they stop at the parish boundary.",
    "14": "Elena Marsh, Fences and Feelings (Cambridge: Polity, 2019), 7.",
}

PARAGRAPHS = [
    "The common fields of the English village were never a single institution. They were a set of "
    "rights held by different people over the same land, exercised at different times of the year, "
    "and enforced by a court that met in the manor house or in the church porch.<sup>1</sup> Each "
    "right had its season and its measure, and the measure was argued over every year.<sup>2</sup>",
    "Historians of the Italian countryside have described a similar order, in which the village "
    "assembly decided each spring how many animals a household could send to the upland pastures "
    "and punished those who sent more.<sup>3</sup> The German literature speaks of the Allmende as "
    "a shared resource that bound the members of a community to one another through duties as much "
    "as through rights.<sup>4</sup> In all three cases the rules were local and written down late, "
    "often only when they were challenged.",
    "The English case is the best documented because enclosure produced a paper trail.<sup>5</sup> "
    "When a parish was enclosed, commissioners surveyed every strip and every right of common and "
    "awarded each claimant a compact parcel in exchange.<sup>6</sup> The awards survive in county "
    "archives and allow a reconstruction of who held what before the change, and of who lost most "
    "when the open fields were divided and fenced.",
    "Grazing was the right most often disputed. The village court fixed the stint, the number of "
    "beasts each holding could put on the common, and fined those who overstocked.<sup>7</sup> "
    "Scandinavian villages used a comparable system of shares, measured in cows rather than in "
    "acres, which survived into the twentieth century in some valleys.<sup>8</sup> The share could "
    "be sold or let, so that a landless cottager might still keep a cow.<sup>9</sup>",
    "The parish was the unit in which these rights were recorded and the manor the unit in which "
    "they were enforced, and the two rarely coincided.<sup>10</sup> Disputes between neighbouring "
    "manors over a shared waste could last for generations, and the court rolls record the same "
    "complaints decade after decade.<sup>11</sup> Central European villages show the same pattern "
    "of long quarrels over boundaries that nobody had ever drawn on a map.<sup>12</sup>",
    "What remains of these arrangements today is mostly a matter of names: the Common, the Green, "
    "the Cow Pasture. The surveys that recorded the rights were not kept up,<sup>13</sup> and the "
    "memory of how the land was used faded within two generations of enclosure. Recent work has "
    "asked what people felt about the change rather than what they lost in acres and "
    "animals.<sup>14</sup> That question is harder to answer from the records, but it is the one "
    "that matters most for understanding why enclosure was resisted where it was.",
]


def manuscript(double: bool, rule: bool) -> str:
    head = HEAD.replace('fo:font-size="11pt"', 'fo:font-size="12pt"')
    head = head.replace(
        '<style:text-properties fo:font-size="9pt"/>\n </style:style>\n <style:style style:name="Header"',
        '<style:text-properties fo:font-size="12pt"/>\n </style:style>\n <style:style style:name="Header"',
    )  # the notes in the body's size, as Word manuscripts set them
    if double:
        head = head.replace(
            '<style:paragraph-properties fo:margin-bottom="0.2cm" fo:text-align="justify"/>',
            '<style:paragraph-properties fo:margin-bottom="0cm" fo:text-indent="1.25cm" fo:line-height="200%" fo:text-align="justify"/>',
        )
    if not rule:
        head = head.replace('style:width="0.018cm"', 'style:width="0cm"').replace(
            'style:rel-width="25%"', 'style:rel-width="0%" style:line-style="none"'
        )
    assert head.count('fo:font-size="12pt"') == 2
    title = "The Common Fields and Their Rules"
    body = [f'<text:p text:style-name="Title">{escape(title)}</text:p>']
    body += [paragraph_xml(p, NOTES) for p in PARAGRAPHS]
    meta = f"<dc:title>{escape(title)}</dc:title>"
    return head.format(meta=meta, header="Manuscript submitted for review") + "\n".join(body) + "\n" + TAIL


def main() -> None:
    names = []
    for name, double, rule in (("word-bodysize-notes", False, True), ("word-double-spaced", True, False)):
        (HERE / f"{name}.fodt").write_text(manuscript(double, rule), encoding="utf-8")
        names.append(str(HERE / f"{name}.fodt"))
    soffice(["pdf", *names], HERE)


if __name__ == "__main__":
    main()
