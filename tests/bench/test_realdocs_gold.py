"""The gold reader of bench/realdocs.py on a segmentation TEI in the shape of the real ones
(lines taken from /work/shared/realdocs/pdf-segmentation, cut down to two pages and a tail)."""

from bench.realdocs_gold import compact, read_gold, similarity, token_f1, words

TEI = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt>
<title level="a">Historisieren und/oder überwinden?</title></titleStmt></fileDesc></teiHeader>
<text xml:lang="de">
<front>Historisieren und/oder überwinden? <lb/></front>
<note place="headnote">Le foucaldien, 1/1 (2015) <lb/></note>
<page>-2 -<lb/></page>
<body>vorwiegend mit Fragen von Sprache, Diskurs und Subjektivität befassten sozial-und kulturwis-<lb/>
senschaftlichen Gegenwartsanalysen geht. 1 Ob in der Tradition Gilles Deleuze' oder Niels Bohrs, <lb/>
gemeinsamer Nenner dieses neuen 'turn to matter' bzw. 'turn to the real' ist die Annahme, dass <lb/></body>
<listBibl>1 Diana Coole u. Samantha Frost: Introducing the New Materialisms, in: dies. (Hg.) <lb/>
New Materialisms, S. 1-46, hier: S. 3. <lb/>
2 <lb/>
Ebd., S. 6, und die dort genannte Literatur zu den Anfängen der <lb/></listBibl>
<note place="footnote">www.example-journal.eu <lb/></note>
<note place="headnote">Le foucaldien, 1/1 (2015) <lb/></note>
<page>-3 -<lb/></page>
<body>die poststrukturalistischen Reflexionen über Sprache an ihre Grenze gekommen seien. <lb/></body>
<listBibl>Debatte um den Neuen Materialismus. <lb/>
(3) Rosi Braidotti: Interview, in: Dolphijn u. van der Tuin, S. 19. <lb/>
4 Vgl. EuGH, Urt. v. 8.9.2016 -C-160/15, ECLI:EU:C:2016:644 = GRUR 2016, 1152 Tz. <lb/>
31 -GS Media/Sanoma. <lb/></listBibl>
<note place="footnote">www.example-journal.eu <lb/></note>
<body>Literatur <lb/></body>
<listBibl>Coole, Diana; Frost, Samantha: New Materialisms. Durham 2010. <lb/></listBibl>
</text></TEI>"""


def test_pages_notes_and_furniture(tmp_path):
    path = tmp_path / "sample.segmentation.tei.xml"
    path.write_text(TEI, encoding="utf-8")
    gold = read_gold(path)
    assert gold.name == "sample"
    assert gold.title == "Historisieren und/oder überwinden?"
    assert len(gold.pages) == 3
    assert [n.number for n in gold.notes] == ["1", "2", "3", "4"]
    assert [n.page for n in gold.notes] == [0, 0, 1, 1]
    # a number alone on its line starts the note; the note continues on the next page
    assert gold.notes[1].text.startswith("Ebd., S. 6")
    assert gold.notes[1].lines[-1] == "Debatte um den Neuen Materialismus."
    # "31 -GS Media" does not continue the sequence: it is a line of note 4
    assert gold.notes[3].lines[-1] == "31 -GS Media/Sanoma."
    # the repeated footer is page furniture, the reference list after a finished note no note
    assert not any("example-journal" in line for line in gold.note_lines)
    assert gold.orphans == ["Coole, Diana; Frost, Samantha: New Materialisms. Durham 2010."]
    assert gold.pages[1].body == ["die poststrukturalistischen Reflexionen über Sprache an ihre Grenze gekommen seien."]


def test_normalisation():
    assert words("kulturwis-\nsenschaftlichen Ge- genwart, 1 Ob") == [
        "kulturwissenschaftlichen",
        "gegenwart",
        "1",
        "ob",
    ]
    assert compact("geht. 1 Ob in der") == "gehtobinder"
    assert similarity("Ebd., S. 6.", "Ebd. S. 6") == 1.0
    assert similarity("Ebd., S. 6.", "Coole and Frost") == 0.0
    assert token_f1("a b c", "a b d")[2] == 2 / 3
