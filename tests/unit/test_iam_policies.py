"""Policy documents from the inventory: validation against IAM's rules and limits, comparison, files."""

from __future__ import annotations

import json

import pytest

from ansible_collections.stackops.platform.plugins.filter.iam import iam_policy_files
from ansible_collections.stackops.platform.plugins.module_utils import iam_policies as ip

S3_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::docs/*"}],
}


def errors_of(policies, where="cluster_eks_irsa_roles[1].policies"):
    errors = []
    ip.validate_policies(policies, where, errors)
    return errors


def test_valid_inline_and_managed_documents_pass():
    assert (
        errors_of(
            [{"name": "s3", "document": S3_READ}, {"name": "lb", "managed": True, "document": json.dumps(S3_READ)}]
        )
        == []
    )


BAD = {
    "not JSON": ({"name": "p", "document": "{not json"}, "policies[0].document: not a policy document"),
    "no version": (
        {"name": "p", "document": {"Statement": S3_READ["Statement"]}},
        "policies[0].document.Version: None must be 2012-10-17",
    ),
    "effect": (
        {"name": "p", "document": {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Effect": "Permit"}]}},
        "policies[0].document.Statement[0].Effect: 'Permit' must be Allow or Deny",
    ),
    "no resource": (
        {"name": "p", "document": {**S3_READ, "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}},
        "policies[0].document.Statement[0]: needs Resource or NotResource",
    ),
    "principal": (
        {"name": "p", "document": {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Principal": "*"}]}},
        "policies[0].document.Statement[0].Principal: a role's permission policy has no Principal",
    ),
    "action form": (
        {"name": "p", "document": {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Action": "GetObject"}]}},
        "policies[0].document.Statement[0].Action: 'GetObject' is not an action",
    ),
    "name": ({"name": "s3 read", "document": S3_READ}, "policies[0].name: 's3 read' must be 1-128 letters"),
    "unreadable file": (
        {"name": "p", "file": "/nonexistent/lbc.json"},
        "policies[0].file: cannot read '/nonexistent/lbc.json'",
    ),
    "managed too big": (
        {
            "name": "p",
            "managed": True,
            "document": {
                **S3_READ,
                "Statement": [
                    {**S3_READ["Statement"][0], "Resource": [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(300)]}
                ],
            },
        },
        "characters; IAM takes at most 6144 in a managed policy",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_broken_rule_is_named(case):
    policy, message = BAD[case]
    errors = errors_of([policy])
    assert any(message in e for e in errors), errors
    assert all(e.startswith("cluster_eks_irsa_roles[1].policies") for e in errors)


def test_inline_policies_of_a_role_share_10240_characters():
    big = {
        **S3_READ,
        "Statement": [{**S3_READ["Statement"][0], "Resource": [f"arn:aws:s3:::b-{i:04d}/*" for i in range(250)]}],
    }
    errors = errors_of([{"name": "a", "document": big}, {"name": "b", "document": big}])
    assert any("the inline policies have" in e and "at most 10240 per role" in e for e in errors), errors


def test_twice_the_same_name_is_refused():
    assert "policies[1].name: p is defined twice" in " ".join(errors_of([{"name": "p", "document": S3_READ}] * 2))


def test_what_iam_returns_compares_equal_to_the_inventory():
    returned = {
        "Version": "2012-10-17",
        "Statement": {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*", "Effect": "Allow"},
    }
    assert ip.normalise(returned) == ip.normalise(json.dumps(S3_READ))
    changed = {**S3_READ, "Statement": [{**S3_READ["Statement"][0], "Action": ["s3:GetObject", "s3:ListBucket"]}]}
    assert ip.normalise(changed) != ip.normalise(S3_READ)


def test_files_are_read_relative_to_the_inventory(tmp_path):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "lbc.json").write_text(json.dumps(S3_READ))
    (tmp_path / "policies" / "s3.yml").write_text(
        "Version: '2012-10-17'\nStatement:\n  - {Effect: Allow, Action: s3:GetObject, Resource: '*'}\n"
    )
    roles = [
        {
            "name": "lbc",
            "policies": [
                {"name": "lbc", "file": "policies/lbc.json", "managed": True},
                {"name": "s3", "file": "policies/s3.yml"},
            ],
        },
        {"name": "other", "policies": [{"name": "gone", "file": "policies/missing.json"}]},
    ]
    loaded = iam_policy_files(roles, str(tmp_path))
    assert loaded[0]["policies"][0] == {"name": "lbc", "managed": True, "document": S3_READ}
    assert loaded[0]["policies"][1]["document"]["Statement"][0]["Action"] == "s3:GetObject"
    assert loaded[1]["policies"][0] == {"name": "gone", "file": "policies/missing.json"}  # validation names it
    direct = iam_policy_files([{"name": "lbc", "file": str(tmp_path / "policies" / "lbc.json")}])
    assert direct == [{"name": "lbc", "document": S3_READ}]
