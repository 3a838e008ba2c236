# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the security tier as it is: one batched call per resource type where AWS has one, found by tags.

KMS has no batched describe: each key of the tier costs DescribeKey, GetKeyRotationStatus, GetKeyPolicy and
ListResourceTags (four keys by default). Secret values are read (BatchGetSecretValue) only for secrets whose
value the inventory sets, only to compare, and are never returned from here except to that comparison.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ..platform import AmbiguousResource
from ..platform import identity_tags
from ..platform import is_managed
from ..platform import not_found
from ..platform import paginate
from ..platform import tag_filters
from ..platform import tags_of
from .spec import Names

TAG_GROUP = "stackops:security-group"
TAG_PURPOSE = "stackops:kms-purpose"
TAG_SECRET = "stackops:secret-key"
TAG_SOURCE = "stackops:secret-source"
TAG_SCOPE = "stackops:waf-scope"
COMPONENT = "security"
EKS_CLUSTER_TAG = "aws:eks:cluster-name"  # on the security group EKS makes for each cluster
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
CLOUDFRONT_REGION = "us-east-1"  # CloudFront-scope WAF resources live in us-east-1


def kms_tags(tag_list):
    return {t["TagKey"]: t["TagValue"] for t in tag_list or []}


class SecurityState:
    """Everything the tier has now. Raw describe results, indexed for the reconcilers."""

    def __init__(self):
        self.account = None
        self.vpc_id = None
        self.groups = []  # every group of the VPC (describe_security_groups)
        self.group_rules = None  # describe_security_group_rules, read only when a rule must be revoked
        self.aliases = {}  # alias name -> target key id
        self.keys = {}  # key id -> {"metadata", "rotation", "policy", "tags"}
        self.scanned_keys = None  # purpose -> key id, from tags (only when an alias is missing)
        self.secrets = {}  # name -> list_secrets entry (including ones scheduled for deletion)
        self.web_acls = {}  # scope -> {"summary", "acl", "lock_token", "tags", "logging"} or None
        self.log_groups = {}  # name -> {"group", "tags"} or None


# -- account and network -------------------------------------------------------------------------------------------


def read_account(sts):
    return sts.get_caller_identity(aws_retry=True)["Account"]


def find_vpc(ec2, platform, environment):
    """The VPC of the environment's network tier (tags stackops:component=network), or None."""
    vpcs = ec2.describe_vpcs(Filters=tag_filters(identity_tags(platform, environment, "network")), aws_retry=True)[
        "Vpcs"
    ]
    if len(vpcs) > 1:
        raise AmbiguousResource(
            f"{len(vpcs)} VPCs carry the network tags of {platform}-{environment}: "
            f"{', '.join(v['VpcId'] for v in vpcs)}; give vpc_id"
        )
    return vpcs[0]["VpcId"] if vpcs else None


# -- security groups ---------------------------------------------------------------------------------------------------


def read_groups(ec2, vpc_id):
    return paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])


def read_groups_by_tags(ec2, identity):
    return paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=tag_filters(identity))


def read_group_rules(ec2, group_ids):
    return paginate(
        ec2,
        "describe_security_group_rules",
        "SecurityGroupRules",
        Filters=[{"Name": "group-id", "Values": sorted(group_ids)}],
    )


def permission_rules(permissions, name_of):
    """{rule key: description} from describe_security_groups' IpPermissions; ``name_of`` maps group ids to names."""
    rules = {}
    for permission in permissions:
        protocol = PROTOCOL_NUMBERS.get(permission["IpProtocol"], permission["IpProtocol"])
        low, high = permission.get("FromPort", -1), permission.get("ToPort", -1)
        if protocol == "-1":
            low, high = -1, -1
        for item in permission.get("IpRanges", []):
            rules[(protocol, low, high, "cidr", item["CidrIp"])] = item.get("Description")
        for item in permission.get("Ipv6Ranges", []):
            rules[(protocol, low, high, "ipv6_cidr", item["CidrIpv6"])] = item.get("Description")
        for item in permission.get("PrefixListIds", []):
            rules[(protocol, low, high, "prefix_list_id", item["PrefixListId"])] = item.get("Description")
        for item in permission.get("UserIdGroupPairs", []):
            name = name_of.get(item["GroupId"])
            source = ("group", name) if name else ("group_id", item["GroupId"])
            rules[(protocol, low, high, *source)] = item.get("Description")
    return rules


def group_ids(groups, identity):
    """{group key: id} for the groups carrying the tier's tags."""
    found = {}
    for group in groups:
        tags = tags_of(group)
        if is_managed(tags, identity) and tags.get(TAG_GROUP):
            found[tags[TAG_GROUP]] = group["GroupId"]
    return dict(sorted(found.items()))


# -- KMS ---------------------------------------------------------------------------------------------------------------


def read_aliases(kms, base, listed=None):
    """{alias: key id} of the tier's aliases (``listed``: every alias of the account, already read)."""
    prefix = f"alias/{base}-"
    return {
        a["AliasName"]: a.get("TargetKeyId")
        for a in (paginate(kms, "list_aliases", "Aliases") if listed is None else listed)
        if a["AliasName"].startswith(prefix)
    }


def read_key(kms, key_id, details=True):
    """A key's metadata and tags; with ``details``, its rotation status and key policy too."""
    metadata = kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]
    key = {"metadata": metadata, "rotation": None, "policy": None, "tags": {}}
    key["tags"] = kms_tags(paginate(kms, "list_resource_tags", "Tags", KeyId=key_id))
    if not details or metadata.get("KeyState") != "Enabled":
        return key  # a disabled or deleted key answers the next calls with errors: the reconciler stops anyway
    key["rotation"] = kms.get_key_rotation_status(KeyId=key_id, aws_retry=True).get("KeyRotationEnabled")
    document = kms.get_key_policy(KeyId=key_id, PolicyName="default", aws_retry=True)["Policy"]
    key["policy"] = json.loads(document) if isinstance(document, str) else document
    return key


def scan_keys(kms, identity, skip=()):
    """{purpose: [key ids]} of customer keys tagged for the tier: finds a key whose alias is missing (a run
    interrupted between CreateKey and CreateAlias, or a CreateKey whose answer was lost), so that no purpose
    ever gets a second key. Keys in ``skip`` (ids) are not looked at."""
    found = {}
    for entry in paginate(kms, "list_keys", "Keys"):
        if entry["KeyId"] in skip:
            continue
        tags = not_found(
            lambda entry=entry: paginate(kms, "list_resource_tags", "Tags", KeyId=entry["KeyId"]),
            "AccessDeniedException",
            "NotFoundException",
        )
        tags = kms_tags(tags)
        if is_managed(tags, identity) and tags.get(TAG_PURPOSE):
            found.setdefault(tags[TAG_PURPOSE], []).append(entry["KeyId"])
    return found


# -- Secrets Manager -------------------------------------------------------------------------------------------------------


def read_secrets(secretsmanager, prefix=None, identity=None):
    """Secrets whose name starts with ``prefix`` (or that carry ``identity``), including those scheduled for deletion."""
    if prefix:
        filters = [{"Key": "name", "Values": [prefix]}]
    else:
        filters = [
            {"Key": "tag-key", "Values": list(identity)},
            {"Key": "tag-value", "Values": list(identity.values())},
        ]
    found = paginate(secretsmanager, "list_secrets", "SecretList", IncludePlannedDeletion=True, Filters=filters)
    if prefix:
        found = [s for s in found if s["Name"].startswith(prefix)]
    if identity:
        found = [s for s in found if is_managed(tags_of(s), identity)]
    return {s["Name"]: s for s in found}


def has_current_value(secret):
    stages = secret.get("SecretVersionsToStages") or secret.get("VersionIdsToStages") or {}
    return any("AWSCURRENT" in labels for labels in stages.values())


def read_values(secretsmanager, names):
    """{name: current value} for ``names``. Only for comparison with the inventory's value; never output."""
    values = {}
    names = list(names)
    for start in range(0, len(names), 20):  # BatchGetSecretValue takes at most 20 ids
        chunk = names[start : start + 20]
        try:
            answer = secretsmanager.batch_get_secret_value(SecretIdList=chunk, aws_retry=True)
        except is_boto3_error_code("ResourceNotFoundException"):
            answer = {"SecretValues": [], "Errors": [{"SecretId": n} for n in chunk]}
        for item in answer.get("SecretValues", []):
            values[item["Name"]] = item.get("SecretString")
        for failed in answer.get("Errors", []):
            name = failed.get("SecretId")
            found = not_found(
                lambda name=name: secretsmanager.get_secret_value(SecretId=name, aws_retry=True),
                "ResourceNotFoundException",
            )
            values[name] = found.get("SecretString") if found else None
    return values


# -- WAF and its log groups -------------------------------------------------------------------------------------------------


def read_web_acl(wafv2, name, scope, details=True):
    summary = next((a for a in _paginate_waf(wafv2, scope) if a["Name"] == name), None)
    if summary is None:
        return None
    found = {"summary": summary, "acl": None, "lock_token": None, "tags": {}, "logging": None}
    tags = wafv2.list_tags_for_resource(ResourceARN=summary["ARN"], aws_retry=True)
    found["tags"] = boto3_tag_list_to_ansible_dict(tags.get("TagInfoForResource", {}).get("TagList", []))
    if details:
        answer = wafv2.get_web_acl(Name=name, Scope=scope, Id=summary["Id"], aws_retry=True)
        found["acl"], found["lock_token"] = answer["WebACL"], answer["LockToken"]
        logging = not_found(
            lambda: wafv2.get_logging_configuration(ResourceArn=summary["ARN"], aws_retry=True),
            "WAFNonexistentItemException",
        )
        found["logging"] = logging["LoggingConfiguration"] if logging else None
    return found


def _paginate_waf(wafv2, scope):
    # ListWebACLs pages with NextMarker and has no boto3 paginator.
    acls, marker = [], None
    while True:
        params = {"Scope": scope, "Limit": 100}
        if marker:
            params["NextMarker"] = marker
        answer = wafv2.list_web_acls(aws_retry=True, **params)
        acls.extend(answer.get("WebACLs", []))
        marker = answer.get("NextMarker")
        if not marker or not answer.get("WebACLs"):
            return acls


def read_log_group(logs, name):
    groups = logs.describe_log_groups(logGroupNamePrefix=name, aws_retry=True)["logGroups"]
    group = next((g for g in groups if g["logGroupName"] == name), None)
    if group is None:
        return None
    arn = group["arn"].removesuffix(":*")
    return {"group": group, "tags": logs.list_tags_for_resource(resourceArn=arn, aws_retry=True).get("tags", {})}


# -- what later tiers read ------------------------------------------------------------------------------------------------------


def key_summary(alias, metadata):
    return {"arn": metadata["Arn"], "id": metadata["KeyId"], "alias": alias}


def secret_summary(secret):
    return {"arn": secret["ARN"], "name": secret["Name"]}


def discover(clients, identity, names, vpc_id=None):
    """The tier as later tiers consume it (the cross-tier contract), from tags and names alone.

    ``clients``: ec2, kms, secretsmanager, wafv2 (the region's) and wafv2_cloudfront (us-east-1).
    """
    groups = read_groups(clients["ec2"], vpc_id) if vpc_id else read_groups_by_tags(clients["ec2"], identity)
    keys = {}
    for alias, key_id in read_aliases(clients["kms"], names.base).items():
        if not key_id:
            continue
        key = read_key(clients["kms"], key_id, details=False)
        purpose = key["tags"].get(TAG_PURPOSE)
        usable = key["metadata"].get("KeyState") == "Enabled"
        if usable and purpose and is_managed(key["tags"], identity) and names.alias(purpose) == alias:
            keys[purpose] = key_summary(alias, key["metadata"])
    secrets = {}
    for secret in read_secrets(clients["secretsmanager"], identity=identity).values():
        key = tags_of(secret).get(TAG_SECRET)
        if key and not secret.get("DeletedDate"):
            secrets[key] = secret_summary(secret)
    arns = {}
    for scope, client, acl_name in (
        ("REGIONAL", clients["wafv2"], names.waf_acl),
        ("CLOUDFRONT", clients["wafv2_cloudfront"], names.waf_cloudfront_acl),
    ):
        found = read_web_acl(client, acl_name, scope, details=False)
        arns[scope] = found["summary"]["ARN"] if found and is_managed(found["tags"], identity) else None
    ids = group_ids(groups, identity)
    name_of = {group_id: key for key, group_id in ids.items()}
    rules = {
        name_of[g["GroupId"]]: {
            "ingress": len(permission_rules(g.get("IpPermissions", []), name_of)),
            "egress": len(permission_rules(g.get("IpPermissionsEgress", []), name_of)),
        }
        for g in groups
        if g["GroupId"] in name_of
    }
    return {
        "security_group_ids": ids,
        "security_group_rules": dict(sorted(rules.items())),
        "security_kms_keys": dict(sorted(keys.items())),
        "security_secrets": dict(sorted(secrets.items())),
        "security_waf_web_acl_arn": arns["REGIONAL"],
        "security_waf_cloudfront_web_acl_arn": arns["CLOUDFRONT"],
    }


INFO_SERVICES = {
    **{service: service for service in ("ec2", "kms", "secretsmanager", "wafv2")},
    "wafv2_cloudfront": ("wafv2", CLOUDFRONT_REGION),
}


def info(clients, params, region):  # pylint: disable=unused-argument
    """``(exists, facts)``: ``discover``'s facts, and whether any resource of the tier was found."""
    identity = identity_tags(params["platform"], params["environment"], COMPONENT)
    names = Names(params["name"] or f"{params['platform']}-{params['environment']}")
    found = discover(clients, identity, names, vpc_id=params.get("vpc_id"))
    exists = any(
        (
            found["security_group_ids"],
            found["security_kms_keys"],
            found["security_secrets"],
            found["security_waf_web_acl_arn"],
            found["security_waf_cloudfront_web_acl_arn"],
        )
    )
    return exists, found
