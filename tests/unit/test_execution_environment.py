"""The execution environment: `ansible-builder create` writes a build context holding our requirements, and
`ansible-builder introspect` finds them in the installed collection (its meta/execution-environment.yml).
Building the image needs podman or docker, which these tests do not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def requirement_names(path: Path) -> set:
    lines = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    return {line.split()[0].split(">")[0].split("=")[0].split("<")[0] for line in lines if line}


def run(command, cwd):
    # Outside the checkout and its ansible.cfg: the checkout's collections path already "has" stackops.platform.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    done = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(map(str, command))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    run([BIN / "ansible-galaxy", "collection", "build", "--output-path", out, ROOT], cwd=out)
    (found,) = out.glob("stackops-platform-*.tar.gz")
    return found


def test_the_collection_declares_its_python_and_system_requirements():
    meta = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    assert (ROOT / meta["dependencies"]["python"]).resolve() == ROOT / "requirements.txt"
    assert (ROOT / meta["dependencies"]["system"]).resolve() == ROOT / "bindep.txt"
    assert {"boto3", "botocore", "kubernetes"} <= requirement_names(ROOT / "requirements.txt")
    assert "ca-certificates" in requirement_names(ROOT / "bindep.txt")


def test_introspect_finds_the_requirements_in_the_installed_collection(tarball, tmp_path):
    run(
        [BIN / "ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", tmp_path, tarball],
        cwd=tmp_path,
    )
    installed = tmp_path / "ansible_collections" / "stackops" / "platform"
    assert (installed / "meta" / "execution-environment.yml").is_file()
    assert (installed / "bindep.txt").is_file() and (installed / "requirements.txt").is_file()
    found = yaml.safe_load(run([BIN / "ansible-builder", "introspect", "--sanitize", tmp_path], cwd=tmp_path))
    python = {line.split("#")[0].strip(): line for line in found["python"]}
    system = {line.split("#")[0].strip(): line for line in found["system"]}
    for requirement in ("boto3>=1.34.0", "botocore>=1.34.0", "kubernetes>=28.1.0"):
        assert requirement in python and python[requirement].endswith("from collection stackops.platform"), found
    assert any(s.startswith("ca-certificates") and "stackops.platform" in system[s] for s in system), found


def test_create_writes_a_context_with_the_collection_and_its_requirements(tarball, tmp_path):
    # ansible-builder copies additional_build_files relative to the definition: a copy of it beside the tarball.
    definition = tmp_path / "execution-environment.yml"
    definition.write_text((ROOT / "execution-environment.yml").read_text())
    for name in ("requirements.txt", "bindep.txt"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    (tmp_path / tarball.name).write_bytes(tarball.read_bytes())
    context = tmp_path / "context"
    run(
        [BIN / "ansible-builder", "create", "-f", definition, "-c", context, "--output-filename", "Containerfile"],
        cwd=tmp_path,
    )
    build = context / "_build"
    assert (build / "collection" / tarball.name).is_file()
    assert requirement_names(build / "requirements.txt") >= {"boto3", "botocore", "kubernetes"}
    assert "ca-certificates" in requirement_names(build / "bindep.txt")
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    names = [c["name"] for c in galaxy["collections"]]
    assert "/tmp/stackops-collection/stackops-platform.tar.gz" in names and "amazon.aws" in names
    containerfile = (context / "Containerfile").read_text()
    # The tarball reaches the galaxy stage before `ansible-galaxy collection install`, so introspection sees it.
    copy = containerfile.index("COPY _build/collection/ /tmp/stackops-collection/")
    install = containerfile.index("ansible-galaxy collection install")
    introspect = containerfile.index("introspect.py introspect")
    assert copy < install < introspect
    assert "quay.io/ansible/awx-ee:24.6.1" in containerfile
