"""The emulator's OpenSearch behaviour: Processing after a change, UpgradeDomain (moto 5.2 has neither)."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError


def test_processing_after_a_change_then_an_upgrade(emulator):
    client = emulator.boto3_client("opensearch")
    client.create_domain(
        DomainName="search", EngineVersion="OpenSearch_2.11", ClusterConfig={"InstanceType": "r6g.large.search"}
    )
    assert client.describe_domain(DomainName="search")["DomainStatus"]["Processing"] is True
    time.sleep(0.6)
    assert client.describe_domain(DomainName="search")["DomainStatus"]["Processing"] is False
    with pytest.raises(ClientError, match="ValidationException"):
        client.upgrade_domain(DomainName="search", TargetVersion="OpenSearch_2.9")
    client.upgrade_domain(DomainName="search", TargetVersion="OpenSearch_2.13")
    status = client.describe_domain(DomainName="search")["DomainStatus"]
    assert status["UpgradeProcessing"] is True and status["EngineVersion"] == "OpenSearch_2.13"
    time.sleep(0.6)
    assert client.describe_domain(DomainName="search")["DomainStatus"]["UpgradeProcessing"] is False
