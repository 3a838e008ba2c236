"""Every runbook has its on-call page, docs/runbooks/<name>.md, with the sections an engineer paged at night looks
for, and the runbooks' index lists it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNBOOKS = sorted(p.stem for p in (ROOT / "playbooks" / "runbooks").glob("*.yml"))
DOCS = ROOT / "docs" / "runbooks"
SECTIONS = (
    "When to use it",
    "Risk",
    "Inputs",
    "What it does",
    "Dry run",
    "Output",
    "When it fails",
    "Seed procedure it replaces",
)


def sections(text: str) -> dict:
    """The page's level-2 sections: heading -> body."""
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def test_there_are_runbooks():
    assert "deploy" in RUNBOOKS and "region_failover" in RUNBOOKS


@pytest.mark.parametrize("name", RUNBOOKS)
def test_every_runbook_has_a_page_with_every_section(name):
    page = DOCS / f"{name}.md"
    assert page.is_file(), f"docs/runbooks/{name}.md is missing"
    text = page.read_text()
    assert f"playbooks/runbooks/{name}.yml" in text, "the page names its playbook"
    found = sections(text)
    missing = [s for s in SECTIONS if s not in found]
    assert missing == [], f"docs/runbooks/{name}.md lacks: {missing}"
    empty = [s for s in SECTIONS if not found[s]]
    assert empty == [], f"docs/runbooks/{name}.md has empty sections: {empty}"
    assert [s for s in found if s in SECTIONS] == list(SECTIONS), "sections in the usual order"
    assert re.search(r"[Ss]eed 00\d", found["Seed procedure it replaces"]), "name the seed"
    assert "--check" in found["Dry run"]


def test_the_index_lists_every_runbook_and_the_readme_points_to_it():
    index = (DOCS / "README.md").read_text()
    rows = set(re.findall(r"^\| `(\w+)\.yml", index, flags=re.MULTILINE))
    assert rows == set(RUNBOOKS)
    for name in RUNBOOKS:
        assert f"]({name}.md)" in index, name
    assert "docs/runbooks/README.md" in (ROOT / "README.md").read_text()
