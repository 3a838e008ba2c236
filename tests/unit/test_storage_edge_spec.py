"""The storage and edge specs' rules, and the pure parts of their converge (pure Python, no AWS)."""

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.module_utils._edge import deploy
from ansible_collections.stackops.platform.plugins.module_utils._edge import spec as edge
from ansible_collections.stackops.platform.plugins.module_utils._storage import spec as storage

LOGS = {"purpose": "logs", "versioning": False, "access_logging": False}


def storage_errors(*buckets, **params):
    return storage.validate(
        {"platform": "demo", "environment": "prod", "buckets": [*buckets, LOGS], "logs_bucket": "logs", **params},
        "us-east-1",
    )


def test_a_valid_spec_has_no_errors():
    bucket = {
        "purpose": "documents",
        "lifecycle": [
            {
                "id": "tiering",
                "transitions": [{"days": 30, "storage_class": "STANDARD_IA"}, {"days": 90, "storage_class": "GLACIER"}],
                "expiration_days": 365,
                "noncurrent_expiration_days": 30,
            }
        ],
        "cors": [{"origins": ["https://app.example.com", "http://localhost:3000"], "methods": ["GET"]}],
        "replication": True,
        "object_lock": {"mode": "COMPLIANCE", "years": 7},
        "grants": [{"role": "demo-prod-irsa-bank-service", "access": "read-write"}],
    }
    assert storage_errors(bucket, dr_region="us-west-2") == []


def test_glacier_may_come_at_day_zero_but_standard_ia_not_before_30():
    ok = {"purpose": "a", "lifecycle": [{"id": "x", "transitions": [{"days": 0, "storage_class": "GLACIER"}]}]}
    assert storage_errors(ok) == []
    bad = {"purpose": "a", "lifecycle": [{"id": "x", "transitions": [{"days": 29, "storage_class": "ONEZONE_IA"}]}]}
    [error] = storage_errors(bad)
    assert error.startswith("buckets[0].lifecycle[0].transitions[0].days: 29 is below S3's minimum of 30 days")


def test_transitions_must_go_down_the_waterfall():
    bad = {
        "purpose": "a",
        "lifecycle": [
            {
                "id": "x",
                "transitions": [
                    {"days": 90, "storage_class": "GLACIER"},
                    {"days": 120, "storage_class": "STANDARD_IA"},
                ],
            }
        ],
    }
    [error] = storage_errors(bad)
    assert "buckets[0].lifecycle[0].transitions[1].storage_class: STANDARD_IA cannot follow GLACIER" in error


def test_bucket_names_s3_rejects():
    assert storage.bucket_name_errors("b", "demo-prod-logs") == []
    assert storage.bucket_name_errors("b", "192.168.1.1")[0].endswith(
        "must not be formatted as an IP address (S3 bucket naming rules)"
    )
    assert "reserves" in storage.bucket_name_errors("b", "xn--demo")[0]
    assert "adjacent periods" in storage.bucket_name_errors("b", "demo..logs")[0]
    assert storage.bucket_name_errors("b", "ab")  # too short


def test_replica_key_needed_when_the_key_is_a_key_arn():
    arn = "arn:aws:kms:us-east-1:123456789012:key/12345678-1234-1234-1234-123456789012"
    bucket = {"purpose": "a", "encryption": "sse-kms", "kms_key": arn, "replication": True}
    [error] = storage_errors(bucket, dr_region="us-west-2")
    assert error.startswith("buckets[0].replica_kms_key: the bucket's key is a key ARN")


def test_lifecycle_rules_and_their_canonical_form_agree_with_what_s3_answers():
    bucket = storage.normalize_bucket(
        {"purpose": "a", "lifecycle": [{"id": "x", "transitions": [{"days": 90, "storage_class": "GLACIER"}]}]}
    )
    rules = storage.lifecycle_rules(bucket)
    assert [r["ID"] for r in rules] == ["x", "abort-incomplete-multipart-uploads"]
    answered = [dict(r, Filter={"Prefix": ""}, Transitions=[dict(t) for t in r.get("Transitions", [])]) for r in rules]
    assert storage.canonical_lifecycle(answered) == storage.canonical_lifecycle(rules)


def test_policy_comparison_ignores_order_and_one_element_lists():
    policy = storage.bucket_policy("aws", "demo-prod-a")
    answered = {"Statement": [dict(policy["Statement"][0], Action=["s3:*"])]}
    assert storage.canonical_policy(answered) == storage.canonical_policy(policy)


def edge_errors(**params):
    return edge.validate({"platform": "demo", "environment": "prod", "zone": "example.com", **params}, "us-east-1")


def test_edge_domains_must_be_in_the_zone():
    assert edge_errors(frontend_domain="app.example.com", api_domain="api.example.com") == []
    assert edge_errors(frontend_domain="*.example.com") == []
    [error] = edge_errors(frontend_domain="app.notexample.com")
    assert error.startswith("frontend_domain: 'app.notexample.com' is outside the hosted zone example.com")


def test_edge_refuses_a_regional_web_acl_and_old_tls():
    regional = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/x/12345678-1234-1234-1234-123456789012"
    errors = edge_errors(
        frontend_domain="app.example.com",
        frontend_waf_acl_arn=regional,
        frontend_minimum_protocol_version="TLSv1.1_2016",
    )
    assert any(e.startswith("frontend_waf_acl_arn:") and "REGIONAL" in e for e in errors)
    assert any(e.startswith("frontend_minimum_protocol_version:") for e in errors)


def test_an_unchanged_distribution_projects_equal_to_what_cloudfront_answers():
    params = {"frontend_domain": "app.example.com", "frontend_spa": True, "frontend_spa_error_codes": [403, 404]}
    names = edge.Names("demo", "prod")
    desired = edge.distribution_config(params, names, "us-east-1", "OAC1", "arn:cert", "demo-prod-frontend-logs", "ref")
    answered = dict(desired)
    answered["CustomErrorResponses"] = {
        "Quantity": 2,
        "Items": [dict(e, ErrorCode=str(e["ErrorCode"])) for e in reversed(desired["CustomErrorResponses"]["Items"])],
    }
    answered["OriginGroups"] = {"Quantity": 0}  # defaults CloudFront adds are not ours
    assert edge.project(answered) == edge.project(desired)
    changed = dict(desired, PriceClass="PriceClass_All")
    assert edge.project(changed) != edge.project(desired)


def test_hashed_assets_are_immutable_and_pages_revalidate():
    assert deploy.cache_control("assets/app.3f9a1c2e.js") == deploy.IMMUTABLE
    assert deploy.cache_control("static/js/main.5d41402abc4b2a76.chunk.js.map") == deploy.REVALIDATE
    assert deploy.cache_control("_next/static/chunks/main-5d41402abc4b2a76.js") == deploy.IMMUTABLE
    assert deploy.cache_control("index.html") == deploy.REVALIDATE
    assert deploy.cache_control("favicon.ico") == deploy.REVALIDATE
    assert deploy.content_type("index.html") == "text/html"
