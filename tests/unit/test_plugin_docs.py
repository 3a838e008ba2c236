"""`ansible-doc` renders every module, lookup, filter, callback and role of the collection (what users and
antsibull-docs read): each is listed, documented (no UNDOCUMENTED entry) and renders without an error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = str(Path(sys.executable).parent / "ansible-doc")
ON_DISK = {
    "module": {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if p.stem != "__init__"},
    "lookup": {p.stem for p in (ROOT / "plugins" / "lookup").glob("*.py") if p.stem != "__init__"},
    "callback": {p.stem for p in (ROOT / "plugins" / "callback").glob("*.py") if p.stem != "__init__"},
    "role": {p.name for p in (ROOT / "roles").iterdir() if (p / "meta" / "argument_specs.yml").exists()},
    "filter": {p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml")},
}


def ansible_doc(*args):
    environment = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    done = subprocess.run(
        [DOC, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("kind", sorted(ON_DISK))
def test_every_plugin_is_listed_documented_and_renders(kind):
    rc, out, err = ansible_doc("-t", kind, "-l", "--json", "stackops.platform")
    assert rc == 0, err
    listed = json.loads(out)
    names = sorted(listed)
    short = {n.removeprefix("stackops.platform.") for n in names}
    assert ON_DISK[kind] <= short, f"not listed by ansible-doc: {sorted(ON_DISK[kind] - short)}"
    if kind == "role":  # listed with their entry points' short descriptions (the galaxy_info one is not read)
        undocumented = [n for n, d in listed.items() if not d["entry_points"] or not all(d["entry_points"].values())]
    else:
        undocumented = [n for n, d in listed.items() if "UNDOCUMENTED" in str(d)]
    assert undocumented == []
    rc, out, err = ansible_doc("-t", kind, "--json", *names)
    assert rc == 0, err
    assert "ERROR" not in err and "[WARNING]" not in err, err
    rendered = json.loads(out)
    assert sorted(rendered) == names
    for name, found in rendered.items():
        doc = found.get("doc") or {}
        if kind == "role":
            assert found.get("entry_points"), f"{name}: no entry points"
            doc = found["entry_points"].get("main") or next(iter(found["entry_points"].values()))
        assert doc.get("short_description"), f"{name}: no short_description"
    # The text form too (what a user reads): one call per kind, every name in it.
    rc, text, err = ansible_doc("-t", kind, *names)
    assert rc == 0 and "ERROR" not in err, err
    for name in names:
        assert name in text


# The collections the docs may reference (and those collections' own dependencies: none today). The linter
# validates references against every collection it can see; seeing only these (instead of the ~90 the
# `ansible` package installs) makes its metadata dump take seconds, not minutes, and
# --disallow-unknown-collection-refs fails the test on a reference to any collection outside this list.
REFERENCED_COLLECTIONS = ("amazon.aws", "ansible.posix", "kubernetes.core")


def test_antsibull_docs_lint_collection_docs_is_clean(tmp_path):
    """The docs build's linter: markup, references between plugins/modules/roles, RST generation. References are
    validated against every collection it sees ("all"): the default ("dependent") copies amazon.aws from where
    pip installed it into a tree where its doc fragments are not found, and then reports every module."""
    import ansible_collections

    installed = Path(list(ansible_collections.__path__)[-1])
    for name in REFERENCED_COLLECTIONS:
        namespace, collection = name.split(".")
        (tmp_path / "ansible_collections" / namespace).mkdir(parents=True, exist_ok=True)
        (tmp_path / "ansible_collections" / namespace / collection).symlink_to(installed / namespace / collection)
    (tmp_path / "ansible_collections" / "stackops").mkdir()
    (tmp_path / "ansible_collections" / "stackops" / "platform").symlink_to(ROOT)
    bin_dir = Path(sys.executable).parent
    environment = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    environment["ANSIBLE_CONFIG"] = str(ROOT / "ansible.cfg")
    environment["ANSIBLE_COLLECTIONS_PATH"] = str(tmp_path)
    environment["ANSIBLE_COLLECTIONS_SCAN_SYS_PATH"] = "false"
    command = [
        str(bin_dir / "antsibull-docs"),
        "lint-collection-docs",
        "--plugin-docs",
        "--validate-collection-refs",
        "all",
        "--disallow-unknown-collection-refs",
        ".",
    ]
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
