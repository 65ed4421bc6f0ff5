"""The HTML report of the saved run: pages, images, relative links, escaping, atomic replace."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import reports.build
from audits.errors import AuditError
from reports.build import build_report
from tests.reports.conftest import HOSTILE_ATTR, HOSTILE_SCRIPT, read, write


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.links.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_report_is_complete_and_self_contained(mini_run: Path, tmp_path: Path):
    out = build_report([mini_run], tmp_path / "report")
    pages = sorted(out.glob("*.html"))
    assert (out / "index.html") in pages and (out / "concepts.html") in pages
    assert len(list(out.glob("concept-*.html"))) == 4  # red circle, yellow square + 2 neighbours
    images = list((out / "img").rglob("*.png"))
    assert images, "no image copied into the report"
    for page in pages:
        for link in _parse(page).links:
            assert not re.match(r"^[a-z]+:|^//|^/", link), f"{page.name}: non-relative {link}"
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_relative_to(out.resolve()), f"{page.name}: {link} leaves the report"
            assert target.exists(), f"{page.name}: broken link {link}"
        assert "script" not in _parse(page).tags
    index = (out / "index.html").read_text()
    for expected in ("forget_acc", "\u2193", "\u2191", 'class="best"', "<svg", "Provenance"):
        assert expected in index
    assert read(mini_run / "results.json")["suite"]["hash"] in index
    assert 'title="n = ' in index  # n and exclusions on hover
    assert ": concept not in erase set one" in index
    for name in ("paper.md", "paper.tex", "paper.csv"):
        assert (out / "tables" / name).stat().st_size > 0


def test_contact_sheet_pairs_unedited_and_methods(mini_run: Path, tmp_path: Path):
    out = build_report([mini_run], tmp_path / "report")
    concepts = (out / "concepts.html").read_text()
    href = re.search(r'href="(concept-\d+\.html)">red circle<', concepts).group(1)
    page = (out / href).read_text()
    assert "unedited" in page and "scapre @ all" in page and "uce @ one" in page
    row = page.split('<td class="prompt">a red circle</td>')[1].split("</tr>")[0]
    assert len(re.findall(r"<img ", row)) == 5  # none + scapre/uce on sets all and one


def test_default_output_is_inside_the_run(mini_run: Path):
    out = build_report([mini_run])
    assert out == mini_run / "report" and (out / "index.html").is_file()


def test_single_erase_set_says_no_sweep(mini_run: Path, tmp_path: Path):
    results = read(mini_run / "results.json")
    results["metrics"] = [m for m in results["metrics"] if m["erase_set"] == "all"]
    write(mini_run / "results.json", results)
    plan = read(mini_run / "plan.json")
    plan["groups"] = [g for g in plan["groups"] if g["erase_set"] == "all"]
    write(mini_run / "plan.json", plan)
    out = build_report([mini_run], tmp_path / "report")
    index = (out / "index.html").read_text()
    scaling = index[index.index('id="scaling"') : index.index('id="glossary"')]
    assert "No scaling sweep in this run" in scaling and "<svg" not in scaling


def _make_hostile(run: Path) -> None:
    """Put script and attribute-breaking strings in a prompt, a concept and a method config."""
    plan = read(run / "plan.json")
    case = plan["probes"]["target"]["cases"][0]
    old_prompt = case["prompt"]
    case["prompt"] = f"a {HOSTILE_SCRIPT} {HOSTILE_ATTR}"
    for probe in plan["probes"].values():
        for c in probe["cases"]:
            if c["concept"] == "red circle":
                c["concept"] = HOSTILE_SCRIPT
    for group in plan["groups"]:
        group["concepts"] = [HOSTILE_SCRIPT if c == "red circle" else c for c in group["concepts"]]
    write(run / "plan.json", plan)
    for record_path in (run / "images").rglob("*.json"):
        record = read(record_path)
        if record["prompt"] == old_prompt:
            record["prompt"] = case["prompt"]
            write(record_path, record)
    results = read(run / "results.json")
    results["methods"]["scapre"]["config"]["guide"] = HOSTILE_ATTR
    results["suite"]["cites"] = HOSTILE_SCRIPT
    results["model"]["id"] = HOSTILE_ATTR
    for m in results["metrics"]:
        if m["concept"] == "red circle":
            m["concept"] = HOSTILE_SCRIPT
    write(run / "results.json", results)


def test_hostile_strings_are_escaped(mini_run: Path, tmp_path: Path):
    _make_hostile(mini_run)
    out = build_report([mini_run], tmp_path / "report")
    html = {p.name: p.read_text() for p in out.glob("*.html")}
    everything = "\n".join(html.values())
    assert "<script" not in everything.lower()
    assert "<img src=x" not in everything and "onerror=alert(1)>" not in everything
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in everything
    # the hostile prompt still has its images: text escaped, data intact
    page = next(t for t in html.values() if "Concept: &lt;script&gt;" in t)
    assert page.count("<img ") >= 5
    for table in ("paper.md", "paper.tex"):
        assert "<script>" not in (out / "tables" / table).read_text()


def test_failed_render_keeps_the_previous_report(mini_run: Path, tmp_path: Path, monkeypatch):
    out = build_report([mini_run], tmp_path / "report")
    before = (out / "index.html").read_text()

    def broken(*args, **kwargs):
        raise RuntimeError("render failed")

    monkeypatch.setattr(reports.build, "render_run", broken)
    with pytest.raises(RuntimeError):
        build_report([mini_run], out)
    assert (out / "index.html").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_refuses_to_replace_a_folder_that_is_not_a_report(mini_run: Path, tmp_path: Path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("keep me")
    with pytest.raises(AuditError):
        build_report([mini_run], precious)
    assert (precious / "thesis.tex").read_text() == "keep me"


def test_claims_are_shown_with_verdicts(mini_run: Path, tmp_path: Path):
    claims = {
        "schema": "scapre-audit/claims/1",
        "claims": [
            {
                "id": "C1",
                "claim": f"erases many concepts {HOSTILE_SCRIPT}",
                "source": "ScaPre, Table 1",
                "definition": "forget_acc below 5%",
                "measurement": "forget_acc = 1.2%",
                "verdict": "supported",
                "details": {"value": 0.012},
            },
            {
                "id": "C2",
                "claim": "keeps neighbours",
                "source": "ScaPre, Sec. 5",
                "definition": "neighbor_acc within 5 points of none",
                "measurement": "7.6% vs 89.6%",
                "verdict": "not supported",
                "details": {},
            },
        ],
    }
    write(mini_run / "claims.json", claims)
    out = build_report([mini_run], tmp_path / "report")
    index = (out / "index.html").read_text()
    assert 'class="badge supported"' in index and 'class="badge not-supported"' in index
    assert "<script>" not in index


def test_large_images_become_thumbnails_and_are_reused(mini_run: Path, tmp_path: Path, capsys):
    results = read(mini_run / "results.json")
    results["generation"]["height"] = results["generation"]["width"] = 512
    write(mini_run / "results.json", results)
    shown = next(
        p for p in (mini_run / "images").rglob("*.json") if read(p)["prompt"] == "a red circle"
    )
    shown.with_suffix(".png").write_bytes(b"not a png")
    out = build_report([mini_run], tmp_path / "report")
    thumbs = sorted((out / "img").rglob("*.jpg"))
    assert thumbs and not list((out / "img").rglob("*.png"))
    assert "could not be read" in capsys.readouterr().err
    inodes = {p.relative_to(out): p.stat().st_ino for p in thumbs}
    out = build_report([mini_run], out)
    again = {p.relative_to(out): p.stat().st_ino for p in (out / "img").rglob("*.jpg")}
    assert again == inodes  # the previous report's thumbnails were reused, not redrawn


def test_many_edits_give_one_column_per_method(mini_run: Path, tmp_path: Path, monkeypatch):
    import reports.sheets

    monkeypatch.setattr(reports.sheets, "MAX_COLUMNS", 3)
    out = build_report([mini_run], tmp_path / "report")
    concepts = (out / "concepts.html").read_text()
    href = re.search(r'href="(concept-\d+\.html)">red circle<', concepts).group(1)
    page = (out / href).read_text()
    assert "One column per method: its largest erase set containing this concept" in page
    row = page.split('<td class="prompt">a red circle</td>')[1].split("</tr>")[0]
    assert len(re.findall(r"<img ", row)) == 3  # unedited, scapre @ all, uce @ all
    assert "<th>scapre @ all<br>" in page and "<th>scapre @ one" not in page  # "erases it"


def _attack_row(template: dict, attack: str, tier: int, value: float, base: float) -> dict:
    """An attack row as the engine writes them (attack_success_rate/2), for this fixture."""
    return template | {
        "metric": f"attack_success_rate:{attack}",
        "kind": "attack_success_rate",
        "definition_version": "attack_success_rate/2",
        "higher_is_better": False,
        "probe": f"attack:{attack}",
        "concept": None,
        "family": None,
        "value": value,
        "attack": {"name": attack, "kind": "embedding_recovery", "tier": tier, "budget": None},
        "extra": {"base_rate": base, "base_n": 8, "raw_rate": value, "plain_rate": 0.0},
    }


def test_attacks_get_their_own_table_with_the_base_rate(mini_run: Path, tmp_path: Path):
    results = read(mini_run / "results.json")
    edited = next(m for m in results["metrics"] if m["method"] != "none" and m["concept"] is None)
    results["metrics"] += [
        _attack_row(edited, "recover", 1, 0.875, 0.625),
        _attack_row(edited, "replay", 0, 0.125, 0.75),
    ]
    write(mini_run / "results.json", results)
    index = (build_report([mini_run], tmp_path / "report") / "index.html").read_text()
    overview = index.split('id="overview"')[1].split("</section>")[0]
    attacks = index.split('id="attacks"')[1].split("</section>")[0]
    assert "attack_success_rate:recover" not in overview  # not one column per attack there
    assert "recover (tier 1)" in attacks and "replay (tier 0)" in attacks
    assert "87.5" in attacks and "62.5" in attacks  # the rate and the base model's beside it
    assert f"on {edited['method']}&#39;s inputs (unedited)" in attacks
