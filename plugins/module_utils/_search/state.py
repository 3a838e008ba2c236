# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read an OpenSearch domain as it is: DescribeDomain, its tags, and (with fine-grained access control) the
master user's secret, described only (its value is read when a write needs it)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ..platform import identity_tags
from ..platform import not_found

COMPONENT = "search"


def read_domain(opensearch, name):
    found = not_found(lambda: opensearch.describe_domain(DomainName=name, aws_retry=True), "ResourceNotFoundException")
    return found["DomainStatus"] if found else None


def read_tags(opensearch, arn):
    return boto3_tag_list_to_ansible_dict(opensearch.list_tags(ARN=arn, aws_retry=True).get("TagList", []))


def read_secret(secretsmanager, name):
    return not_found(lambda: secretsmanager.describe_secret(SecretId=name, aws_retry=True), "ResourceNotFoundException")


def endpoint(domain):
    if not domain:
        return None
    endpoints = domain.get("Endpoints") or {}
    return endpoints.get("vpc") or domain.get("Endpoint")


def summary(domain, secret_arn=None):
    """The ``search`` fact: endpoint, ARN and the shape of the domain."""
    domain = domain or {}
    cluster = domain.get("ClusterConfig") or {}
    return {
        "domain_name": domain.get("DomainName"),
        "arn": domain.get("ARN"),
        "endpoint": endpoint(domain),
        "engine_version": domain.get("EngineVersion"),
        "instance_type": cluster.get("InstanceType"),
        "instance_count": cluster.get("InstanceCount"),
        "zone_awareness": bool(cluster.get("ZoneAwarenessEnabled")),
        "master_user_secret_arn": secret_arn,
    }


# -- what search_domain_info returns ----------------------------------------------------------------------------------

INFO_SERVICES = {"opensearch": "opensearch", "secretsmanager": "secretsmanager"}


def info(clients, params, region):  # pylint: disable=unused-argument
    """``(exists, search)``: the domain if it carries the environment's tags, and its facts."""
    name = params["name"] or f"{params['platform']}-{params['environment']}-search"
    secret_name = (
        params["master_user_secret_name"] or f"{params['environment']}/{params['platform']}/search/master-user"
    )
    identity = identity_tags(params["platform"], params["environment"], COMPONENT)
    secret = None
    domain = read_domain(clients["opensearch"], name)
    tags = read_tags(clients["opensearch"], domain["ARN"]) if domain else {}
    if domain and any(tags.get(k) != v for k, v in identity.items()):
        domain = None
    if domain and (domain.get("AdvancedSecurityOptions") or {}).get("Enabled"):
        secret = read_secret(clients["secretsmanager"], secret_name)
    search = summary(domain, secret["ARN"] if secret else None)
    search["domain_name"] = name
    return domain is not None, search
