"""The report's first screen says what the audit found: the summary in words, the forgetting vs
preservation plot, the glossary, per-image verdicts on the contact sheets, and claims that are
not checkable collapsed into one line naming the profile that checks them."""

from __future__ import annotations

import re
from pathlib import Path

from reports.build import build_report, claims_profiles
from reports.summary import summarize
from runfmt import read_run
from tests.reports.conftest import read, write


def _index(run: Path) -> str:
    return (build_report([run]) / "index.html").read_text()


def test_summary_comes_first_with_one_sentence_per_method(demo_run: Path):
    html = _index(demo_run)
    found = html.index('id="findings"')
    assert found < html.index('id="claims"') < html.index('id="overview"')
    summary = summarize(read_run(demo_run))
    assert [m for m, _ in summary.method_of] == ["scapre", "scapre-preserve", "uce"]
    for sentence in summary.sentences:
        assert sentence.replace("&", "&amp;") in html or sentence in html
        assert re.search(r"forget_acc \d+\.\d% \[\d+\.\d, \d+\.\d\]", sentence)
    assert "recover" in summary.sentences[-1]  # the attack's result is in the UCE sentence


def test_tradeoff_plot_has_a_point_per_method_and_the_unedited_square(demo_run: Path):
    html = _index(demo_run)
    svg = html[html.index('class="chart tradeoff"') : html.index("</svg>", html.index("tradeoff"))]
    assert svg.count('class="point"') == 3 and svg.count('class="unedited"') == 1
    assert "<script" not in html


def test_glossary_comes_from_the_stored_definitions(demo_run: Path):
    results = read(demo_run / "results.json")
    html = _index(demo_run)
    glossary = html[html.index('id="glossary"') :]
    for name in ("forget_acc", "neighbor_acc", "harmonic_acc"):
        text = results["definitions"][name]["definition"]
        assert text.replace("'", "&#39;") in glossary, name
    assert "percentile bootstrap" in glossary and "lower is better" in glossary
    results["definitions"]["forget_acc"]["definition"] = "A DEFINITION FROM THE RUN FOLDER"
    write(demo_run / "results.json", results)
    assert "A DEFINITION FROM THE RUN FOLDER" in _index(demo_run)


def test_contact_sheets_show_each_image_verdict_and_every_method(demo_run: Path):
    report = build_report([demo_run])
    pages = {p.name: p.read_text() for p in report.glob("concept-*.html")}
    target = next(t for t in pages.values() if "Concept: red circle" in t)
    assert target.count('class="verdict') >= 8
    assert "&#10003; red circle" in target  # the unedited model's image, recognised
    assert "erases it" in target
    neighbour = next(t for t in pages.values() if "neighbor prompts" in t and "red circle" not in t)
    for method in ("scapre", "scapre-preserve", "uce"):
        assert f"<th>{method} @ ladder@2" in neighbour
    assert "scored in aggregates only" not in "".join(pages.values())


def test_all_not_checkable_claims_collapse_to_one_line_naming_the_profile(demo_run: Path):
    claims = read(demo_run / "claims.json")
    for claim in claims["claims"]:
        claim["verdict"] = "not checkable"
    write(demo_run / "claims.json", claims)
    assert claims_profiles(read_run(demo_run)) == ["claims", "demo"]
    html = _index(demo_run)
    section = html[html.index('id="claims"') : html.index('id="overview"')]
    assert (
        f"None of the {len(claims['claims'])} claims can" in section
        and "--profile claims" in section
    )
    assert section.count('class="badge not-checkable"') == 1 + len(claims["claims"])


def test_the_demo_decides_every_claim_it_lists(demo_run: Path):
    html = _index(demo_run)
    section = html[html.index('id="claims"') : html.index('id="overview"')]
    assert section.count('<span class="badge not-supported">not supported</span>') == 2
    assert "not checkable" not in section


def test_decided_claims_stay_rows_and_the_rest_is_one_line(demo_run: Path):
    claims = read(demo_run / "claims.json")
    claims["claims"][1]["verdict"] = "not checkable"  # capacity-ratio
    write(demo_run / "claims.json", claims)
    html = _index(demo_run)
    section = html[html.index('id="claims"') : html.index('id="overview"')]
    assert '<span class="badge not-supported">not supported</span>' in section
    assert "not checkable here" in section and "capacity-ratio (" in section
