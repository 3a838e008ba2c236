"""The search spec: every rule and the filter's variable names (pure Python); the master password generator."""

from __future__ import annotations

import pytest

from ansible_collections.stackops.platform.plugins.filter.search import search_spec_errors
from ansible_collections.stackops.platform.plugins.module_utils._search import spec as sp
from ansible_collections.stackops.platform.plugins.module_utils._search.reconcile import PASSWORD_SPECIALS
from ansible_collections.stackops.platform.plugins.module_utils._search.reconcile import generate_password


def valid(**changes):
    spec = {
        "name": "brandmon-prod-search",
        "engine_version": "OpenSearch_2.11",
        "instance_type": "r6g.large.search",
        "instance_count": 3,
        "zone_awareness": True,
        "availability_zone_count": 3,
        "volume_type": "gp3",
        "volume_size": 100,
        "encryption_at_rest": True,
        "node_to_node_encryption": True,
        "enforce_https": True,
        "tls_security_policy": "Policy-Min-TLS-1-2-2019-07",
        "subnet_ids": ["subnet-0a1b2c3d", "subnet-1a1b2c3d", "subnet-2a1b2c3d"],
        "security_group_ids": ["sg-0a1b2c3d"],
        "automated_snapshot_start_hour": 3,
        "fine_grained_access_control": True,
        "master_user_name": "admin",
        "master_user_secret_name": "prod/brandmon/search/master-user",
    }
    spec.update(changes)
    return spec


def test_seed_002_domain_is_valid():
    assert sp.validate(valid()) == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instance_count": 4}, "instance_count: 4 data nodes do not spread evenly over 3 AZs"),
        ({"instance_count": 81}, "instance_count: 81 must be 1 to 80"),
        ({"availability_zone_count": 4}, "availability_zone_count: 4 must be 2 or 3"),
        ({"subnet_ids": ["subnet-0a1b2c3d"]}, "subnet_ids: a zone-aware VPC domain takes one subnet per AZ (3), got 1"),
        ({"volume_size": 2048}, "volume_size: 2048 GiB is out of range for r6g.large.search (10 to 1024"),
        ({"volume_size": 5}, "volume_size: 5 GiB is out of range"),
        ({"engine_version": "Elasticsearch_7.10"}, "engine_version: 'Elasticsearch_7.10' is not an engine version"),
        ({"instance_type": "r6g.large"}, "instance_type: 'r6g.large' is not an OpenSearch instance type"),
        ({"tls_security_policy": "TLS-1-3"}, "tls_security_policy: 'TLS-1-3' is not one of"),
        ({"automated_snapshot_start_hour": 24}, "automated_snapshot_start_hour: 24 must be an hour"),
        ({"enforce_https": False}, "fine_grained_access_control: needs enforce_https on"),
        ({"node_to_node_encryption": False}, "fine_grained_access_control: needs node_to_node_encryption on"),
        ({"master_user_secret_name": None}, "master_user_secret_name: fine-grained access control keeps"),
        ({"name": "Search"}, "name: 'Search' must be 3-28 lowercase"),
        ({"security_group_ids": ["search"]}, "security_group_ids[0]: 'search' is not a security group id"),
    ],
)
def test_each_rule_names_the_variable(changes, message):
    errors = sp.validate(valid(**changes))
    assert any(message in e for e in errors), errors


def test_without_zone_awareness_any_count_is_fine():
    assert sp.validate(valid(zone_awareness=False, instance_count=1, subnet_ids=["subnet-0a1b2c3d"])) == []


def test_the_filter_names_role_variables():
    assert search_spec_errors(valid(instance_count=5))[0].startswith("search_instance_count: 5 data nodes")


def test_versions_compare_numerically():
    assert sp.version_key("OpenSearch_2.11") > sp.version_key("OpenSearch_2.9")


def test_generated_passwords_meet_the_master_user_policy():
    for _n in range(20):
        value = generate_password()
        assert len(value) == 32
        assert any(c.isupper() for c in value) and any(c.islower() for c in value)
        assert any(c.isdigit() for c in value) and any(c in PASSWORD_SPECIALS for c in value)
