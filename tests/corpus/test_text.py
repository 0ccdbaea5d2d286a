"""The plain-text reader on small inline inputs."""

from __future__ import annotations

from corpus.text import parse_text

WRAPPED = (
    "Annual Report on Borders  \n\n"
    "Between January and November 2022, almost 130 000 attempted irregular crossings \n"
    "have been reported by Frontex at the external borders on all Western Balkan \n"
    "routes, three times higher than in 2021, and the manage- \n"
    "ment of the routes changed. \n\n"
    "I. Strengthen border management \n\n"
    "To achieve further results it is necessary to: \n\n"
    "1. Strengthen Frontex joint operations and deployments along the EU external \n\n"
    "borders with Western Balkan partners, based on the existing Frontex Status \n\n"
    "Agreements. In parallel launch and swiftly conclude the negotiations on Frontex \n"
    "\n \n\n \n\n\f"
    "Status Agreements with Albania, Montenegro and Serbia in line with the law. \n\n"
    "2. Ensure the effective implementation of the programme in Kosovo*.The next \n"
    "package will be rolled out in 2023. \n\n"
    "12\n\n"
    "* This designation is without prejudice to positions on status, and is in line with \n\n"
    "and the ICJ Opinion on the Kosovo declaration of independence. \n"
)


def test_wrapped_pdf_text():
    parsed = parse_text(WRAPPED)
    got = [(b.kind, b.level, b.text, b.page) for b in parsed.blocks]
    assert got[0] == ("heading", 1, "Annual Report on Borders", 1)
    assert got[1][2].endswith("three times higher than in 2021, and the management of the routes changed.")
    assert got[2][:3] == ("heading", 2, "I. Strengthen border management")
    assert got[3][:3] == ("paragraph", 0, "To achieve further results it is necessary to:")
    assert got[4][0] == "item" and got[4][2].startswith("1. Strengthen Frontex")
    assert "negotiations on Frontex Status Agreements with Albania" in got[4][2]
    assert got[5][0] == "item" and got[5][2] == (
        "2. Ensure the effective implementation of the programme in Kosovo.The next package will be rolled out in 2023."
    )
    assert got[5][3] == 2 and parsed.pages == 2
    assert len(got) == 6  # the page number "12" and the note are not passages
    assert parsed.title == "Annual Report on Borders"
    note = parsed.footnotes[0]
    assert note.number == "*" and note.page == 2
    assert note.text == (
        "This designation is without prejudice to positions on status, and is in line with "
        "and the ICJ Opinion on the Kosovo declaration of independence."
    )
    assert parsed.blocks[5].marks == [(len("2. Ensure the effective implementation of the programme in Kosovo"), "*")]


def test_unwrapped_text_keeps_paragraphs_and_caption():
    para = "The EU plans to deploy its border agents in the western Balkans, said officials on Monday in Brussels"
    source = (
        f"{para} with no final stop\n\n"
        "A flag is paraded in Pristina © Armend Nimani/AFP/Getty Images\n\n\n\n"
        "“For us, visa alignment is a must,” said Margaritis Schinas.\n"
    )
    parsed = parse_text(source)
    assert [b.kind for b in parsed.blocks] == ["paragraph", "caption", "paragraph"]
    assert parsed.pages is None and parsed.blocks[0].page is None
    assert parsed.title.startswith("The EU plans to deploy")


def test_lowercase_continuation_is_joined_even_when_unwrapped():
    parsed = parse_text("The report, offered at the roundtable in June, describes\n\nan escalation of measures.\n")
    assert [b.text for b in parsed.blocks] == [
        "The report, offered at the roundtable in June, describes an escalation of measures."
    ]


def test_web_boilerplate_removed():
    body = "Real content sentence about Frontex deployments in the region. " * 5
    source = (
        "Headline About Borders\n\nTry our newest merchandise\n\n"
        + body
        + "\n\nSubheading Here\n\n"
        + body
        + "\n\n\n\nWe will be happy to hear your thoughts\n\nLeave a reply\n\nBest Deals for all new\nLogo\n"
        "Compare items\n  • Total (0)\nCompare\n0\nShopping cart"
    )
    parsed = parse_text(source)
    texts = [b.text for b in parsed.blocks]
    assert texts[0] == "Headline About Borders" and texts[2] == "Subheading Here"
    assert len(texts) == 4
    assert all("merchandise" not in t and "reply" not in t and "cart" not in t for t in texts)


def test_toc_and_bullets():
    source = (
        "Contents\n\nIntroduction ........ 2\nMethods ........ 5\n\nIntroduction\n\n"
        "The study starts here and explains what follows.\n\n• first point\n• second point\n"
    )
    parsed = parse_text(source)
    assert [(b.kind, b.text) for b in parsed.blocks] == [
        ("heading", "Introduction"),
        ("paragraph", "The study starts here and explains what follows."),
        ("item", "first point"),
        ("item", "second point"),
    ]
    assert parsed.metadata["toc"][1] == {"title": "Methods", "page": 5}


def test_running_headers_and_page_numbers_removed():
    pages = []
    for n in range(1, 5):
        pages.append(
            f"EU Action Plan – December 2022\n\nSection {n} starts with a full sentence about borders.\n"
            f"It continues on a wrapped line about the routes and the partners in the\nregion.\n{n}\n"
        )
    parsed = parse_text("\f".join(pages))
    texts = [b.text for b in parsed.blocks]
    assert parsed.pages == 4
    assert not any("EU Action Plan" in t for t in texts)
    assert texts[0] == (
        "Section 1 starts with a full sentence about borders. It continues on a wrapped line "
        "about the routes and the partners in the region."
    )
    assert [b.page for b in parsed.blocks] == [1, 2, 3, 4]


def test_dash_inside_wrapped_paragraph_is_not_a_list():
    source = (
        "This created tensions among the Balkan countries, all of them\n"
        "– afraid of becoming the backyard of Europe – and led to a conflict.\n\n"
        "Measures follow:\n- first measure\n- second measure\n"
    )
    parsed = parse_text(source)
    assert [(b.kind, b.text) for b in parsed.blocks] == [
        (
            "paragraph",
            "This created tensions among the Balkan countries, all of them – afraid of becoming the "
            "backyard of Europe – and led to a conflict.",
        ),
        ("paragraph", "Measures follow:"),
        ("item", "first measure"),
        ("item", "second measure"),
    ]
