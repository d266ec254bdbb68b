"""Stage 1: parsing documents into numbered paragraphs (rag/ingest.py)."""

from __future__ import annotations

import hashlib
import logging
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.errors import CorpusError
from rag.ingest import corpus_sha256, load_corpus, own_name, parse_text, read_text

# --------------------------------------------------------------------------- good input, table-driven

# (filename, text, [(number, text, section)], title or None = not checked, header or None = not checked)
PARSE_CASES = [
    pytest.param(
        "d.txt", "1.We met.\n2.We agreed.\n",
        [(1, "We met.", None), (2, "We agreed.", None)], None, (),
        id="number-then-text-without-space",
    ),
    pytest.param(
        "d.txt", " 4.We met.\n   5. We agreed.\n\t6.We left.\n",
        [(4, "We met.", None), (5, "We agreed.", None), (6, "We left.", None)], None, None,
        id="leading-spaces-before-number",
    ),
    pytest.param(
        "d.txt", "1. We met in\nBeijing on a\n   cold day.\n2. We agreed\non things.\n",
        [(1, "We met in Beijing on a cold day.", None), (2, "We agreed on things.", None)], None, None,
        id="paragraph-wrapped-over-lines",
    ),
    pytest.param(
        "d.txt", "1. We met.\n\n\nWe also ate.\n\n2. We agreed.\n",
        [(1, "We met. We also ate.", None), (2, "We agreed.", None)], None, None,
        id="blank-lines-inside-paragraph",
    ),
    pytest.param(
        "d.txt", "Title\n2017.\n\n1.\nWe met.\n2.\n\nWe agreed\non things.\n3. We left.\n",
        [(1, "We met.", None), (2, "We agreed on things.", None), (3, "We left.", None)], None, ("Title", "2017."),
        id="number-alone-on-its-line",
    ),
    pytest.param(
        "d.md", "# T\n\n3. Text.\n4. Residents should:\n   1. report the leak;\n   2. call us.\n5. Done.\n",
        [(3, "Text.", None), (4, "Residents should: 1. report the leak; 2. call us.", None), (5, "Done.", None)],
        "T", (), id="an-indented-list-inside-a-paragraph",
    ),
    pytest.param(
        "d.md", "# T\n\n1. Steps:\n```\n1. step one\n2. step two\n```\n2. After.\n",
        [(1, "Steps: ``` 1. step one 2. step two ```", None), (2, "After.", None)], "T", (),
        id="numbered-lines-in-a-code-block",
    ),
    pytest.param(
        "d.txt", "T\n\n1. The parts:\nA. Staff;\nB. Travel;\nC. Equipment\nD. Other.\n2. Next.\n",
        [(1, "The parts: A. Staff; B. Travel; C. Equipment D. Other.", None), (2, "Next.", None)], None, ("T",),
        id="letter-c-in-a-list-is-no-section-100",
    ),
    pytest.param(
        "d.txt", "T\n\nI. Purpose\n1. A.\nII. Scope\n2. B.\nIII. End\n3. C.\n",
        [(1, "A.", "I. Purpose"), (2, "B.", "II. Scope"), (3, "C.", "III. End")], None, ("T",),
        id="roman-sections-in-sequence",
    ),
    pytest.param(
        "d.txt", "Title\n3. December 2017\n\n1. We met.\n2. We left.\n",
        [(1, "We met.", None), (2, "We left.", None)], None, ("Title", "3. December 2017"),
        id="a-date-in-the-header",
    ),
    pytest.param(
        "d.txt", "Title\n2017. was a good year\n\n1. We met.\n2017. was a good year, too.\n2. We left.\n",
        [(1, "We met. 2017. was a good year, too.", None), (2, "We left.", None)], None,
        ("Title", "2017. was a good year"), id="a-year-opening-a-line",
    ),
    pytest.param(
        "d.txt", "1. We met in\n5.\nplaces.\n",
        [(1, "We met in 5. places.", None)], None, None,
        id="a-number-alone-out-of-sequence-is-text",
    ),
    pytest.param(
        "d.txt", "2017-12-04 16:41:27\n\n\nBeijing Initiative\n\n\n3 December 2017\n\n1.We met.\n",
        [(1, "We met.", None)], "Beijing Initiative", ("2017-12-04 16:41:27", "Beijing Initiative", "3 December 2017"),
        id="blank-lines-inside-header",
    ),
    pytest.param(
        "charter.txt",
        "City Charter\n\nI. Purpose\n\n1. We set goals.\n\nII. Commitments\n\n2. We supply water.\n3. We test it.\n",
        [(1, "We set goals.", "I. Purpose"), (2, "We supply water.", "II. Commitments"),
         (3, "We test it.", "II. Commitments")],
        "City Charter", ("City Charter",),
        id="plain-text-section-headings",
    ),
    pytest.param(  # headings with no mark, each alone between blank lines, are sections, not the last one's text
        "policy.txt",
        "Visiting Policy\n\nPurpose and scope\n\n1. This policy explains visits.\n\n2. Families matter.\n\n"
        "Visiting hours on adult wards\n\n3. Hours are 11 to 8.\n\nParking\n\n4. Parking is free.\n",
        [(1, "This policy explains visits.", "Purpose and scope"), (2, "Families matter.", "Purpose and scope"),
         (3, "Hours are 11 to 8.", "Visiting hours on adult wards"), (4, "Parking is free.", "Parking")],
        "Visiting Policy", ("Visiting Policy",),
        id="plain-headings-with-no-mark-between-paragraphs",
    ),
    pytest.param(  # a number a word is hyphened to ("Under-16s", "COVID-19") is no caption's: still a heading
        "terms.txt", "Membership Terms\n\nFees\n\n1. Fees are due monthly.\n\nUnder-16s, behaviour and cards\n\n"
        "2. Children under 11 are supervised.\n\nCOVID-19 measures\n\n3. Wash your hands.\n",
        [(1, "Fees are due monthly.", "Fees"), (2, "Children under 11 are supervised.", "Under-16s, behaviour and cards"),
         (3, "Wash your hands.", "COVID-19 measures")],
        "Membership Terms", ("Membership Terms",),
        id="plain-headings-with-a-hyphened-number",
    ),
    pytest.param(  # the same right over their paragraphs, with no blank line between
        "policy.txt", "Visiting Policy\n\nPurpose\n1. This policy explains visits.\n\nParking\n2. Parking is free.\n",
        [(1, "This policy explains visits.", "Purpose"), (2, "Parking is free.", "Parking")],
        "Visiting Policy", ("Visiting Policy",),
        id="plain-headings-with-no-mark-right-over-their-paragraphs",
    ),
    pytest.param(  # with no such heading between the paragraphs, the line over the first stays the header's
        "d.txt", "Visiting Policy\n\nPurpose and scope\n\n1. We met.\n\n2. We agreed.\n",
        [(1, "We met.", None), (2, "We agreed.", None)], None, ("Visiting Policy", "Purpose and scope"),
        id="a-line-over-the-first-paragraph-alone-is-header",
    ),
    pytest.param(  # no such line over the first paragraph (the title is no heading): short lines are the text's
        "minutes.txt", "Minutes\n\n1. The accounts were presented.\n\nCarried\n\n2. The budget was discussed.\n\n"
        "Thank you\n\n3. The meeting closed.\n",
        [(1, "The accounts were presented. Carried", None), (2, "The budget was discussed. Thank you", None),
         (3, "The meeting closed.", None)], "Minutes", ("Minutes",),
        id="short-lines-without-a-heading-over-the-first-paragraph-are-text",
    ),
    pytest.param(  # a caption, a contact line, a salutation are no headings, even among headings
        "policy.txt", "Policy\n\nDear Parents\n\n1. We write about visits.\n\nTable 1 Hours\n\n2. Hours vary.\n\n"
        "Email: info@example.org\n\n3. Write to us.\n",
        [(1, "We write about visits. Table 1 Hours", None), (2, "Hours vary. Email: info@example.org", None),
         (3, "Write to us.", None)], "Policy", ("Policy", "Dear Parents"),
        id="captions-contacts-and-salutations-are-no-unmarked-headings",
    ),
    pytest.param(  # not alone, not after a finished sentence, in lower case, a list item, or not over the next
        "d.txt", "1. We met.\nLater on\n\n2. We agreed:\n\nCars and vans\n\n3. We ate.\n\nand more\n\n"
        "4. We left.\n\nSigned by the Chair\n",
        [(1, "We met. Later on", None), (2, "We agreed: Cars and vans", None), (3, "We ate. and more", None),
         (4, "We left. Signed by the Chair", None)], None, None,
        id="short-lines-that-are-no-unmarked-headings",
    ),
    pytest.param(
        "charter.txt",
        "1. We set goals.\nII. Commitments\n2. We supply water.\n",
        [(1, "We set goals.", None), (2, "We supply water.", "II. Commitments")], None, None,
        id="plain-heading-right-after-a-sentence",
    ),
    pytest.param(
        "charter.md",
        "# Riverside Water Charter\nAdopted 2024\n\n## I. Purpose\n\n1. We set goals.\n\n"
        "## II. Commitments\n\n2. We supply water.\n\n### III. Review ###\n\n3. We review it.\n",
        [(1, "We set goals.", "I. Purpose"), (2, "We supply water.", "II. Commitments"),
         (3, "We review it.", "III. Review")],
        "Riverside Water Charter", ("Adopted 2024",),
        id="markdown-title-and-section-headings",
    ),
    pytest.param(
        "notes.md", "Some intro line\n\n1. First.\n2. Second.\n",
        [(1, "First.", None), (2, "Second.", None)], "Some intro line", ("Some intro line",),
        id="markdown-without-title-uses-header",
    ),
    pytest.param(
        "plain_doc.txt", "1. Only.\n",
        [(1, "Only.", None)], "plain doc", (),
        id="no-header-title-from-file-name",
    ),
    pytest.param(
        "d.txt", "Report\n\n5. Five.\n6. Six.\n7. Seven.\n",
        [(5, "Five.", None), (6, "Six.", None), (7, "Seven.", None)], "Report", None,
        id="numbers-kept-as-given-starting-at-5",
    ),
    pytest.param(
        "d.txt", "1. We agree.\nPart 2 of the deal is void.\n2. Next point.\n",
        [(1, "We agree. Part 2 of the deal is void.", None), (2, "Next point.", None)], None, None,
        id="part-n-sentence-stays-paragraph-text",
    ),
    pytest.param(
        "d.txt", "1. We agree that\nPart 2 of the deal\nis void.\n2. Next point.\n",
        [(1, "We agree that Part 2 of the deal is void.", None), (2, "Next point.", None)], None, None,
        id="wrapped-line-looking-like-heading-stays-paragraph-text",
    ),
    pytest.param(
        "d.txt", "1. Growth reached\n3.5 percent last year.\n2. Next point.\n",
        [(1, "Growth reached 3.5 percent last year.", None), (2, "Next point.", None)], None, None,
        id="wrapped-line-starting-with-a-decimal",
    ),
    pytest.param(
        "d.txt", "1. The talks ran until December\n2017. They ended well.\n2. Next point.\n",
        [(1, "The talks ran until December 2017. They ended well.", None), (2, "Next point.", None)], None, None,
        id="wrapped-line-starting-with-a-year",
    ),
    pytest.param(
        "d.txt", "1. Water for all\n5. Food for all\n",
        [(1, "Water for all", None), (5, "Food for all", None)], None, None,
        id="small-gap-after-unpunctuated-paragraph-is-a-paragraph",
    ),
    pytest.param(
        "d.txt", "1. We agree on water;\nII. Commitments\n2. We supply it.\n",
        [(1, "We agree on water;", None), (2, "We supply it.", "II. Commitments")], None, None,
        id="heading-after-a-clause-ending-semicolon",
    ),
    pytest.param(
        "d.txt", "04.12.2017 Beijing\n\n1. We met.\n",
        [(1, "We met.", None)], "04.12.2017 Beijing", ("04.12.2017 Beijing",),
        id="dotted-date-in-header-is-not-a-paragraph",
    ),
    pytest.param(
        "d.txt", "1. We met.\r\n2. We agreed\r\non things.\r\n",
        [(1, "We met.", None), (2, "We agreed on things.", None)], None, None,
        id="windows-line-endings",
    ),
    pytest.param(
        "d.md", "**1.** We met.\n**2.** We agreed.\n",
        [(1, "We met.", None), (2, "We agreed.", None)], None, None,
        id="bold-markdown-numbers",
    ),
    pytest.param(
        "d.txt", "1) We met.\n2．我们同意。\n",
        [(1, "We met.", None), (2, "我们同意。", None)], None, None,
        id="parenthesis-and-full-width-stop",
    ),
    pytest.param(
        "d.txt", "Charter\n\n(1) We met in\nParis.\n(2) We agreed:\n1. on peace;\n2. on trade.\n(3) We left:\n"
        "1. in spring.\n",
        [(1, "We met in Paris.", None), (2, "We agreed: 1. on peace; 2. on trade.", None),
         (3, "We left: 1. in spring.", None)], "Charter", None,
        id="numbers-in-parentheses-with-numbered-lists-inside",
    ),
    pytest.param(
        "d.txt", "Data Act\n\n§ 1 Scope. It applies to all.\n§ 2 Records to keep:\n1. invoices;\n2. contracts;\n"
        "3. files;\n4. emails.\n§ 3 The officer reviews them.\n",
        [(1, "Scope. It applies to all.", None), (2, "Records to keep: 1. invoices; 2. contracts; 3. files; 4. emails.",
          None), (3, "The officer reviews them.", None)], "Data Act", None,
        id="a-numbered-list-inside-a-section-is-its-text",
    ),
    pytest.param(
        "d.txt", "Report, paragraph 12\n\n12. The committee recommends that the city:\n(1) publish data monthly;\n"
        "(2) replace lead pipes by 2030.\n",
        [(12, "The committee recommends that the city: (1) publish data monthly; (2) replace lead pipes by 2030.",
          None)], None, None,
        id="an-excerpt-numbered-the-usual-way-keeps-its-list",
    ),
    pytest.param(
        "d.txt", "Resolution\n\nRecitals\n(1) A.\n(2) B.\n(3) C.\n(4) D.\n\nThe Board resolves:\n\n1. Tariffs rise.\n"
        "2. Pensioners are exempt.\n3. Review in 2026.\n",
        [(1, "Tariffs rise.", None), (2, "Pensioners are exempt.", None), (3, "Review in 2026.", None)], None, None,
        id="recitals-before-operative-paragraphs-stay-header",
    ),
    pytest.param(
        "d.txt", "Tax Act\n\n§ 1 Scope. This Act applies to all.\n§ 2 Rates apply, except as provided in\n§ 1 of the "
        "Tax Code.\n§ 2a Inserted later.\n§ 3 Fees are due.\n",
        [(1, "Scope. This Act applies to all.", None),
         (2, "Rates apply, except as provided in § 1 of the Tax Code. § 2a Inserted later.", None),
         (3, "Fees are due.", None)], "Tax Act", None,
        id="section-signs-with-a-wrapped-reference-and-an-inserted-section",
    ),
    pytest.param(
        "d.txt", "Civil Code (excerpt)\n\n§ 535 Contents of the lease.\n§ 536 Reduction of rent.\n",
        [(535, "Contents of the lease.", None), (536, "Reduction of rent.", None)], None, None,
        id="an-excerpt-of-a-statute",
    ),
    pytest.param(
        "d.md", "# Charter\n\n## Article 1 – Purpose\n\nThe club exists to row.\n\n## Article 2 – Members\n\n"
        "1. Anyone may join.\n2. Members pay dues.\n\n## Article 3 – Meetings\n\n1. Once a year.\n",
        [(1, "Purpose: The club exists to row.", None), (2, "Members: 1. Anyone may join. 2. Members pay dues.", None),
         (3, "Meetings: 1. Once a year.", None)], "Charter", None,
        id="markdown-article-headings-with-numbered-paragraphs-inside",
    ),
    pytest.param(
        "d.txt", "REGULATION\n\nWhereas:\n(1) Protection is a right.\n(2) Rules should be clear.\n(3) Trade needs data.\n"
        "(4) Data should serve people.\n\nHAVE ADOPTED THIS REGULATION:\n\nArticle 1\nSubject-matter\n1. This lays down "
        "rules.\n2. It protects rights.\n\nArticle 2\nScope\n1. It applies to data.\n",
        [(1, "Subject-matter 1. This lays down rules. 2. It protects rights.", None),
         (2, "Scope 1. It applies to data.", None)], None, None,
        id="numbered-recitals-then-articles-are-numbered-by-article",
    ),
    pytest.param(
        "d.md", "# Rules\n\n## I. General\n\n§ 1 Scope. These rules apply.\n\n§2. Terms. See § 1.2.\n§ 2.1 is a "
        "subsection.\n\n## II. Fees\n\n§ 3 Fees are due.\n",
        [(1, "Scope. These rules apply.", "I. General"), (2, "Terms. See § 1.2. § 2.1 is a subsection.", "I. General"),
         (3, "Fees are due.", "II. Fees")], "Rules", None,
        id="section-signs-and-a-subsection-that-is-text",
    ),
    pytest.param(
        "d.txt", "1. We agreed:\n(1) on peace;\n(2) on trade;\n(3) on aid.\n2. We left:\n(1) early.\n",
        [(1, "We agreed: (1) on peace; (2) on trade; (3) on aid.", None), (2, "We left: (1) early.", None)], None, None,
        id="items-in-parentheses-restarting-under-numbered-paragraphs-are-text",
    ),
    pytest.param(
        "d.txt", "Declaration\n\nArticle 1\nAll are born free.\n\nArticle 2\nEveryone has these rights,\nas "
        "Article 1 says.\n\nARTICLE 3. Everyone has the right to life.\nArt. 4: No one shall be a slave.\n",
        [(1, "All are born free.", None), (2, "Everyone has these rights, as Article 1 says.", None),
         (3, "Everyone has the right to life.", None), (4, "No one shall be a slave.", None)], "Declaration", None,
        id="articles-over-their-text-or-before-it",
    ),
    pytest.param(
        "d.txt", "Constitution of the Club\n\nArticle I\nThe club is called Riverside Chess.\n\nARTICLE II. Anyone over 12"
        " may join.\nArt. III – Dues\nDues are $10 a year.\nArticle IV: See Article II.\n",
        [(1, "The club is called Riverside Chess.", None), (2, "Anyone over 12 may join.", None),
         (3, "Dues: Dues are $10 a year.", None), (4, "See Article II.", None)], "Constitution of the Club", None,
        id="articles-numbered-in-roman-numerals",
    ),
    pytest.param(
        "d.txt", "Terms of Service\n\nSection 1. Acceptance. By using the site you agree.\nSECTION 2 Accounts\nKeep "
        "your password safe.\nSec. 3. Termination. We may close accounts\nas Section 2 allows.\n",
        [(1, "Acceptance. By using the site you agree.", None), (2, "Accounts Keep your password safe.", None),
         (3, "Termination. We may close accounts as Section 2 allows.", None)], "Terms of Service", None,
        id="numbered-sections",
    ),
    pytest.param(
        "d.txt", "Plan\n\nSection 1 Purpose\n1. We aim high.\n2. We act.\nSection 2 Means\n3. Money.\n",
        [(1, "We aim high.", "Section 1 Purpose"), (2, "We act.", "Section 1 Purpose"), (3, "Money.", "Section 2 Means")],
        "Plan", None,
        id="section-headings-over-numbered-paragraphs-stay-headings",
    ),
    pytest.param(
        "d.txt", "BYLAWS\n\nARTICLE I – NAME\nSection 1. The name is X.\nSection 2. The seat is Y.\n\n"
        "ARTICLE II – MEMBERS\nSection 3. Anyone may join.\n",
        [(1, "The name is X.", "ARTICLE I – NAME"), (2, "The seat is Y.", "ARTICLE I – NAME"),
         (3, "Anyone may join.", "ARTICLE II – MEMBERS")], "BYLAWS", None,
        id="article-headings-over-numbered-sections",
    ),
    pytest.param(
        "d.txt", "BYLAWS\n\nARTICLE I – NAME\nSection 1. The name is X.\nSection 2. The seat is Y.\n\n"
        "ARTICLE II – MEMBERS\nSection 1. Anyone may join.\n",
        [(1, "NAME: Section 1. The name is X. Section 2. The seat is Y.", None),
         (2, "MEMBERS: Section 1. Anyone may join.", None)], "BYLAWS", None,
        id="sections-restarting-in-every-article-are-numbered-by-article",
    ),
    pytest.param(
        "d.txt", "Plan\n\nARTICLE I\n1. A word.\n2. A term.\nARTICLE II\n3. All of it.\n",
        [(1, "A word.", "ARTICLE I"), (2, "A term.", "ARTICLE I"), (3, "All of it.", "ARTICLE II")], "Plan", None,
        id="article-headings-over-numbered-paragraphs",
    ),
    # references at the start of a line are not paragraphs (the helper's cases that broke the first version)
    pytest.param(
        "d.txt", "Regulation\n\nArticle 1\nThis Regulation fixes quotas.\n\nArticle 2\nIt applies without "
        "prejudice to\nSection 4 of the Agreement.\n",
        [(1, "This Regulation fixes quotas.", None), (2, "It applies without prejudice to Section 4 of the Agreement.",
                                                      None)], None, None,
        id="a-wrapped-section-reference-in-an-article",
    ),
    pytest.param(
        "d.txt", "BYLAWS\n\nARTICLE 1 – NAME\nThe name is Helping Hands.\n\nARTICLE 2 – DISSOLUTION\nAssets go to "
        "bodies exempt under\nSection 501(c)(3) of the Code.\n",
        [(1, "NAME: The name is Helping Hands.", None),
         (2, "DISSOLUTION: Assets go to bodies exempt under Section 501(c)(3) of the Code.", None)], None, None,
        id="a-section-of-a-code-is-a-reference",
    ),
    pytest.param(
        "d.txt", "Resolution\n\nThe General Assembly,\nRecalling the commitments under\nArticle VI of the Treaty,\n"
        "1. Calls upon all States to comply;\n2. Decides to review progress under\nArticle VIII of the Treaty.\n",
        [(1, "Calls upon all States to comply;", None),
         (2, "Decides to review progress under Article VIII of the Treaty.", None)], None, None,
        id="articles-of-a-treaty-cited-by-a-resolution",
    ),
    pytest.param(
        "d.txt", "Club Rules\n\nArticle I shall be read with the rules below.\n1. Members must be polite.\n"
        "2. Members must pay dues.\nArticle II governs the rest.\n",
        [(1, "Members must be polite.", None), (2, "Members must pay dues. Article II governs the rest.", None)],
        None, None,
        id="an-article-named-in-a-sentence",
    ),
    pytest.param(
        "d.txt", "Guidance\n\n1. This note explains the Regulation.\n2. The key provisions are:\nArticle 5 – "
        "Principles\nArticle 6 – Lawfulness\n3. Controllers must document compliance.\n",
        [(1, "This note explains the Regulation.", None),
         (2, "The key provisions are: Article 5 – Principles Article 6 – Lawfulness", None),
         (3, "Controllers must document compliance.", None)], None, None,
        id="articles-listed-in-a-paragraph",
    ),
    pytest.param(
        "d.txt", "Rules\n\nContents\nArticle 1 – Scope\nArticle 2 – Fees\n\n1. These rules apply.\n2. Fees are due.\n",
        [(1, "These rules apply.", None), (2, "Fees are due.", None)], None,
        ("Rules", "Contents", "Article 1 – Scope", "Article 2 – Fees"),
        id="a-table-of-contents-is-header",
    ),
    pytest.param(
        "d.txt", "Memo\n\n1. The relevant rule is the following.\nArticle 12.\n2. No breach was found.\n",
        [(1, "The relevant rule is the following. Article 12.", None), (2, "No breach was found.", None)], None, None,
        id="an-article-named-alone-after-a-sentence-is-text",
    ),
    pytest.param(
        "d.txt", "LICENSE\n\nARTICLE I - GRANT\n1. Licensor grants a licence.\nARTICLE II - FEES\n2. Licensee pays "
        "$100, as set out in\nArticle III.\n",
        [(1, "Licensor grants a licence.", "ARTICLE I - GRANT"),
         (2, "Licensee pays $100, as set out in Article III.", "ARTICLE II - FEES")], None, None,
        id="a-wrapped-article-reference-under-article-headings",
    ),
    pytest.param(
        "d.txt", "Terms of Service\n\nSection 1. Acceptance. You agree.\nSection 2. Accounts. You must:\n1. be 18;\n"
        "2. tell the truth.\nSection 3. Termination. We may close accounts.\n",
        [(1, "Acceptance. You agree.", None), (2, "Accounts. You must: 1. be 18; 2. tell the truth.", None),
         (3, "Termination. We may close accounts.", None)], "Terms of Service", None,
        id="a-list-inside-a-numbered-section",
    ),
    pytest.param(
        "d.txt", "Agreement\n\n1. The parties agree.\nArticle C\n2. Fees apply.\n",
        [(1, "The parties agree. Article C", None), (2, "Fees apply.", None)], None, None,
        id="a-lettered-article-is-no-roman-numeral",
    ),
    pytest.param(
        "d.txt", "Terms\n\nSec. 1. Scope. These terms apply to all orders placed on the site, by phone or in a shop, "
        "by consumers and by businesses alike.\nSec. 2. Payment. We accept:\n(1) cards;\n(2) vouchers.\nSec. 3. "
        "Delivery. We ship within 5 days.\n",
        [(1, "Scope. These terms apply to all orders placed on the site, by phone or in a shop, by consumers and by "
             "businesses alike.", None), (2, "Payment. We accept: (1) cards; (2) vouchers.", None),
         (3, "Delivery. We ship within 5 days.", None)], "Terms", None,
        id="a-list-in-parentheses-inside-a-section",
    ),
    pytest.param(
        "d.txt", "AMENDING REGULATION\n\nArticle 1\nThe Regulation is amended as follows:\n(1) Article 3 is replaced.\n"
        "(2) Article 5 is deleted.\n\nArticle 2\nThis Regulation enters into force tomorrow.\n",
        [(1, "The Regulation is amended as follows: (1) Article 3 is replaced. (2) Article 5 is deleted.", None),
         (2, "This Regulation enters into force tomorrow.", None)], None, None,
        id="amendments-in-parentheses-inside-an-article",
    ),
    pytest.param(
        "d.txt", "Terms\n\nSec. 1. Scope. These terms apply to all orders placed on the site, by phone or in a shop, "
        "by consumers and by businesses alike.\nSec. 2. Payment. We accept:\n(1) cards;\n(2) vouchers.\n",
        [(1, "Scope. These terms apply to all orders placed on the site, by phone or in a shop, by consumers and by "
             "businesses alike.", None), (2, "Payment. We accept: (1) cards; (2) vouchers.", None)], "Terms", None,
        id="a-list-in-parentheses-inside-the-last-section",
    ),
    pytest.param(
        "d.txt", "Rules\n\nArticle 1.\n\nThe club rows.\n\nArticle 2.\n\nMembers join.\n",
        [(1, "The club rows.", None), (2, "Members join.", None)], "Rules", None,
        id="articles-named-alone-with-a-full-stop",
    ),
    pytest.param(
        "d.txt", "Rules\n\nArticle 1.\nThe club rows\nArticle 2.\nMembers join\n§ 3 is no article here.\n",
        [(1, "The club rows", None), (2, "Members join § 3 is no article here.", None)], "Rules", None,
        id="an-article-named-alone-after-a-line-with-no-full-stop",
    ),
    pytest.param(
        "d.txt", "Act\n\n§ 1.\nScope: all.\n§ 2.\nFees are due.\n",
        [(1, "Scope: all.", None), (2, "Fees are due.", None)], "Act", None,
        id="section-signs-alone-with-a-stop",
    ),
    # Markdown headings that number what follows them, where no "1." paragraph is (or "1." restarts under each)
    pytest.param(
        "d.md", "# Service Terms\n\n## 1. Water\nWe supply water\nto every house.\n\n## 2 – Fees\n"
        "Fees are due monthly.\n\n### 3) Roads\nRoads are kept clear.\n\n## 4.\nThe end.\n",
        [(1, "Water: We supply water to every house.", None), (2, "Fees: Fees are due monthly.", None),
         (3, "Roads: Roads are kept clear.", None), (4, "The end.", None)], "Service Terms", (),
        id="markdown-numbered-headings-over-their-text",
    ),
    pytest.param(
        "d.md", "# Terms\n\n## 1. Scope\n1. Orders.\n2. Returns.\n\n## 2. Fees\n1. Card fees.\n",
        [(1, "Scope: 1. Orders. 2. Returns.", None), (2, "Fees: 1. Card fees.", None)], "Terms", (),
        id="markdown-numbered-headings-over-lists-that-restart",
    ),
    pytest.param(  # where "1." paragraphs run on under them, the numbered headings are their sections
        "d.md", "# Terms\n\n## 1. Scope\n1. Orders.\n2. Returns.\n\n## 2. Fees\n3. Card fees.\n",
        [(1, "Orders.", "1. Scope"), (2, "Returns.", "1. Scope"), (3, "Card fees.", "2. Fees")], "Terms", (),
        id="markdown-numbered-headings-over-paragraphs-that-run-on",
    ),
    pytest.param(  # a year is no number of a heading's: "## 2024 Results" has no stop after it
        "d.md", "# 2024 Report\n\n## 1. Growth\nWe grew.\n\n## 2. Money\nWe earned 2024 dollars.\n",
        [(1, "Growth: We grew.", None), (2, "Money: We earned 2024 dollars.", None)], "2024 Report", (),
        id="markdown-numbered-headings-under-a-title-with-a-year",
    ),
    pytest.param(  # court judgments number their paragraphs "[1]"; the neutral citation's "[2019]" is header
        "d.txt", "IN THE COURT OF APPEAL\nSmith v Jones [2019] EWCA Civ 12\n\n[1] The appellant appeals.\n"
        "[2] The facts are these. The\nrespondent sold a boat.\n\n[3] We allow the appeal.\n",
        [(1, "The appellant appeals.", None), (2, "The facts are these. The respondent sold a boat.", None),
         (3, "We allow the appeal.", None)], "IN THE COURT OF APPEAL",
        ("IN THE COURT OF APPEAL", "Smith v Jones [2019] EWCA Civ 12"),
        id="paragraph-numbers-in-square-brackets",
    ),
    pytest.param(  # footnotes "[1]" after the last "1." paragraph are its text, not the paragraphs
        "d.txt", "Judgment\n\n1. The appellant appeals.\n2. We allow it.\n\n[1] See Smith v Jones.\n",
        [(1, "The appellant appeals.", None), (2, "We allow it. [1] See Smith v Jones.", None)], "Judgment", None,
        id="square-bracket-footnotes-after-the-paragraphs",
    ),
    pytest.param(
        "d.txt", "Terms\n\nSec. 1. Scope applies.\nSec. 2. Payment. We accept:\n[1] cards;\n[2] vouchers.\n",
        [(1, "Scope applies.", None), (2, "Payment. We accept: [1] cards; [2] vouchers.", None)], "Terms", None,
        id="a-list-in-square-brackets-inside-the-last-section",
    ),
    pytest.param(  # court filings: "¶ 1", "¶3."; "¶ 4 of the filing" at the start of a wrapped line is a reference
        "d.txt", "Complaint\n\n¶ 1 Plaintiff lives in Ohio, as stated\nin the filing.\n¶ 2 Defendant is a company.\n"
        "¶3. Venue is proper under\n¶ 4 of the lease.\n",
        [(1, "Plaintiff lives in Ohio, as stated in the filing.", None), (2, "Defendant is a company.", None),
         (3, "Venue is proper under ¶ 4 of the lease.", None)], "Complaint", None,
        id="paragraph-signs",
    ),
    pytest.param(  # "[1]" footnotes after each "(1)" paragraph: the first paragraph is no header, nor a footnote
        "d.txt", "Regulation\n\n(1) Cod stocks are at risk, as scientists have reported for years.[1]\n\n"
        "[1] ICES 2019.\n\n(2) Limit catches.[2]\n\n[2] See Art 5.\n\n(3) Applies from 1 January.\n",
        [(1, "Cod stocks are at risk, as scientists have reported for years.[1] [1] ICES 2019.", None),
         (2, "Limit catches.[2] [2] See Art 5.", None), (3, "Applies from 1 January.", None)], "Regulation", None,
        id="square-bracket-footnotes-after-each-paragraph",
    ),
    pytest.param(  # "(1) (2)" running on under numbered headings are the paragraphs, the headings their sections
        "d.md", "# Code\n\n## 1. Behaviour\n(1) Be kind.\n(2) Be honest.\n\n## 2. Background\n(3) This code "
        "was written after a long consultation with members and staff over six months.\n",
        [(1, "Be kind.", "1. Behaviour"), (2, "Be honest.", "1. Behaviour"),
         (3, "This code was written after a long consultation with members and staff over six months.",
          "2. Background")], "Code", (),
        id="numbered-paragraphs-run-on-under-numbered-headings",
    ),
    pytest.param(  # a heading inside a heading-numbered paragraph is its text, never the next one's section
        "d.md", "# Policy\n\n## **1. Intro**\n\n### 1.1 Purpose\nWe protect data.\n\n### 1.2 Scope\nAll staff.\n\n"
        "## Notes\nSee the annex.\n\n## 2. Review ##\nYearly.\n",
        [(1, "Intro: 1.1 Purpose: We protect data. 1.2 Scope: All staff. Notes: See the annex.", None),
         (2, "Review: Yearly.", None)], "Policy", (),
        id="subheadings-inside-numbered-headings",
    ),
    pytest.param(  # one "1." list under one numbered heading is that heading's text, in the last one too
        "d.md", "# Notes\n\n## 1. Attendees\nAlice, Bob.\n\n## 2. Agenda\n1. Budget\n2. Hiring\n\n"
        "## 3. Decisions\nBudget approved.\n\n## 4. Actions\n1. Alice drafts the ad.\n",
        [(1, "Attendees: Alice, Bob.", None), (2, "Agenda: 1. Budget 2. Hiring", None),
         (3, "Decisions: Budget approved.", None), (4, "Actions: 1. Alice drafts the ad.", None)], "Notes", (),
        id="a-list-under-one-numbered-heading",
    ),
    pytest.param(  # Pandoc numbers headings with no stop; a year or a lower-case word after the number is a title
        "d.md", "# Remote Work\n\n## 1 Introduction\nWho may work from home.\n\n## 2 Eligibility\nStaff past "
        "probation.\n\n### 3 ways to apply\nBy form or by mail.\n\n## 2024 Results\nTen staff applied.\n",
        [(1, "Introduction: Who may work from home.", None),
         (2, "Eligibility: Staff past probation. 3 ways to apply: By form or by mail. 2024 Results: Ten staff applied.",
          None)], "Remote Work", (),
        id="markdown-numbered-headings-with-no-stop",
    ),
    pytest.param(  # two levels of numbered headings: the deeper ones are text of the paragraph they lie in
        "d.md", "# Club Rules\n\n## 1. Membership\n### 1. Who may join\nAdults.\n### 2. Fees\nForty euros.\n\n"
        "## 2. Meetings\n### 1. When\nMondays.\n",
        [(1, "Membership: 1. Who may join: Adults. 2. Fees: Forty euros.", None),
         (2, "Meetings: 1. When: Mondays.", None)], "Club Rules", (),
        id="numbered-subheadings-under-numbered-headings",
    ),
    pytest.param(  # "## Overview" before "## 1. Install" is their sibling: header, not the section of every one
        "d.md", "# mytool\n\nConverts CSV.\n\n## Overview\nIt is fast.\n\n## 1. Install\nRun pip.\n\n"
        "## 2. Usage\nRun it.\n",
        [(1, "Install: Run pip.", None), (2, "Usage: Run it.", None)], "mytool",
        ("Converts CSV.", "Overview", "It is fast."),
        id="an-unnumbered-heading-before-the-numbered-headings",
    ),
    pytest.param(  # "### 1.1 Purpose" after paragraph 1 is its part, not the section of paragraph 2; "## II." is one
        "d.md", "# Policy\n\n1. We protect data.\n\n### 1.1 Purpose\nTo keep it safe.\n\n2. Staff comply.\n\n"
        "## II. Review\n\n3. Yearly.\n",
        [(1, "We protect data. 1.1 Purpose: To keep it safe.", None), (2, "Staff comply.", None),
         (3, "Yearly.", "II. Review")], "Policy", (),
        id="a-numbered-subheading-of-a-paragraph",
    ),
    pytest.param(  # a number with no stop is a heading's number only as deep as a heading numbered 1: a title here
        "d.md", "# 5 Steps to Better Sleep\n\n## 1 Keep a Schedule\nSame time.\n\n## 2 Avoid Screens\nNo phones.\n",
        [(1, "Keep a Schedule: Same time.", None), (2, "Avoid Screens: No phones.", None)],
        "5 Steps to Better Sleep", (),
        id="a-title-that-starts-with-a-number-over-pandoc-headings",
    ),
    pytest.param(
        "d.md", "# 10 Rules for Meetings\n\n## 1. Arrive on time\nPromptly.\n\n## 2. Bring an agenda\nA day before.\n",
        [(1, "Arrive on time: Promptly.", None), (2, "Bring an agenda: A day before.", None)],
        "10 Rules for Meetings", (),
        id="a-title-that-starts-with-a-number-over-numbered-headings",
    ),
    pytest.param(  # accented capitals and Chinese after the number; a tab-indented "# 1 Build" is code
        "d.md", "# Politique\n\n## 1 Objet\nLes règles.\n\n## 2 Éligibilité\nLe personnel.\n\n## 3 总则\nAvec:\n\n"
        "\t# 1 Build\n\tmake all\n",
        [(1, "Objet: Les règles.", None), (2, "Éligibilité: Le personnel.", None),
         (3, "总则: Avec: # 1 Build make all", None)], "Politique", (),
        id="pandoc-headings-in-other-languages-and-code-indented-by-a-tab",
    ),
    pytest.param(  # the notes would let "1." parse; the "[1]" judgment needs none, and its "1. 2." list is a list
        "d.txt", "JUDGMENT\n\n[1] She appeals.\n\n[2] She raises two grounds:\n1. misdirection;\n2. weak evidence.\n\n"
        "[3] Neither succeeds.\n\nNotes\n\n1. R v Smith [2001].\n2. Theft Act 1968.\n",
        [(1, "She appeals.", None), (2, "She raises two grounds: 1. misdirection; 2. weak evidence.", None),
         (3, "Neither succeeds. Notes 1. R v Smith [2001]. 2. Theft Act 1968.", None)], "JUDGMENT", None,
        id="a-numbering-that-needs-no-footnotes-wins",
    ),
    pytest.param(  # recitals "(1) (2)" would parse with the "(1) OJ" notes, the Articles inside the last recital
        "d.txt", "REGULATION 2024/1\n\nWhereas:\n\n(1) The protection of natural persons in the processing of personal "
        "data is a fundamental right, which the Union has long recognised in earlier acts (1).\n\n(2) Rules must be "
        "uniform (2).\n\nHAVE ADOPTED THIS REGULATION:\n\nArticle 1\n1. This lays down rules.\n2. It protects rights.\n\n"
        "Article 2\n1. It applies to processing.\n\nNotes\n(1) OJ L 119.\n(2) OJ C 229.\n",
        [(1, "1. This lays down rules. 2. It protects rights.", None),
         (2, "1. It applies to processing. Notes (1) OJ L 119. (2) OJ C 229.", None)], None, None,
        id="recitals-articles-and-notes",
    ),
    pytest.param(  # headings that all lie under one heading of another numbering are its subheadings
        "d.md", "# Club Rules\n\n## 1. Members\nAnyone may join.\n\n### 1 Who May Join\nResidents of the borough, "
        "students at the college, staff of the council, and anyone two members sponsor.\n\n### 2 How To Join\n"
        "Complete the online form, pay the first year's subscription and attend an induction evening.\n\n"
        "## 2. Fees\nForty a year.\n\n## 3. Meetings\nIn May.\n",
        [(1, "Members: Anyone may join. 1 Who May Join: Residents of the borough, students at the college, staff of the "
             "council, and anyone two members sponsor. 2 How To Join: Complete the online form, pay the first year's "
             "subscription and attend an induction evening.", None),
         (2, "Fees: Forty a year.", None), (3, "Meetings: In May.", None)], "Club Rules", (),
        id="pandoc-subheadings-under-one-numbered-heading",
    ),
    pytest.param(  # "## 2.1 Findings" with no text of its own before paragraph 3 is its section, no part of 2
        "d.md", "# Review\n\n## 1.1 Context\n1. We serve 40,000 people.\n2. Visits fell.\n\n## 2.1 Findings\n"
        "3. Evenings are popular.\n",
        [(1, "We serve 40,000 people.", "1.1 Context"), (2, "Visits fell.", "1.1 Context"),
         (3, "Evenings are popular.", "2.1 Findings")], "Review", (),
        id="decimal-section-headings-over-the-paragraphs-they-head",
    ),
    pytest.param(  # a lone heading over a level that starts again from its number is the title
        "d.md", "# 1 Year Product Roadmap\n\n## 1 Vision\nOne app.\n\n## 2 Themes\nSpeed.\n\n## 3 Milestones\nBeta in May.\n",
        [(1, "Vision: One app.", None), (2, "Themes: Speed.", None), (3, "Milestones: Beta in May.", None)],
        "1 Year Product Roadmap", (),
        id="a-lone-numbered-title-over-numbered-headings",
    ),
    pytest.param(  # next in the sequence, a Pandoc heading may start with anything; Google Docs bolds the number
        "d.md", "# Deploy\n\n## **1** Prerequisites\nA server.\n\n## 2 macOS Setup\nUse brew.\n\n"
        "## 3 `config.yaml`\nSet the port.\n\n## 4 (Optional) Proxy\nIf needed.\n",
        [(1, "Prerequisites: A server.", None), (2, "macOS Setup: Use brew.", None),
         (3, "`config.yaml`: Set the port.", None), (4, "(Optional) Proxy: If needed.", None)], "Deploy", (),
        id="pandoc-headings-next-in-sequence-with-any-title",
    ),
    pytest.param(  # numbered headings over "1."-"4." paragraphs and endnotes: the paragraphs stay, the notes are text
        "d.md", "# Report\n\n## 1 Introduction\n1. We met four times.\n2. We heard witnesses.\n\n## 2 Findings\n"
        "3. Delays grew.\n4. Funding did not.\n\n## Notes\n1. See resolution 12/4.\n2. Hearing of 3 May.\n",
        [(1, "We met four times.", "1 Introduction"), (2, "We heard witnesses.", "1 Introduction"),
         (3, "Delays grew.", "2 Findings"), (4, "Funding did not. Notes: 1. See resolution 12/4. 2. Hearing of 3 May.", "2 Findings")],
        "Report", (),
        id="numbered-headings-over-paragraphs-with-endnotes",
    ),
    pytest.param(  # an order's "(1) (2)" before the reasons does not take them over, though they need footnotes
        "d.txt", "IN THE COUNTY COURT\n\nIT IS ORDERED THAT:\n(1) The claim is struck out.\n(2) The claimant pays "
        "costs.\n\nREASONS\n1. The claim was late.\n2. No reason was given.\n\nNotes to editors\n1. CPR 3.4.\n",
        [(1, "The claim was late.", None), (2, "No reason was given. Notes to editors 1. CPR 3.4.", None)], None, None,
        id="an-order-before-its-reasons-and-their-notes",
    ),
    # Chinese documents: a law's "第一条" under "第一章" chapters, a notice's "（一）" items under "一、" headings, "一、"
    # paragraphs, and "一、" headings over "1．" paragraphs
    pytest.param(
        "d.txt", "数据安全法\n\n第一章　总则\n\n第一条　为了规范数据处理活动，制定本法。\n\n第二条　本法适用于境内。\n\n"
        "第二章　发展\n\n第三条　国家统筹发展和安全。\n本条所称数据，是指信息的记录。\n",
        [(1, "为了规范数据处理活动，制定本法。", "第一章　总则"), (2, "本法适用于境内。", "第一章　总则"),
         (3, "国家统筹发展和安全。 本条所称数据，是指信息的记录。", "第二章　发展")], "数据安全法", ("数据安全法",),
        id="chinese-law-articles-under-chapters",
    ),
    pytest.param(  # the "1．2．" list inside item (三) and the notes after "注：" are text
        "d.txt", "关于加强数据安全管理的通知\n\n各部门：\n\n一、总体要求\n（一）指导思想。坚持统筹发展和安全。\n"
        "（二）基本原则。坚持分类分级。\n\n二、重点任务\n（三）加强分类分级。\n1．建立数据目录。\n2．定期开展风险评估。\n"
        "（四）强化监测预警。\n\n注：\n1．本通知自印发之日起施行。\n",
        [(1, "指导思想。坚持统筹发展和安全。", "一、总体要求"), (2, "基本原则。坚持分类分级。", "一、总体要求"),
         (3, "加强分类分级。 1．建立数据目录。 2．定期开展风险评估。", "二、重点任务"),
         (4, "强化监测预警。 注： 1．本通知自印发之日起施行。", "二、重点任务")], None, None,
        id="chinese-notice-items-under-headings",
    ),
    pytest.param(
        "d.txt", "北京宣言\n\n一、我们支持和平发展。\n\n二、我们主张合作共赢。\n\n十一、我们愿意加强交流。\n",
        [(1, "我们支持和平发展。", None), (2, "我们主张合作共赢。", None), (11, "我们愿意加强交流。", None)], "北京宣言", None,
        id="chinese-numerals-number-the-paragraphs",
    ),
    pytest.param(
        "d.txt", "工作方案\n\n一、工作目标\n1．到2025年，建成平台。\n\n二、主要任务\n2．完善制度。\n",
        [(1, "到2025年，建成平台。", "一、工作目标"), (2, "完善制度。", "二、主要任务")], "工作方案", ("工作方案",),
        id="chinese-headings-over-numbered-paragraphs",
    ),
    pytest.param(  # a case number in digits written one by one, "（二〇二〇）", is no item: header (it once crashed)
        "d.md", "民事判决书\n\n（二〇二〇）京01民终123号\n\n一、原告诉称。\n二、被告辩称。\n",
        [(1, "原告诉称。", None), (2, "被告辩称。", None)], "民事判决书", ("民事判决书", "（二〇二〇）京01民终123号"),
        id="a-chinese-case-number-in-the-header",
    ),
    pytest.param(  # past the notes, a heading and its text run on in the last paragraph, without the heading's marks
        "d.md", "Title\n\n1. A.\n2. B.\n\nNotes\n\n1. See X.\n\n## Appendix\n\nMore text.\n",
        [(1, "A.", None), (2, "B. Notes 1. See X. Appendix More text.", None)], "Title", None,
        id="a-heading-after-the-notes",
    ),
    pytest.param(  # a decimal heading over a number alone on its line heads that paragraph
        "d.md", "# R\n\n1. We begin.\n\n## 1.1 Findings\n2.\nFound.\n",
        [(1, "We begin.", None), (2, "Found.", "1.1 Findings")], "R", (),
        id="a-decimal-heading-over-a-number-alone",
    ),
    pytest.param(  # indented four spaces, "# 1. build" is a code block's comment, not a numbered heading
        "d.md", "# Deploy\n\n## 1. Build\nRun:\n\n    # 1. build the image\n    make image\n\n## 2. Release\nTag it.\n",
        [(1, "Build: Run: # 1. build the image make image", None), (2, "Release: Tag it.", None)], "Deploy", (),
        id="numbered-comment-in-an-indented-code-block",
    ),
    pytest.param(  # numbers that restart under "Notes" to the end are footnotes: the last paragraph's text
        "d.txt", "JUDGMENT\n\n[1] The appellant appeals.[1]\n\n[2] We allow the appeal.[2]\n\nNotes\n\n"
        "[1] Decision of 3 May 2020.\n[2] See the Act.\n",
        [(1, "The appellant appeals.[1]", None),
         (2, "We allow the appeal.[2] Notes [1] Decision of 3 May 2020. [2] See the Act.", None)], "JUDGMENT", None,
        id="footnotes-restarting-the-numbers-after-notes",
    ),
    pytest.param(
        "d.md", "# Claims\n\n## 1. Purpose\nHow staff claim.\n\n## 2. How to claim\n1. Fill in the form.\n"
        "2. Attach receipts.\n",
        [(1, "Purpose: How staff claim.", None), (2, "How to claim: 1. Fill in the form. 2. Attach receipts.", None)],
        "Claims", (),
        id="a-list-under-the-last-numbered-heading",
    ),
    pytest.param(  # web clippers (turndown) escape a number that would start a list or a link
        "d.md", "# Rules\n\n1\\. Members pay fees.\n\n2\\. Fees are due in May.\n",
        [(1, "Members pay fees.", None), (2, "Fees are due in May.", None)], "Rules", (),
        id="escaped-stops",
    ),
    pytest.param(
        "d.md", "# Rules\n\n## 1\\. Fees\nMembers pay fees.\n\n## 2\\. Dues\nDue in May.\n",
        [(1, "Fees: Members pay fees.", None), (2, "Dues: Due in May.", None)], "Rules", (),
        id="escaped-stops-in-numbered-headings",
    ),
    pytest.param(
        "d.md", "JUDGMENT\n\n\\[1\\] The appellant appeals.\n\n\\[2\\] We allow it.\n",
        [(1, "The appellant appeals.", None), (2, "We allow it.", None)], "JUDGMENT", ("JUDGMENT",),
        id="escaped-brackets",
    ),
    pytest.param(  # the next heading in the sequence numbers its paragraph, with a stop or without
        "d.md", "# Handbook\n\n## 1. Scope\nAll staff.\n\n## 2 Leave\n25 days.\n\n## 3. Expenses\nPaid monthly.\n",
        [(1, "Scope: All staff.", None), (2, "Leave: 25 days.", None), (3, "Expenses: Paid monthly.", None)],
        "Handbook", (), id="numbered-headings-mixing-styles",
    ),
    pytest.param(  # a table of contents before the numbered headings is header, not paragraphs 1-3 holding the rest
        "d.md", "# Policy\n\nContents\n\n1. Purpose\n2. Scope\n\n## 1. Purpose\nIt protects data.\n\n"
        "## 2. Scope\nAll staff.\n",
        [(1, "Purpose: It protects data.", None), (2, "Scope: All staff.", None)], "Policy",
        ("Contents", "1. Purpose", "2. Scope"), id="a-table-of-contents-before-numbered-headings",
    ),
    pytest.param(  # a list that names none of the numbered headings after it is no table of contents
        "d.md", "# Decisions\n\nThe Board decided:\n\n1. to approve the budget;\n2. to meet in Lisbon\n\n"
        "## 1. Budget table\n\nIncome 120,000.\n\n## 2. Treasurer\n\nAn accountant.\n",
        [(1, "to approve the budget;", None),
         (2, "to meet in Lisbon 1. Budget table: Income 120,000. 2. Treasurer: An accountant.", None)], "Decisions",
        ("The Board decided:",), id="a-list-before-numbered-headings",
    ),
    pytest.param(  # paragraphs of one line before numbered headings that end sentences are paragraphs
        "d.md", "# Report\n\n1. We met.\n2. We agreed.\n\n## 1. Annex\nThe list.\n\n## 2. Notes\nNone.\n",
        [(1, "We met.", None), (2, "We agreed. 1. Annex: The list. 2. Notes: None.", None)], "Report", (),
        id="paragraphs-before-numbered-headings",
    ),
    pytest.param(  # a heading that no paragraph follows is the last paragraph's text (its section would head none)
        "d.md", "# Report\n\n1. We met.\n2. We agreed.\n\n## Annex\nThe list.\n",
        [(1, "We met.", None), (2, "We agreed. Annex: The list.", None)], "Report", (),
        id="a-heading-after-the-last-paragraph",
    ),
    pytest.param(  # each block of notes numbers from 1 again: "Sources" after "Notes"
        "d.txt", "Letter\n\n1. A good year.[1]\n2. Sales grew.[2]\n\nNotes\n\n1. Unaudited.\n\nSources\n\n"
        "1. Accounts.\n2. HR.\n",
        [(1, "A good year.[1]", None), (2, "Sales grew.[2] Notes 1. Unaudited. Sources 1. Accounts. 2. HR.", None)],
        "Letter", ("Letter",), id="sources-after-notes",
    ),
    pytest.param(  # files joined with `cat`: a byte order mark before a number hides nothing
        "d.txt", "T\n\n1. A.\n2. B.\n\ufeff3. C.\n",
        [(1, "A.", None), (2, "B.", None), (3, "C.", None)], "T", ("T",), id="a-byte-order-mark-inside-the-text",
    ),
    pytest.param(  # a number whose "text" is punctuation ends a reference wrapped over two lines
        "d.txt", "T\n\n12. It notes the report (CO/7, para.\n14). It regrets the delay.\n13. It asks for more.\n",
        [(12, "It notes the report (CO/7, para. 14). It regrets the delay.", None), (13, "It asks for more.", None)],
        "T", ("T",), id="a-reference-wrapped-before-its-number",
    ),
    pytest.param(  # a line ending in "to" goes on: "2." there is the sentence's, not a paragraph going back
        "d.txt", "Minutes\n\n1. We met.\n2. We voted.\n3. It was carried by 6 votes to\n2. Cllr Hughes then left.\n"
        "4. We closed.\n",
        [(1, "We met.", None), (2, "We voted.", None), (3, "It was carried by 6 votes to 2. Cllr Hughes then left.", None),
         (4, "We closed.", None)],
        "Minutes", ("Minutes",), id="a-number-going-back-mid-sentence",
    ),
    pytest.param(  # a table of contents with leaders to page numbers is header
        "d.txt", "Report\n\nContents\n1. Introduction .......... 2\n2. Findings .......... 3\n\n"
        "1. We began.\n2. We found.\n",
        [(1, "We began.", None), (2, "We found.", None)], "Report",
        ("Report", "Contents", "1. Introduction .......... 2", "2. Findings .......... 3"),
        id="a-table-of-contents-with-page-numbers",
    ),
    pytest.param(  # an indented list goes on at its indent past the paragraphs' numbers ("3." under paragraph 2)
        "d.md", "# T\n\n1. We met.\n2. Steps:\n   1. open;\n   2. read;\n   3. close.\n3. Done.\n",
        [(1, "We met.", None), (2, "Steps: 1. open; 2. read; 3. close.", None), (3, "Done.", None)], "T", (),
        id="an-indented-list-past-the-paragraph-numbers",
    ),
    pytest.param(  # Word's text export nests a list under its paragraph with a tab
        "d.txt", "T\n\n1. We met.\n2. Steps:\n\t1. open;\n\t2. close.\n3. Done.\n",
        [(1, "We met.", None), (2, "Steps: 1. open; 2. close.", None), (3, "Done.", None)], "T", ("T",),
        id="a-tab-indented-list",
    ),
    pytest.param(  # where "#" headings head the sections, one after the title heads paragraph 1
        "d.md", "# Policy\n\n# Scope\n\n1. All staff.\n\n# Appeals\n\n2. Within 14 days.\n\n# Review\n\n"
        "3. Yearly.\n",
        [(1, "All staff.", "Scope"), (2, "Within 14 days.", "Appeals"), (3, "Yearly.", "Review")], "Policy", (),
        id="first-level-headings-as-sections",
    ),
    pytest.param(  # a second "#" line under the title, and no more, is a subtitle: header
        "d.md", "# Beijing Initiative\n\n# 北京倡议\n\n1. We met.\n2. We agreed.\n",
        [(1, "We met.", None), (2, "We agreed.", None)], "Beijing Initiative", ("北京倡议",),
        id="a-first-level-subtitle",
    ),
    pytest.param(  # setext headings ("Travel" over "------") are headings, their underlines no text
        "d.md", "Travel Policy\n=============\n\nPurpose\n-------\n\n1. Claims.\n\nTravel\n------\n\n"
        "2. Cheapest fare.\n",
        [(1, "Claims.", "Purpose"), (2, "Cheapest fare.", "Travel")], "Travel Policy", (),
        id="setext-headings",
    ),
    pytest.param(  # a judgment's numbered subheadings start again between its paragraphs: sections, not paragraphs
        "d.txt", "JUDGMENT\n\n11. The complaint is admissible.\n\nB. Merits\n\n1. The parties' submissions\n\n"
        "12. The applicant argued.\n\n2. The Court's assessment\n\n13. The Court finds a violation.\n",
        [(11, "The complaint is admissible. B. Merits", None), (12, "The applicant argued.", "1. The parties' submissions"),
         (13, "The Court finds a violation.", "2. The Court's assessment")], "JUDGMENT", ("JUDGMENT",),
        id="numbered-subheadings-between-paragraphs",
    ),
    pytest.param(  # a date's day wrapped to the start of a line ("am" / "1. Januar 2025") goes on with the sentence
        "d.txt", "Stellungnahme\n\n1. Wir begrüßen den Entwurf.\n\n2. Das Gesetz soll am\n1. Januar 2025 in Kraft "
        "treten.\n\n3. Wir danken.\n",
        [(1, "Wir begrüßen den Entwurf.", None), (2, "Das Gesetz soll am 1. Januar 2025 in Kraft treten.", None),
         (3, "Wir danken.", None)], "Stellungnahme", ("Stellungnahme",), id="a-wrapped-date",
    ),
    pytest.param(  # a sentence over a rule, or a table's header row over its underline, is no setext heading
        "d.txt", "Minutes\n\n1. The treasurer reported.\n\nThe report was noted.\n------\n\n2. Fees.\n\n"
        "Service          Fee\n---\n\n3. Hire.\n",
        [(1, "The treasurer reported. The report was noted. ------", None), (2, "Fees. Service          Fee ---", None),
         (3, "Hire.", None)], "Minutes", ("Minutes",), id="no-setext-heading",
    ),
    pytest.param(  # leaders to a number on every numbered line: a price list, not a table of contents
        "d.txt", "Prices\n\n1. Main hall, per hour ........ 25\n2. Kitchen, per hour ........ 10\n",
        [(1, "Main hall, per hour ........ 25", None), (2, "Kitchen, per hour ........ 10", None)], "Prices",
        ("Prices",), id="a-price-list-with-leaders",
    ),
    pytest.param(  # text may open with a stop that belongs to a word, or with an ellipsis
        "d.md", "# T\n\n1. We use Java.\n2. ...and Go.\n3. .NET services use version 8.\n",
        [(1, "We use Java.", None), (2, "...and Go.", None), (3, ".NET services use version 8.", None)], "T", (),
        id="text-opening-with-a-stop",
    ),
    pytest.param(  # minute numbers running on under "Item" headings: the minutes are the paragraphs
        "d.txt", "Minutes\n\nItem 1 - Apologies\n1. None.\n\nItem 2 - Planning\n2. One approved.\n3. One refused.\n\n"
        "Item 3 - Next meeting\nOn 12 March.\n",
        [(1, "None. Item 2 - Planning", None), (2, "One approved.", None),
         (3, "One refused. Item 3 - Next meeting On 12 March.", None)], "Minutes", ("Minutes", "Item 1 - Apologies"),
        id="minute-numbers-under-items",
    ),
    pytest.param(  # roman headings with full stops over "1." paragraphs number none of them
        "d.txt", "Act\n\nI. General provisions.\n1. This Act applies.\n2. It binds all.\nII. Final provisions.\n"
        "3. It enters into force.\n",
        [(1, "This Act applies.", None), (2, "It binds all. II. Final provisions.", None),
         (3, "It enters into force.", None)], "Act", ("Act", "I. General provisions."),
        id="roman-lines-over-paragraphs",
    ),
    pytest.param(  # a standard's clauses, "4 Test procedure" over its text (and its "1) 2)" list)
        "d.txt", "ISO 45678\n\n1 Scope\n\nThis document covers chairs.\n\n2 Test procedure\n\nTests run in order:\n"
        "1) stability;\n2) strength.\n\n3 Test report\n\nThe report gives the results.\n",
        [(1, "Scope: This document covers chairs.", None),
         (2, "Test procedure: Tests run in order: 1) stability; 2) strength.", None),
         (3, "Test report: The report gives the results.", None)], "ISO 45678", ("ISO 45678",),
        id="clauses-of-a-standard",
    ),
    pytest.param(  # addresses with text under them, before a judgment's "1." paragraphs, are header, not clauses
        "d.txt", "Counsel:\n1 King Street Chambers\ninstructed by A.\n2 Temple Gardens\ninstructed by B.\n\n"
        "1. This is an appeal.\n2. It fails.\n",
        [(1, "This is an appeal.", None), (2, "It fails.", None)], None, None, id="addresses-are-no-clauses",
    ),
    pytest.param(  # steps that run on under one heading and start again under the next number under the headings
        "d.md", "# Guide\n\n## 1. Install\n1. Download.\n2. Unpack.\n\n## 2. Configure\n3. Edit.\n\n"
        "## 3. Remove\n1. Delete.\n",
        [(1, "Install: 1. Download. 2. Unpack.", None), (2, "Configure: 3. Edit.", None), (3, "Remove: 1. Delete.", None)],
        "Guide", (), id="steps-restarting-under-some-headings",
    ),
    pytest.param(  # "1 Cup flour" / "2 Eggs" with nothing under them are a list, not clauses
        "d.txt", "Cake\n\n1 Cup flour\n2 Eggs\n\nMethod:\n1. Mix.\n2. Bake.\n",
        [(1, "Mix.", None), (2, "Bake.", None)], "Cake", ("Cake", "1 Cup flour", "2 Eggs", "Method:"),
        id="ingredients-are-no-clauses",
    ),
    pytest.param(  # a stop and a bracket: "1.)"
        "d.txt", "Rules\n\n1.) Members pay.\n2.) Fees are due.\n",
        [(1, ") Members pay.", None), (2, ") Fees are due.", None)], "Rules", ("Rules",), id="a-stop-and-a-bracket",
    ),
    pytest.param(  # leaders to a number inside the body, or before it with numbers that never come back: no contents
        "d.txt", "T\n\n1. Hall ........ 25\n2. The hall is let by the hour.\n3. Kitchen ........ 10\n",
        [(1, "Hall ........ 25", None), (2, "The hall is let by the hour.", None), (3, "Kitchen ........ 10", None)],
        "T", ("T",), id="leaders-in-the-body",
    ),
    pytest.param(  # Portuguese articles: "Artigo 1.º"
        "d.txt", "Lei\n\nArtigo 1.º Portugal é uma República.\nArtigo 2.º A soberania reside no povo.\n",
        [(1, "Portugal é uma República.", None), (2, "A soberania reside no povo.", None)], "Lei", ("Lei",),
        id="portuguese-articles",
    ),
    pytest.param(  # a label over a rule is no setext heading: "Signed:" stays the last paragraph's text
        "d.md", "# T\n\n1. A.\n2. B.\n\nSigned:\n--------\n\nJ. Smith\n",
        [(1, "A.", None), (2, "B. Signed: -------- J. Smith", None)], "T", (), id="a-label-over-a-rule",
    ),
    pytest.param(  # a heading at the very end is kept, as it is: "Registrar" signs the decision
        "d.txt", "Notice\n\n1. The appeal is dismissed.\n2. No order as to costs.\n\nRegistrar\n---------\n",
        [(1, "The appeal is dismissed.", None), (2, "No order as to costs. Registrar", None)], "Notice", ("Notice",),
        id="a-heading-at-the-end",
    ),
    pytest.param(  # the document's first line in bold is its title, not a heading; lines in bold in code are code
        "d.md", "**CODE**\n\n**1.** Set direction.\n\n**Conduct**\n\n**2.** Keep secrets.\n\n```\n**x**\n3. y\n```\n",
        [(1, "Set direction. **Conduct**", None), (2, "Keep secrets. ``` **x** 3. y ```", None)], "CODE", ("**CODE**",),
        id="bold-title-and-bold-in-code",
    ),
    pytest.param(  # an excerpt's one paragraph, after a quoted numbering, is the excerpt's
        "d.txt", "Extract\n\n(1) ALPHA LTD\n(2) BETA LTD\n\n5. The Buyer shall pay the price.\n",
        [(5, "The Buyer shall pay the price.", None)], "Extract", ("Extract", "(1) ALPHA LTD", "(2) BETA LTD"),
        id="an-excerpt-of-one-paragraph",
    ),
    pytest.param(  # a title may end in a capitalised "In" or "On"
        "d.txt", "Staff Check-In\nHuman Resources, 4 March 2024\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Staff Check-In", None, id="a-title-ending-in-in",
    ),
    pytest.param(  # a Markdown file's front matter: its "title:" is the title, its other keys are none
        "d.md", "---\nlayout: page\ntitle: 'Staff Handbook'\ndate: 2024-03-01\n---\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Staff Handbook",
        ("---", "layout: page", "title: 'Staff Handbook'", "date: 2024-03-01", "---"), id="front-matter-title",
    ),
    pytest.param(
        "d.md", "+++\ntitle = \"Hugo Page\"\n+++\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Hugo Page", None, id="toml-front-matter-title",
    ),
    pytest.param(
        "d.md", "---\nlayout: post\ntags: [hr]\n...\nHow we work\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "How we work", None, id="front-matter-without-a-title",
    ),
    pytest.param(  # clauses "1.1", "1.2", "2.1" with no "1." line: paragraph 2 is clauses 2.1 and 2.2 ("2 Leave" heads it)
        "policy.txt", "Leave Policy\n\n1 Scope\n\n1.1 Staff.\n1.2 From May.\n\n2 Leave\n\n2.1 Book early,\ntwo weeks ahead.\n"
        "2.2 Ask.\n2.2.1 In writing.\n3.1 Days lapse.\n",
        [(1, "1.1 Staff. 1.2 From May.", "Scope"), (2, "2.1 Book early, two weeks ahead. 2.2 Ask. 2.2.1 In writing.", "Leave"),
         (3, "3.1 Days lapse.", None)], "Leave Policy", ("Leave Policy",), id="decimal-clauses-grouped-by-their-first-number",
    ),
    pytest.param(  # "**1.1**", a tab after the number, "2.0 SCOPE" and "3 Email." as headings
        "sop.md", "SOP 12\n\n1.0 PURPOSE\n\n**1.1**\tStaff.\n\n**2.0 SCOPE**\n\n2.1 All sites.\n\n3 Email.\n\n3.1 Be brief.\n",
        [(1, "1.1 Staff.", "PURPOSE"), (2, "2.1 All sites.", "SCOPE"), (3, "3.1 Be brief.", "Email")], "SOP 12", None,
        id="decimal-clauses-in-bold-under-headings-of-every-kind",
    ),
    pytest.param(  # a standard: headings "1 Scope" over their text or over clauses; "3.1 cleaning" is a defined term
        "std.txt", "ABC 1:2023\n\n1 Scope\nThis document applies.\n\n2 Terms\n2.1 cleaning\nremoving dirt\n\n3 Rules\n"
        "3.1 General\nDocument it.\n3.2 Staff\nTrain them.\n",
        [(1, "This document applies.", "Scope"), (2, "2.1 cleaning removing dirt", "Terms"),
         (3, "3.1 General Document it. 3.2 Staff Train them.", "Rules")], "ABC 1:2023", ("ABC 1:2023",),
        id="a-standard-s-headed-clauses",
    ),
    pytest.param(  # a list a clause introduces with a colon, numbered "(1)" or "1.", is the clause's text
        "lease.txt", "Tenancy\n\n1.1 The Tenant must:\n(1) pay;\n(2) clean.\n1.2 No pets.\n2.1 To claim:\n1. fill in;\n2. sign.\n",
        [(1, "1.1 The Tenant must: (1) pay; (2) clean. 1.2 No pets.", None), (2, "2.1 To claim: 1. fill in; 2. sign.", None)],
        "Tenancy", None, id="lists-inside-clauses",
    ),
    pytest.param(  # a "(1)" list not introduced by a clause: the "(1)" paragraphs, their "1.1" lines text
        "d.txt", "Terms\n\n(1) Pay rent.\n1.1 Monthly.\n1.2 In advance.\n(2) Keep it clean.\n2.1 Weekly.\n",
        [(1, "Pay rent. 1.1 Monthly. 1.2 In advance.", None), (2, "Keep it clean. 2.1 Weekly.", None)], "Terms", None,
        id="clauses-inside-numbered-paragraphs",
    ),
    pytest.param(  # steps after a revision history: the steps are the paragraphs, the history is header
        "lone.txt", "Lone Working\nDocument control\n1.1 January 2023 Approved\n1.2 May 2024 Updated\n\n"
        "Staff must follow these steps:\n1. Log the visit.\n2. Tell a colleague.\n",
        [(1, "Log the visit.", None), (2, "Tell a colleague.", None)], "Lone Working", None,
        id="steps-after-a-revision-history",
    ),
    pytest.param(  # a heading goes on from no line that runs on, and is the next one: "30 Business Days" is text
        "sale.txt", "Sale terms\n\n1 Delivery\n1.1 The Buyer may reject the goods within\n30 Business Days of delivery.\n"
        "2 Payment\n2.1 Pay on invoice.\n",
        [(1, "1.1 The Buyer may reject the goods within 30 Business Days of delivery.", "Delivery"),
         (2, "2.1 Pay on invoice.", "Payment")], "Sale terms", None, id="a-wrapped-line-is-no-clause-heading",
    ),
    pytest.param(  # notes after a policy's clauses: the clauses are its paragraphs, not one footnote (a review found it)
        "p.txt", "Leave Policy\n\n1 Purpose\n1.1 Staff get leave.\n1.2 It is paid.\n2 Booking\n2.1 Book early.\n"
        "2.2 Managers approve it.\n\nNotes\n[1] Working Time Regulations 1998.\n",
        [(1, "1.1 Staff get leave. 1.2 It is paid.", "Purpose"),
         (2, "2.1 Book early. 2.2 Managers approve it. Notes [1] Working Time Regulations 1998.", "Booking")],
        "Leave Policy", ("Leave Policy",), id="clauses-before-notes",
    ),
    pytest.param(  # a heading right under the title, and one after a clause that names a term
        "p.txt", "Terms\n1 Intro\n1.1 Hello.\n2 Definitions\n2.1 Leave\n2.2 Manager\n3 Booking\n3.1 Book early.\n",
        [(1, "1.1 Hello.", "Intro"), (2, "2.1 Leave 2.2 Manager", "Definitions"), (3, "3.1 Book early.", "Booking")],
        "Terms", ("Terms",), id="clause-headings-under-a-title-and-a-term",
    ),
    pytest.param(  # a list of numbered lines with nothing under them is no headings: a recipe's ingredients
        "cake.txt", "Cake\n\n1 Cup flour\n2 Eggs\n\n1.1 Mix them.\n1.2 Bake.\n",
        [(1, "1.1 Mix them. 1.2 Bake.", None)], "Cake", ("Cake", "1 Cup flour", "2 Eggs"), id="ingredients-over-clauses",
    ),
    pytest.param(  # out of turn after a line that runs on, or in lower case: the clause's text, not a clause
        "loan.txt", "Loan terms\n\n1.1 Interest runs at\n3.5 percent a year.\n1.2 Subject to clause\n2.1 the lender may\n"
        "1.1 million be lent.\n2.1 Repay monthly.\n",
        [(1, "1.1 Interest runs at 3.5 percent a year. 1.2 Subject to clause 2.1 the lender may 1.1 million be lent.",
          None), (2, "2.1 Repay monthly.", None)], "Loan terms", None, id="decimals-in-a-clause-text",
    ),
    pytest.param(  # a table of contents in the header names no title, nor does "Contents"
        "it.txt", "IT Policy\nContents\n1 Email\n2 Web\n\n1 Email\n1.1 Be brief.\n2 Web\n2.1 Log off.\n",
        [(1, "1.1 Be brief.", "Email"), (2, "2.1 Log off.", "Web")], "IT Policy", None, id="decimal-clauses-after-contents",
    ),
    pytest.param(  # the end of a header line that trails off is no title
        "lease.txt", "TENANCY AGREEMENT\nMade on 1 June 2024 between Jane Smith and\nTom Brown.\n\n1.1 Pay rent.\n1.2 Keep pets out.\n",
        [(1, "1.1 Pay rent. 1.2 Keep pets out.", None)], "TENANCY AGREEMENT", None, id="a-title-not-the-end-of-a-wrapped-line",
    ),
    pytest.param(  # where "1." lines number the paragraphs, their clauses are their text
        "policy.txt", "Policy\n\n1. Scope\n1.1 Staff.\n1.2 From May.\n2. Leave\n2.1 Book early.\n",
        [(1, "Scope 1.1 Staff. 1.2 From May.", None), (2, "Leave 2.1 Book early.", None)], "Policy", None,
        id="decimal-clauses-under-numbered-paragraphs",
    ),
    pytest.param(  # a comment after the title; a quoted title keeps its "#"
        "d.md", "---\ntitle: Office Rules # draft\n---\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Office Rules", None, id="front-matter-title-with-a-comment",
    ),
    pytest.param(
        "d.md", "---\ntitle: 'Rule #1: Be Kind' # draft\n---\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Rule #1: Be Kind", None, id="front-matter-quoted-title",
    ),
    pytest.param(  # Markdown's lazy numbering: items all "1." show as 1, 2, 3 (a nested list's stay its text)
        "rules.md", "# Rules\n\n1. Be kind.\n1. Be on time:\n   1. early;\n   1. ready.\n1. Tidy up.\n",
        [(1, "Be kind.", None), (2, "Be on time: 1. early; 1. ready.", None), (3, "Tidy up.", None)], "Rules", None,
        id="markdown-lazy-numbering",
    ),
    pytest.param(  # a title that starts with a number, over a date: no table of contents
        "d.txt", "5 Steps to Safer Lifting\nHealth and Safety Team, Northfield Council\n12 March 2024\n\n1. Bend.\n2. Lift.\n",
        [(1, "Bend.", None), (2, "Lift.", None)], "5 Steps to Safer Lifting", None, id="a-title-starting-with-a-number",
    ),
    pytest.param(  # a version line is no title, however short
        "d.txt", "Staff Leave Policy\nNorthmere Libraries and Archives Trust\nVersion 4.2\n\n1 Purpose\nIt sets out leave.\n\n2 Scope\n2.1 All staff.\n",
        [(1, "It sets out leave.", "Purpose"), (2, "2.1 All staff.", "Scope")], "Staff Leave Policy", None,
        id="a-version-line-is-no-title",
    ),
    pytest.param(  # a dated line among a table of contents' numbered lines
        "p.txt", "IT Policy\n12 March 2024\nContents\n1 Email\n2 Web\n\n1 Email\n1.1 Be brief.\n2 Web\n2.1 Log off.\n",
        [(1, "1.1 Be brief.", "Email"), (2, "2.1 Log off.", "Web")], "IT Policy", None, id="contents-under-a-date",
    ),
    pytest.param(  # YAML's doubled quote inside a quoted title
        "d.md", "---\ntitle: 'Children''s Services' # v2\n---\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "Children's Services", None, id="front-matter-title-with-a-quote",
    ),
    pytest.param(  # a title between rules is no front matter
        "d.txt", "---\nMEMO\n---\n\n1. Sign in.\n2. Sign out.\n",
        [(1, "Sign in.", None), (2, "Sign out.", None)], "MEMO", None, id="a-title-between-rules",
    ),
    pytest.param(  # a line all in bold is a heading in a Word export; the first one is the title
        "d.md", "**CODE OF CONDUCT**\n\n**Role**\n\n**1.** Set direction.\n\n**Conduct**\n\n**2.** Keep secrets.\n",
        [(1, "Set direction.", "Role"), (2, "Keep secrets.", "Conduct")], "CODE OF CONDUCT", ("**CODE OF CONDUCT**",),
        id="bold-lines-as-headings",
    ),
    pytest.param(  # one line in bold, a label or a sentence in bold, is text
        "d.md", "# Rules\n\n1. Sign in.\n\n**Note**\n\n2. Sign out.\n\n**Failure to attend will be recorded.**\n\n"
        "3. Leave.\n",
        [(1, "Sign in. **Note**", None), (2, "Sign out. **Failure to attend will be recorded.**", None),
         (3, "Leave.", None)], "Rules", (), id="bold-lines-as-text",
    ),
    pytest.param(  # minutes: "Item 4" over its text, its "1." list one of them (not the document's paragraphs)
        "d.txt", "Minutes\n\nItem 1 - Apologies\nNone.\n\nItem 2 - Budget\nRESOLVED:\n1. That it be approved.\n"
        "2. That rents rise.\n\nItem 3 - Close\nWe closed at eight.\n",
        [(1, "Apologies: None.", None), (2, "Budget: RESOLVED: 1. That it be approved. 2. That rents rise.", None),
         (3, "Close: We closed at eight.", None)], "Minutes", ("Minutes",), id="items-of-minutes",
    ),
    pytest.param(  # a recommendation's operative paragraphs in roman numerals, one with a list of principles
        "d.txt", "Recommendation\n\nTHE COUNCIL,\n\nI. AGREES on the terms below.\n\nII. RECOMMENDS these principles:\n"
        "1. Open by default\n2. Timely\n\nIII. INVITES the Secretary-General to act.\n",
        [(1, "AGREES on the terms below.", None), (2, "RECOMMENDS these principles: 1. Open by default 2. Timely", None),
         (3, "INVITES the Secretary-General to act.", None)], "Recommendation", ("Recommendation", "THE COUNCIL,"),
        id="operative-paragraphs-in-roman-numerals",
    ),
    pytest.param(  # roman headings over "1." paragraphs stay their sections
        "d.txt", "Plan\n\nI. Purpose\n1. We aim high.\n2. We act.\n\nII. Review\n3. Yearly.\n",
        [(1, "We aim high.", "I. Purpose"), (2, "We act.", "I. Purpose"), (3, "Yearly.", "II. Review")], "Plan",
        ("Plan",), id="roman-headings-over-paragraphs",
    ),
    pytest.param(  # a Spanish law's "Artículo 3." over its own "1. 2." apartados
        "d.txt", "Ley 4/2023\n\nArtículo 1. Objeto.\nEsta ley protege.\n\nArtículo 2. Ámbito.\n1. Se aplica aquí.\n"
        "2. No allí.\n\nArtículo 3. Vigor.\nEntra en vigor hoy.\n",
        [(1, "Objeto. Esta ley protege.", None), (2, "Ámbito. 1. Se aplica aquí. 2. No allí.", None),
         (3, "Vigor. Entra en vigor hoy.", None)], "Ley 4/2023", ("Ley 4/2023",), id="spanish-articles",
    ),
    pytest.param(  # French laws number their first article "1er"
        "d.txt", "Décret\n\nArt. 1er. - Les déchèteries ouvrent.\nArt. 2. - Il entre en vigueur.\n",
        [(1, "Les déchèteries ouvrent.", None), (2, "Il entre en vigueur.", None)], "Décret", ("Décret",),
        id="french-first-article",
    ),
    pytest.param(  # Taiwan's laws: "第 1 條", traditional characters and spaces
        "d.txt", "個人資料保護法\n\n第 一 章 總則\n\n第 1 條\n為規範個人資料。\n\n第 2 條\n本法用詞如下：\n一、個人資料。\n"
        "二、蒐集。\n",
        [(1, "為規範個人資料。", "第 一 章 總則"), (2, "本法用詞如下： 一、個人資料。 二、蒐集。", "第 一 章 總則")],
        "個人資料保護法", ("個人資料保護法",), id="traditional-chinese-articles",
    ),
    pytest.param(  # one stray "2．" at the end (an attachments list) does not hide a notice's "一、" paragraphs
        "d.txt", "通知\n\n一、健全体系。\n\n二、完善预案。\n\n附件：1．分工表\n      2．编制指南\n",
        [(1, "健全体系。", None), (2, "完善预案。 附件：1．分工表 2．编制指南", None)], "通知", ("通知",),
        id="a-stray-number-after-a-notice",
    ),
    pytest.param(  # an addressee is no title: a Chinese notice's "各部门：", a resolution's "The General Assembly,"
        "d.txt", "关于节能工作的通知\n\n各部门：\n\n一、高度重视。\n二、按时上报。\n",
        [(1, "高度重视。", None), (2, "按时上报。", None)], "关于节能工作的通知", ("关于节能工作的通知", "各部门："),
        id="an-addressee-is-no-title",
    ),
    pytest.param(
        "d.txt", "Resolution on water\n\nThe General Assembly,\n\nRecalling its obligations under\nthe Charter,\n\n"
        "1. Decides to meet;\n2. Requests a report.\n",
        [(1, "Decides to meet;", None), (2, "Requests a report.", None)], "Resolution on water", None,
        id="a-preamble-line-is-no-title",
    ),
]


@pytest.mark.parametrize(("filename", "text", "expected", "title", "header"), PARSE_CASES)
def test_parse_cases(write, filename, text, expected, title, header):
    path = write(f"docs/{filename}", text)
    [doc] = load_corpus(path)
    assert [(p.number, p.text, p.section) for p in doc.paragraphs] == expected
    assert [p.label for p in doc.paragraphs] == [str(n) for n, _, _ in expected]  # single document
    assert {p.doc for p in doc.paragraphs} == {Path(filename).stem}
    assert doc.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()  # the whole text's: a change is seen
    if title is not None:
        assert doc.title == title
    if header is not None:
        assert doc.header == header


@pytest.mark.parametrize("suffix", [".txt", ".md", ".TXT", ".markdown"])
def test_supported_suffixes(write, suffix):
    [doc] = load_corpus(write(f"doc{suffix}", "1. Alpha.\n2. Beta.\n"))
    assert [p.text for p in doc.paragraphs] == ["Alpha.", "Beta."]


def test_utf8_byte_order_mark_is_not_part_of_paragraph_one(write):
    [doc] = load_corpus(write("bom.txt", "\ufeff1.We met.\n2.We agreed.\n".encode("utf-8")))
    assert [(p.number, p.text) for p in doc.paragraphs] == [(1, "We met."), (2, "We agreed.")]


def test_section_heading_is_never_a_paragraph(write):
    [doc] = load_corpus(write("d.md", "## I. Purpose\n\n1. A.\n\n## II. Commitments\n\n2. B.\n"))
    texts = " ".join(p.text for p in doc.paragraphs)
    assert "Purpose" not in texts and "Commitments" not in texts
    assert len(doc.paragraphs) == 2


def test_gap_in_numbers_is_kept_and_logged(write, caplog):
    with caplog.at_level(logging.WARNING, logger="rag.ingest"):
        [doc] = load_corpus(write("gap.txt", "1. A.\n2. B.\n5. E.\n"))
    assert [p.number for p in doc.paragraphs] == [1, 2, 5]
    assert "jump from 2 to 5" in caplog.text


def test_archives_number_past_9999():
    """An archive's paragraph 10000 is a paragraph, not text wrapped into paragraph 9999."""
    doc = parse_text("Archive\n\n9998. Alpha.\n\n9999. Beta.\n\n10000. Gamma.\n\n123456. Delta.", "a.txt")
    assert [p.number for p in doc.paragraphs] == [9998, 9999, 10000, 123456]
    assert doc.paragraphs[1].text == "Beta."


def test_sha256_tracks_the_text(write, tmp_path):
    a = load_corpus(write("a/doc.txt", "1. Alpha.\n"))
    b = load_corpus(write("b/doc.txt", "1. Alpha.\n"))
    c = load_corpus(write("c/doc.txt", "1. Alpha!\n"))
    assert a[0].sha256 == b[0].sha256 != c[0].sha256
    assert corpus_sha256(a) == corpus_sha256(b) != corpus_sha256(c)


# --------------------------------------------------------------------------- the real corpus


def test_real_corpus_has_sixteen_paragraphs(beijing):
    [doc] = load_corpus(beijing)
    assert [p.number for p in doc.paragraphs] == list(range(1, 17))
    assert [p.label for p in doc.paragraphs] == [str(n) for n in range(1, 17)]
    assert doc.doc == "beijing_initiative_2017"


def test_real_corpus_paragraph_boundaries(beijing):
    [doc] = load_corpus(beijing)
    by_number = {p.number: p for p in doc.paragraphs}
    assert by_number[1].text.startswith("We, the over 600 delegates")
    assert by_number[4].text.startswith("We are of the view that, in face of")  # " 4.We" (leading space)
    assert by_number[12].text.startswith("We call on political parties to be the guardians of ecology")
    assert by_number[12].text.endswith("clear water.")
    assert by_number[16].text.endswith("eager anticipation!")
    for p in doc.paragraphs:  # no paragraph swallowed its neighbour's number
        assert f"{p.number + 1}.We" not in p.text


def test_real_corpus_header_does_not_leak_into_paragraph_one(beijing):
    [doc] = load_corpus(beijing)
    first = doc.paragraphs[0].text
    for header_line in doc.header:
        assert header_line not in first
    for fragment in ("2017-12-04", "16:41:27", "北京倡议", "Beijing Initiative", "2017年12月3日"):
        assert fragment not in first
    assert len(doc.header) == 4
    assert doc.header[0] == "2017-12-04 16:41:27"
    assert "Beijing Initiative" in " ".join(doc.header)
    assert not doc.title.startswith("2017")  # the timestamp line is not a title


# --------------------------------------------------------------------------- several documents


def test_folder_of_documents_gets_unambiguous_labels(write, tmp_path):
    write("corpus/alpha.txt", "1. Alpha one.\n2. Alpha two.\n")
    write("corpus/beta.md", "# Beta\n\n1. Beta one.\n2. Beta two.\n")
    write("corpus/ignored.pdf", "not a document")
    docs = load_corpus(tmp_path / "corpus")
    assert [d.doc for d in docs] == ["alpha", "beta"]
    labels = [p.label for d in docs for p in d.paragraphs]
    assert labels == ["alpha:1", "alpha:2", "beta:1", "beta:2"]
    assert len(set(labels)) == len(labels)
    for d in docs:
        assert all(p.doc == d.doc and p.label == f"{d.doc}:{p.number}" for p in d.paragraphs)


def test_folder_with_one_document_keeps_plain_labels(write, tmp_path):
    write("corpus/only.txt", "1. One.\n")
    [doc] = load_corpus(tmp_path / "corpus")
    assert doc.paragraphs[0].label == "1"


def test_hidden_files_and_folders_are_no_documents(write, tmp_path):
    write("docs/water.txt", "1. Rainwater tanks store water.\n")
    write("docs/.ipynb_checkpoints/water-checkpoint.txt", "1. An old copy about zebras.\n")
    write("docs/.draft.md", "1. A draft about zebras.\n")
    docs = load_corpus(tmp_path / "docs")
    assert [d.doc for d in docs] == ["water"] and docs[0].paragraphs[0].label == "1"


def test_documents_in_subfolders_are_found(write, tmp_path):
    write("corpus/a.txt", "1. A.\n")
    write("corpus/sub/b.txt", "1. B.\n")
    assert [d.doc for d in load_corpus(tmp_path / "corpus")] == ["a", "b"]


@pytest.mark.parametrize(
    ("first", "second"),
    [("corpus/report.txt", "corpus/report.md"), ("corpus/report.txt", "corpus/2024/report.txt")],
    ids=["txt-and-md", "same-name-in-subfolder"],
)
def test_two_documents_with_the_same_stem_is_an_error(write, tmp_path, one_sentence, first, second):
    write(first, "1. One.\n")
    write(second, "1. Other.\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(tmp_path / "corpus")
    one_sentence(str(err.value), "report")
    assert "share the name" in str(err.value)


# --------------------------------------------------------------------------- bad input, table-driven


def _make_bad(write, tmp_path: Path, case: str) -> Path:
    if case == "no-numbered-paragraphs":
        return write("bad.txt", "Just a title\n\nSome prose without numbers.\n")
    if case == "markdown-link-definitions":  # "[1]: https://..." numbers no paragraph
        return write("bad.md", "# tool\n\nConverts CSV. See the [docs][1].\n\n[1]: https://example.com/docs\n"
                               "[2]: https://example.com/issues\n")
    if case == "decimals-that-are-no-clauses":  # versions, not clauses 1.1, 1.2, 2.1 ...
        return write("bad.txt", "Releases\n\n2.5 came out in May.\n1.4 came out in March.\n")
    if case == "duplicate-number-over-clauses":  # the "1." lines' error, not their clauses read alone
        return write("bad.txt", "1. Scope\n1.1 Staff.\n1.2 From May.\n1. Leave\n")
    if case == "clauses-not-from-1":  # an excerpt's clauses 3.1 and 3.2: what comes before them is unknown
        return write("bad.txt", "Extract\n\n3.1 Pay monthly.\n3.2 Pay on time.\n")
    if case == "lazy-numbering-in-text":  # only Markdown shows "1." / "1." as 1, 2
        return write("bad.txt", "1. One.\n1. Two.\n")
    if case == "duplicate-number":
        return write("bad.txt", "1. One.\n2. Two.\n2. Two again.\n")
    if case == "out-of-order-number":
        return write("bad.txt", "1. One.\n3. Three.\n2. Two.\n")
    if case == "non-utf8-bytes":
        return write("bad.txt", "1. Caf\u00e9 talk.\n".encode("latin-1"))
    if case == "empty-file":
        return write("bad.txt", b"")
    if case == "whitespace-only-file":
        return write("bad.txt", " \n\t\n\n   ")
    if case == "binary-nul-bytes":
        return write("bad.txt", b"1. One.\x00\x00\n")
    if case == "missing-path":
        return tmp_path / "does_not_exist.txt"
    if case == "folder-without-documents":
        write("empty_folder/readme.pdf", "x")
        return tmp_path / "empty_folder"
    if case == "unsupported-suffix":
        return write("bad.pdf", "1. One.\n")
    raise AssertionError(case)


BAD_CASES = [
    pytest.param("no-numbered-paragraphs", "no numbered paragraphs", id="no-numbered-paragraphs"),
    pytest.param("markdown-link-definitions", "no numbered paragraphs", id="markdown-link-definitions"),
    pytest.param("duplicate-number", "appears twice", id="duplicate-number"),
    pytest.param("lazy-numbering-in-text", "appears twice", id="lazy-numbering-in-text"),
    pytest.param("clauses-not-from-1", "no numbered paragraphs", id="clauses-not-from-1"),
    pytest.param("decimals-that-are-no-clauses", "no numbered paragraphs", id="decimals-that-are-no-clauses"),
    pytest.param("duplicate-number-over-clauses", "appears twice", id="duplicate-number-over-clauses"),
    pytest.param("out-of-order-number", "numbers must increase", id="out-of-order-number"),
    pytest.param("non-utf8-bytes", "not UTF-8", id="non-utf8-bytes"),
    pytest.param("empty-file", "empty", id="empty-file"),
    pytest.param("whitespace-only-file", "empty", id="whitespace-only-file"),
    pytest.param("binary-nul-bytes", "binary", id="binary-nul-bytes"),
    pytest.param("missing-path", "no such file", id="missing-path"),
    pytest.param("folder-without-documents", "no .txt or .md", id="folder-without-documents"),
    pytest.param("unsupported-suffix", "unsupported file type .pdf", id="unsupported-suffix"),
]


@pytest.mark.parametrize(("case", "problem"), BAD_CASES)
def test_bad_input_is_one_sentence_naming_file_and_problem(write, tmp_path, one_sentence, case, problem):
    path = _make_bad(write, tmp_path, case)
    with pytest.raises(CorpusError) as err:
        load_corpus(path)
    message = str(err.value)
    one_sentence(message, str(path), problem)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("1. One.\n2. Two.\n2. Two again.\n", 3, "paragraph number 2 appears twice"),
        ("1. One.\n3. Three.\n\n2. Two.\n", 4, "paragraph 2 comes after paragraph 3"),
        ("1. One.\n2. Two.\n3. Three.\n1. One again.\n", 4, "paragraph number 1 appears twice"),
        # one Section over the list explains nothing: the list's own error stands
        ("SECTION 1 – PURPOSE\n1. One.\n2. Two.\n2. Two again.\n", 4, "paragraph number 2 appears twice"),
        # notes restart the numbers only to the document's end: "1. ONS 2023." could be a paragraph repeated, and
        # under "Notes" a "[3]" note past the last paragraph "[2]" would open paragraph 3
        ("1. Rents rose.\n2. Wages fell.\n\nReferences\n1. ONS 2023.\n\n3. We recommend a cap.\n", 5,
         "paragraph number 1 appears twice"),
        # nor where they start again twice: "Sources" of one statement, then another statement
        ("1. We support it.\n2. We thank the mayor.\n\nSources\n1. City plan.\n\nStatement B\n1. We oppose it.\n", 5,
         "paragraph number 1 appears twice"),
        # nor past a heading: the notes ended
        ("## Day 1\n1. Welcome.\n2. Panels.\n\nNotes\nMary took notes.\n\n## Day 2\n1. Welcome back.\n", 9,
         "paragraph number 1 appears twice"),
        # numbers that run on across numbered headings, then start again: the headings are sections, not paragraphs
        ("# Report\n\n## 1 Introduction\n1. We met.\n2. We heard.\n\n## 2 Waiting\n3. Waits grew.\n\n"
         "## Conclusions\n1. Waits are too long.\n", 11, "paragraph number 1 appears twice"),
    ],
    ids=["repeat-of-previous", "decrease", "repeat-of-earlier", "repeat-under-one-section",
         "numbers-restarting-under-notes-then-going-on", "notes-then-numbers-starting-again",
         "notes-then-a-heading-then-numbers-starting-again", "numbers-running-across-headings-then-starting-again"],
)
def test_numbering_errors_name_the_line(write, one_sentence, text, line, problem):
    path = write("numbers.txt", text)
    with pytest.raises(CorpusError) as err:
        load_corpus(path)
    one_sentence(str(err.value), f"{path} line {line}", problem)


def test_bad_document_in_folder_names_that_document(write, tmp_path, one_sentence):
    write("corpus/good.txt", "1. Fine.\n")
    bad = write("corpus/broken.txt", b"1. \xff\xfe oops\n")
    with pytest.raises(CorpusError) as err:
        load_corpus(tmp_path / "corpus")
    one_sentence(str(err.value), str(bad), "not UTF-8")


def test_an_unreadable_file_is_one_sentence(tmp_path, monkeypatch, one_sentence):
    path = tmp_path / "locked.txt"
    path.write_text("1. We met.\n", encoding="utf-8")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(CorpusError) as err:
        read_text(path)
    one_sentence(str(err.value), str(path), "cannot be read (Permission denied)")


def test_read_text_on_a_folder(tmp_path, one_sentence):
    with pytest.raises(CorpusError) as err:
        read_text(tmp_path)
    one_sentence(str(err.value), str(tmp_path), "not a regular file")


def test_parse_text_accepts_a_string_path():
    doc = parse_text("Title\n\n1. One.\n", "some/dir/name.txt")
    assert doc.doc == "name" and doc.path == str(Path("some/dir/name.txt"))
    assert doc.paragraphs[0].label == "1"
    doc = parse_text("1. One.\n", "name.txt", label_with_doc=True)
    assert doc.paragraphs[0].label == "name:1"


# --------------------------------------------------------------------------- round trip (property)

_WORDS = ["peace", "water", "council", "we", "agree", "the", "river", "growth", "delegates", "shared",
          "future", "and", "of", "to", "cooperation", "planet", "nations", "parties", "clean", "trade"]
_word = st.sampled_from(_WORDS)
_sentence = st.builds(
    lambda words, end: " ".join([words[0].capitalize(), *words[1:]]) + end,
    st.lists(_word, min_size=1, max_size=9),
    st.sampled_from([".", "!", "?", ";", ":", ",", ""]),
)
_paragraph = st.lists(_sentence, min_size=1, max_size=4).map(" ".join)


@st.composite
def _documents(draw):
    texts = draw(st.lists(_paragraph, min_size=1, max_size=6))
    first = draw(st.integers(min_value=1, max_value=60))
    steps = draw(st.lists(st.integers(min_value=1, max_value=10), min_size=len(texts) - 1, max_size=len(texts) - 1))
    numbers = [first]
    for step in steps:
        numbers.append(numbers[-1] + step)
    lines = draw(st.sampled_from([[], ["Title of the document"], ["2017-12-04", "", "A Declaration", ""]]))
    for number, text in zip(numbers, texts):
        width = draw(st.integers(min_value=15, max_value=120))
        stop = draw(st.sampled_from([".", ". ", ".  ", ")", ") ", "．"]))
        indent = " " * draw(st.integers(min_value=0, max_value=3))
        wrapped = textwrap.wrap(text, width) or [text]
        lines.append(f"{indent}{number}{stop}{wrapped[0]}")
        for extra in wrapped[1:]:
            lines.extend([""] * draw(st.integers(min_value=0, max_value=1)) + [extra])
        lines.extend([""] * draw(st.integers(min_value=0, max_value=2)))
    return list(zip(numbers, texts)), "\n".join(lines) + "\n"


@given(_documents())
def test_round_trip_of_rendered_documents(case):
    """Paragraphs rendered in any supported style (wrapped, indented, "1.We" or "1) We",
    blank lines, gaps of up to 10 in numbering, no final stop) parse back unchanged."""
    expected, text = case
    doc = parse_text(text, "generated.txt")
    assert [(p.number, p.text) for p in doc.paragraphs] == expected


def test_a_chinese_law_names_articles_past_999_in_digits():
    assert own_name(1260, "第一条") == "第1260条" and own_name(12, "第一条") == "第十二条"
