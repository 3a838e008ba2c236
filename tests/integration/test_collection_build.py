"""The collection as users get it: built, installed into an empty collections path, used from outside the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAX_BYTES = 1_000_000  # today about 150 kB; a venv or test output slipping in would be hundreds of MB
# Nothing from a developer's machine goes into the tarball: the venv, test and emulator output, caches.
NEVER = (
    ".venv/",
    ".collections/",
    ".emulator/",
    "tests/output/",
    ".git/",
    ".ansible/",
    ".pytest_cache/",
    ".ruff_cache/",
)
NEEDED = (
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "meta/runtime.yml",
    "plugins/modules/vpc_network.py",
    "plugins/modules/vpc_network_info.py",
    "plugins/module_utils/platform.py",
    "plugins/module_utils/_network/spec.py",
    "plugins/module_utils/_network/state.py",
    "plugins/module_utils/_network/reconcile.py",
    "plugins/filter/network.py",
    "plugins/doc_fragments/platform.py",
    "roles/vpc/tasks/main.yml",
    "roles/vpc/meta/argument_specs.yml",
    "playbooks/network.yml",
)

OUTSIDE_PLAYBOOK = """
- name: The network tier from the installed collection
  hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
    platform_name: outside
    platform_environment: dev
    platform_region: us-east-1
    vpc_cidr: 10.30.0.0/16
    vpc_azs: [us-east-1a, us-east-1b]
    vpc_nat_mode: single
  module_defaults:
    group/stackops.platform.aws:
      endpoint_url: "{{ aws_endpoint_url }}"
      access_key: emulator
      secret_key: emulator
  environment:
    AWS_REGION: us-east-1
  roles:
    - role: stackops.platform.vpc
  tasks:
    - name: The module directly, same spec, nothing to change
      stackops.platform.vpc_network:
        name: outside-dev
        platform: outside
        environment: dev
        cidr: 10.30.0.0/16
        azs: [us-east-1a, us-east-1b]
        subnets: "{{ '10.30.0.0/16' | stackops.platform.subnet_plan(['us-east-1a', 'us-east-1b']) }}"
        nat_mode: single
        tags: {}
      register: direct

    - name: Discovery by tags
      stackops.platform.vpc_network_info:
        platform: outside
        environment: dev
      register: found

    - name: Both see the network the role built
      ansible.builtin.assert:
        that:
          - not direct.changed
          - found.network.vpc_id == vpc_network.vpc_id
          - direct.network.vpc_id == vpc_network.vpc_id
"""


def _run(command, **kwargs):
    completed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=300, **kwargs)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    _run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(out), str(ROOT)], cwd=ROOT)
    (built,) = out.glob("stackops-platform-*.tar.gz")
    return built


def test_galaxy_yml_ignores_local_state():
    ignored = set(yaml.safe_load((ROOT / "galaxy.yml").read_text())["build_ignore"])
    assert {".venv", ".collections", ".emulator", "tests/output", ".ansible", "*.tar.gz"} <= ignored


def test_the_tarball_is_small_and_holds_the_collection(tarball):
    size = tarball.stat().st_size
    assert size < MAX_BYTES, f"{tarball.name} is {size} bytes"
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert not [n for n in names if n.startswith(NEVER) or "/__pycache__/" in n or n.endswith(".pyc")]
    assert set(NEEDED) <= set(names), set(NEEDED) - set(names)
    with tarfile.open(tarball) as archive:
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("stackops", "platform")
    assert "amazon.aws" in info["dependencies"]


def test_installed_tarball_works_from_outside_the_checkout(emulator, tarball, tmp_path):
    collections = tmp_path / "collections"
    collections.mkdir()
    # No ansible.cfg from the checkout: the installed copy is the only stackops.platform there is.
    (tmp_path / "ansible.cfg").write_text("[defaults]\nstdout_callback = ansible.posix.json\n")
    site_packages = sysconfig.get_paths()["purelib"]  # amazon.aws and ansible.posix, as pip installed them
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHONPATH"))}
    env.update(
        ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=f"{collections}:{site_packages}",
        ANSIBLE_NOCOLOR="1",
        HOME=str(tmp_path),
    )
    galaxy = str(BIN / "ansible-galaxy")
    _run([galaxy, "collection", "install", "--offline", "-p", str(collections), str(tarball)], cwd=tmp_path, env=env)
    assert (collections / "ansible_collections/stackops/platform/plugins/modules/vpc_network.py").is_file()
    listed = json.loads(
        _run([galaxy, "collection", "list", "stackops.platform", "--format", "json"], cwd=tmp_path, env=env).stdout
    )
    assert list(listed) == [str(collections / "ansible_collections")], listed

    (tmp_path / "network.yml").write_text(OUTSIDE_PLAYBOOK)
    completed = subprocess.run(
        [str(BIN / "ansible-playbook"), "network.yml", "-i", "localhost,", "-e", f"aws_endpoint_url={emulator.url}"],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr
    output = json.loads(completed.stdout)
    paths = {t["task"].get("path", "") for p in output["plays"] for t in p["tasks"]}
    assert not [p for p in paths if p.startswith(str(ROOT))], paths
    assert [p for p in paths if p.startswith(f"{collections}/ansible_collections/stackops/platform/roles/vpc/")]

    ec2 = emulator.boto3_client("ec2")
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:stackops:platform", "Values": ["outside"]}])["Vpcs"]
    assert [v["CidrBlock"] for v in vpcs] == ["10.30.0.0/16"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"]
    assert len(subnets) == 6
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["NatGateways"]
    assert len([n for n in nats if n["State"] == "available"]) == 1
