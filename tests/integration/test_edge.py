"""The edge tier converged on the emulator, read back from the API with boto3.

One converged environment (module scope): network, security, storage and edge of inventories/local; then the
load balancers the cluster tier would make are created in both regions and the edge converged again, which
turns the API's name into a failover pair. The tests after those start from an emptied emulator.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_playbook

TIERS = "tests/integration/storage_edge_tiers.yml"
PRIMARY = "local-use1"
ZONE = "demo.example.com."
TASK = "Converge the edge"


def writes(emulator):
    return [f"{c['service']}:{c['operation']}" for c in emulator.writes()]


def make_load_balancer(emulator, region):
    """The cluster tier's load balancer (demo-local-alb) in the region's public subnets."""
    ec2 = emulator.boto3_client("ec2", region)
    subnets = (
        ec2.describe_subnets(
            Filters=[
                {"Name": "tag:stackops:platform", "Values": ["demo"]},
                {"Name": "map-public-ip-on-launch", "Values": ["true"]},
            ]
        )["Subnets"]
        or ec2.describe_subnets(Filters=[{"Name": "tag:stackops:platform", "Values": ["demo"]}])["Subnets"]
    )
    by_az = {}
    for subnet in subnets:
        by_az.setdefault(subnet["AvailabilityZone"], subnet["SubnetId"])
    found = emulator.boto3_client("elbv2", region).create_load_balancer(
        Name="demo-local-alb", Subnets=list(by_az.values())[:2], Type="application", Scheme="internet-facing"
    )
    return found["LoadBalancers"][0]


def distribution(emulator):
    cf = emulator.boto3_client("cloudfront")
    [summary] = cf.list_distributions()["DistributionList"]["Items"]
    found = cf.get_distribution_config(Id=summary["Id"])
    return summary, found["DistributionConfig"], found["ETag"]


def records(emulator):
    route53 = emulator.boto3_client("route53")
    [zone] = [z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == ZONE]
    found = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    return {(r["Name"], r["Type"], r.get("SetIdentifier")): r for r in found}


@pytest.fixture(scope="module")
def converged(emulator_session):
    emulator_session.reset()
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    emulator_session.boto3_client("iam").create_role(
        RoleName="demo-local-ecs-task-us-east-1", AssumeRolePolicyDocument=json.dumps(trust)
    )
    first = run_playbook(emulator_session, TIERS)
    assert first.rc == 0, first.messages()
    balancers = {region: make_load_balancer(emulator_session, region) for region in ("us-east-1", "us-west-2")}
    second = run_playbook(emulator_session, "playbooks/edge.yml", diff=True)
    assert second.rc == 0, second.messages()
    return first, second, balancers


def test_certificates_are_issued_after_their_dns_validation(emulator_session, converged):
    acm = emulator_session.boto3_client("acm")
    certificates = {}
    for summary in acm.list_certificates()["CertificateSummaryList"]:
        detail = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
        certificates[detail["DomainName"]] = detail
    front = certificates["app.demo.example.com"]
    assert front["Status"] == "ISSUED" and front["Type"] == "AMAZON_ISSUED"
    assert sorted(front["SubjectAlternativeNames"]) == ["app.demo.example.com", "www.demo.example.com"]
    assert {o["ValidationStatus"] for o in front["DomainValidationOptions"]} == {"SUCCESS"}
    assert certificates["api.demo.example.com"]["Status"] == "ISSUED"
    found = records(emulator_session)
    for option in front["DomainValidationOptions"]:
        record = option["ResourceRecord"]
        cname = found[(record["Name"], "CNAME", None)]
        assert cname["ResourceRecords"] == [{"Value": record["Value"]}]
    tags = {t["Key"]: t["Value"] for t in acm.list_tags_for_certificate(CertificateArn=front["CertificateArn"])["Tags"]}
    assert tags["stackops:component"] == "edge"


def test_distribution_serves_the_private_bucket_with_the_certificate_tls12_and_waf(emulator_session, converged):
    summary, config, _etag = distribution(emulator_session)
    cf = emulator_session.boto3_client("cloudfront")
    [oac] = [
        o
        for o in cf.list_origin_access_controls()["OriginAccessControlList"]["Items"]
        if o["Name"] == "demo-local-frontend"
    ]
    assert sorted(config["Aliases"]["Items"]) == ["app.demo.example.com", "www.demo.example.com"]
    assert config["DefaultRootObject"] == "index.html" and config["PriceClass"] == "PriceClass_100"
    [origin] = config["Origins"]["Items"]
    assert origin["DomainName"] == "demo-local-frontend.s3.us-east-1.amazonaws.com"
    assert origin["OriginAccessControlId"] == oac["Id"] and oac["SigningBehavior"] == "always"
    viewer = config["ViewerCertificate"]
    acm = emulator_session.boto3_client("acm")
    app = [c for c in acm.list_certificates()["CertificateSummaryList"] if c["DomainName"] == "app.demo.example.com"]
    assert viewer["ACMCertificateArn"] == app[0]["CertificateArn"]
    assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021" and viewer["SSLSupportMethod"] == "sni-only"
    assert viewer["CloudFrontDefaultCertificate"] is False
    errors = {
        (e["ErrorCode"], e["ResponsePagePath"], e["ResponseCode"]) for e in config["CustomErrorResponses"]["Items"]
    }
    assert errors == {(403, "/index.html", "200"), (404, "/index.html", "200")}
    waf = emulator_session.boto3_client("wafv2").list_web_acls(Scope="CLOUDFRONT")["WebACLs"]
    assert config["WebACLId"] == waf[0]["ARN"]
    assert config["Logging"]["Enabled"] and config["Logging"]["Bucket"] == "demo-local-frontend-logs.s3.amazonaws.com"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert summary["Status"] == "Deployed"
    s3 = emulator_session.boto3_client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket="demo-local-frontend")["Policy"])
    grant = next(s for s in policy["Statement"] if s["Sid"] == "CloudFrontOriginAccessControl")
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"} and grant["Action"] == "s3:GetObject"
    assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": summary["ARN"]}}
    assert all(s3.get_public_access_block(Bucket="demo-local-frontend")["PublicAccessBlockConfiguration"].values())
    ownership = s3.get_bucket_ownership_controls(Bucket="demo-local-frontend-logs")["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerPreferred"}]  # CloudFront's standard logs use ACLs


def test_alias_records_and_the_api_failover_pair(emulator_session, converged):
    _first, _second, balancers = converged
    summary, _config, _etag = distribution(emulator_session)
    found = records(emulator_session)
    for name in ("app.demo.example.com.", "www.demo.example.com."):
        for kind in ("A", "AAAA"):
            alias = found[(name, kind, None)]["AliasTarget"]
            assert alias["HostedZoneId"] == "Z2FDTNDATAQYW2" and alias["DNSName"].rstrip(".") == summary["DomainName"]
    primary = found[("api.demo.example.com.", "A", "primary")]
    secondary = found[("api.demo.example.com.", "A", "secondary")]
    assert ("api.demo.example.com.", "A", None) not in found
    assert primary["Failover"] == "PRIMARY" and secondary["Failover"] == "SECONDARY"
    assert primary["AliasTarget"]["DNSName"].rstrip(".") == balancers["us-east-1"]["DNSName"]
    assert secondary["AliasTarget"]["DNSName"].rstrip(".") == balancers["us-west-2"]["DNSName"]
    check = emulator_session.boto3_client("route53").get_health_check(HealthCheckId=primary["HealthCheckId"])
    config = check["HealthCheck"]["HealthCheckConfig"]
    assert config["Type"] == "HTTPS" and config["ResourcePath"] == "/health" and config["Port"] == 443
    assert config["FullyQualifiedDomainName"] == balancers["us-east-1"]["DNSName"]


def test_a_later_converge_turns_the_plain_api_record_into_the_failover_pair(converged):
    first, second, _balancers = converged
    warnings = first.result(TASK, PRIMARY)["warnings"]  # naming the role variable the user set
    assert any("edge_api_domain: no load balancer demo-local-alb in us-east-1" in w for w in warnings), warnings
    changes = second.result(TASK, PRIMARY)["changes"]
    assert any(c.startswith("create Route 53 health check https://demo-local-alb") for c in changes), changes
    assert any(
        "upsert api.demo.example.com. A PRIMARY" in c and "upsert api.demo.example.com. A SECONDARY" in c
        for c in changes
    )
    assert not any("CloudFront distribution" in c for c in changes)  # the distribution was left alone


def test_second_converge_makes_no_write_and_no_distribution_update(emulator_session, converged):
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, "playbooks/edge.yml")
    assert run.rc == 0, run.messages()
    assert run.changed() == 0 and writes(emulator_session) == []
    ops = emulator_session.calls()["by_operation"]
    assert ops["cloudfront:GetDistributionConfig"] == 1 and "cloudfront:UpdateDistribution" not in ops


def test_a_changed_setting_is_one_update_with_the_etag(emulator_session, converged):
    before, _config, etag = distribution(emulator_session)
    emulator_session.clear_calls()
    run = run_playbook(
        emulator_session,
        "playbooks/edge.yml",
        limit=PRIMARY,
        extra_vars={"edge_frontend_price_class": "PriceClass_200"},
        diff=True,
    )
    assert run.rc == 0, run.messages()
    result = run.result(TASK, PRIMARY)
    assert [c for c in result["changes"] if "CloudFront" in c] == [
        f"update CloudFront distribution {before['Id']}: price_class"
    ]
    assert result["diff"]["before"]["distribution"]["price_class"] == "PriceClass_100"
    assert result["diff"]["after"]["distribution"]["price_class"] == "PriceClass_200"
    assert writes(emulator_session) == ["cloudfront:UpdateDistribution"]
    _after, config, new_etag = distribution(emulator_session)
    assert config["PriceClass"] == "PriceClass_200" and new_etag != etag
    assert config["Origins"]["Items"][0]["OriginAccessControlId"]  # the rest of the configuration kept
    emulator_session.clear_calls()
    again = run_playbook(
        emulator_session,
        "playbooks/edge.yml",
        limit=PRIMARY,
        extra_vars={"edge_frontend_price_class": "PriceClass_200"},
    )
    assert again.rc == 0 and again.changed() == 0 and writes(emulator_session) == []


def test_an_update_with_a_stale_etag_is_refused(emulator_session, converged):
    summary, config, _etag = distribution(emulator_session)
    cf = emulator_session.boto3_client("cloudfront")
    with pytest.raises(cf.exceptions.PreconditionFailed):
        cf.update_distribution(Id=summary["Id"], IfMatch="ESTALE0000000", DistributionConfig=config)


# -- the front end deploy runbook (on the converged environment) ------------------------------------------------------

RUNBOOK = "playbooks/runbooks/frontend_deploy.yml"


def build(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_frontend_deploy_uploads_with_cache_headers_invalidates_and_waits(emulator_session, converged, tmp_path):
    source = build(
        tmp_path / "v1",
        {
            "index.html": '<script src="/assets/app.3f9a1c2e.js"></script>',
            "assets/app.3f9a1c2e.js": "console.log(1)",
            "assets/old.0badc0de.css": "body{}",
            "favicon.ico": "icon",
        },
    )
    plan = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source}, check=True)
    assert plan.rc == 0, plan.messages()
    planned = plan.result("Deploy", PRIMARY)["deploy"]
    assert sorted(planned["uploaded"]) == [
        "assets/app.3f9a1c2e.js",
        "assets/old.0badc0de.css",
        "favicon.ico",
        "index.html",
    ]
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source})
    assert run.rc == 0, run.messages()
    result = run.result("Deploy", PRIMARY)
    assert [p["phase"] for p in result["phases"]] == ["preflight", "upload", "delete", "invalidate", "wait"]
    assert result["deploy"]["invalidation_status"] == "Completed"
    uploads = [c for c in result["changes"] if c.startswith("upload ")]
    assert uploads[-1].startswith("upload index.html")  # pages after the assets they name
    s3 = emulator_session.boto3_client("s3")
    page = s3.head_object(Bucket="demo-local-frontend", Key="index.html")
    asset = s3.head_object(Bucket="demo-local-frontend", Key="assets/app.3f9a1c2e.js")
    assert page["CacheControl"] == "no-cache" and page["ContentType"] == "text/html"
    assert asset["CacheControl"] == "public, max-age=31536000, immutable" and asset["ContentType"] == "text/javascript"
    cf = emulator_session.boto3_client("cloudfront")
    invalidation = cf.get_invalidation(
        DistributionId=result["deploy"]["distribution_id"], Id=result["deploy"]["invalidation_id"]
    )
    assert invalidation["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == ["/*"]
    assert emulator_session.calls()["by_operation"]["cloudfront:GetInvalidation"] >= 1  # waited for it

    emulator_session.clear_calls()
    again = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source})
    assert again.rc == 0 and again.changed() == 0 and writes(emulator_session) == []

    (tmp_path / "v1" / "assets" / "old.0badc0de.css").unlink()
    (tmp_path / "v1" / "index.html").write_text("<p>v2</p>")
    emulator_session.clear_calls()
    third = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source}, check=True)
    planned = third.result("Deploy", PRIMARY)
    assert planned["deploy"]["uploaded"] == ["index.html"] and planned["deploy"]["deleted"] == [
        "assets/old.0badc0de.css"
    ]
    assert "delete assets/old.0badc0de.css" in planned["changes"] and writes(emulator_session) == []
    fourth = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source})
    assert fourth.rc == 0, fourth.messages()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="demo-local-frontend")["Contents"]]
    assert (
        "assets/old.0badc0de.css" not in keys
        and s3.get_object(Bucket="demo-local-frontend", Key="index.html")["Body"].read() == b"<p>v2</p>"
    )


def test_frontend_deploy_to_a_protected_environment_needs_confirm(emulator_session, converged, tmp_path):
    source = build(tmp_path / "b", {"index.html": "<p>x</p>"})
    emulator_session.clear_calls()
    run = run_playbook(
        emulator_session,
        RUNBOOK,
        limit=PRIMARY,
        extra_vars={"source": source, "platform_protected_environments": ["local"]},
    )
    assert run.rc != 0 and "-e confirm=demo-local-frontend" in run.messages()
    assert emulator_session.calls()["calls"] == []


def test_frontend_deploy_refuses_a_build_without_its_root_object(emulator_session, converged, tmp_path):
    source = build(tmp_path / "c", {"app.js": "x"})
    emulator_session.clear_calls()
    run = run_playbook(emulator_session, RUNBOOK, limit=PRIMARY, extra_vars={"source": source})
    assert run.rc != 0 and f"source: {source} has no index.html" in run.messages()
    assert writes(emulator_session) == []


# -- from an empty account ------------------------------------------------------------------------------------------


def test_check_mode_on_an_empty_account_plans_without_writing(emulator, playbook):
    run = playbook("playbooks/edge.yml", limit=PRIMARY, check=True, diff=True)
    assert run.rc == 0, run.messages()
    assert emulator.writes() == []
    changes = run.result(TASK, PRIMARY)["changes"]
    assert "create hosted zone demo.example.com." in changes
    assert (
        "request ACM certificate for app.demo.example.com, www.demo.example.com in us-east-1 (DNS validation)"
        in changes
    )
    assert any(c.startswith("create CloudFront distribution for app.demo.example.com") for c in changes)
    diff = run.result(TASK, PRIMARY)["diff"]
    assert diff["before"]["distribution"] is None and diff["after"]["distribution"]["price_class"] == "PriceClass_100"


def test_creates_whose_responses_are_lost_make_one_of_everything(emulator, playbook):
    lost = [
        "CreateHostedZone",
        "RequestCertificate",
        "CreateBucket",
        "CreateOriginAccessControl",
        "CreateDistributionWithTags",
    ]
    emulator.set_faults(lost_responses=dict.fromkeys(lost, 1))
    run = playbook("playbooks/edge.yml", limit=PRIMARY, extra_vars={"edge_frontend_waf": False})
    assert run.rc == 0, run.messages()
    assert sorted(c["operation"] for c in emulator.calls()["calls"] if c["fault"] == "lost_response") == sorted(lost)
    route53, cf = emulator.boto3_client("route53"), emulator.boto3_client("cloudfront")
    assert [z["Name"] for z in route53.list_hosted_zones()["HostedZones"]] == [ZONE]
    assert cf.list_distributions()["DistributionList"]["Quantity"] == 1
    assert cf.list_origin_access_controls()["OriginAccessControlList"]["Quantity"] == 1
    domains = sorted(
        c["DomainName"] for c in emulator.boto3_client("acm").list_certificates()["CertificateSummaryList"]
    )
    assert domains == ["api.demo.example.com", "app.demo.example.com"]
    names = sorted(b["Name"] for b in emulator.boto3_client("s3").list_buckets()["Buckets"])
    assert names == ["demo-local-frontend", "demo-local-frontend-logs"]


# -- bad input: one playbook run, one host per case, no API call --------------------------------------------------------

ZONE_VARS = {"edge_zone": "example.com"}
BAD_INPUT = {
    "frontend_outside_the_zone": (
        {"edge_frontend_domain": "app.example.org"},
        ["edge_frontend_domain", "outside the hosted zone example.com"],
    ),
    "api_outside_the_zone": ({"edge_api_domain": "api.other.net"}, ["edge_api_domain", "outside the hosted zone"]),
    "alternative_name_outside_the_zone": (
        {"edge_frontend_domain": "app.example.com", "edge_frontend_alternative_names": ["www.example.net"]},
        ["edge_frontend_alternative_names[0]", "outside the hosted zone"],
    ),
    "zone_not_a_domain": ({"edge_zone": "not a domain"}, ["edge_zone", "is not a domain name"]),
    "tls_below_1_2": (
        {"edge_frontend_domain": "app.example.com", "edge_frontend_minimum_protocol_version": "TLSv1_2016"},
        ["edge_frontend_minimum_protocol_version", "not a TLS 1.2+ security policy"],
    ),
    "root_object_with_slash": (
        {"edge_frontend_domain": "app.example.com", "edge_frontend_default_root_object": "/index.html"},
        ["edge_frontend_default_root_object", "starts with /"],
    ),
    "error_code_cloudfront_cannot_customize": (
        {"edge_frontend_domain": "app.example.com", "edge_frontend_spa_error_codes": [418]},
        ["edge_frontend_spa_error_codes[0]", "not a code CloudFront can customize"],
    ),
    "health_check_interval": (
        {"edge_api_domain": "api.example.com", "edge_api_health_check_interval": 15},
        ["edge_api_health_check_interval", "must be 10 or 30"],
    ),
    "health_check_path": (
        {"edge_api_domain": "api.example.com", "edge_api_health_check_path": "health"},
        ["edge_api_health_check_path", "must be a path starting with /"],
    ),
    "failure_threshold": (
        {"edge_api_domain": "api.example.com", "edge_api_health_check_failure_threshold": 11},
        ["edge_api_health_check_failure_threshold", "must be 1 to 10"],
    ),
    "dr_region_is_this_region": (
        {"edge_api_domain": "api.example.com", "edge_dr_region": "us-east-1"},
        ["edge_dr_region", "is this host's own region"],
    ),
    "same_name_for_front_end_and_api": (
        {"edge_frontend_domain": "app.example.com", "edge_api_domain": "app.example.com"},
        ["edge_api_domain", "is also edge_frontend_domain"],
    ),
    "too_many_names_on_a_certificate": (
        {
            "edge_frontend_domain": "app.example.com",
            "edge_frontend_alternative_names": [f"n{i}.example.com" for i in range(10)],
        },
        ["edge_frontend_alternative_names", "at most 10 names"],
    ),
    "load_balancer_name": (
        {"edge_api_domain": "api.example.com", "edge_api_load_balancer": "alb_with_underscores"},
        ["edge_api_load_balancer", "is not a load balancer name"],
    ),
}


@pytest.fixture(scope="module")
def bad_input_run(emulator_session, tmp_path_factory):
    emulator_session.reset()
    hosts = {name.replace("_", "-"): {**ZONE_VARS, **variables} for name, (variables, _expected) in BAD_INPUT.items()}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "platform_name": "demo",
                "platform_environment": "test",
                "platform_region": "us-east-1",
            },
            "hosts": hosts,
        }
    }
    path = tmp_path_factory.mktemp("edge-bad-input") / "hosts.yml"
    path.write_text(json.dumps(inventory))
    run = run_playbook(emulator_session, "playbooks/edge.yml", inventory=str(path), env={"ANSIBLE_FORKS": "8"})
    return run, emulator_session.calls()


def test_bad_input_run_makes_no_api_call(bad_input_run):
    run, calls = bad_input_run
    assert calls["calls"] == [], calls["by_operation"]
    assert run.failed() == len(BAD_INPUT)


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_rejected_naming_the_variable_and_rule(bad_input_run, case):
    run, _calls = bad_input_run
    host = case.replace("_", "-")
    failures = [
        r
        for p in run.output["plays"]
        for t in p["tasks"]
        for h, r in t["hosts"].items()
        if h == host and r.get("failed")
    ]
    assert failures, f"{case} was not rejected"
    message = json.dumps(failures[0].get("msg"))
    for expected in BAD_INPUT[case][1]:
        assert expected in message, message
