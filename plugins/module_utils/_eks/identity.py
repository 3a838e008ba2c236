# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""IAM for the cluster: the cluster and node roles, the OIDC provider, the IAM roles for service accounts."""

from __future__ import annotations

import json

from .. import iam_policies
from ..platform import create_once
from ..platform import create_role
from ..platform import sync_tags
from . import spec as sp
from . import state as st

# The thumbprint of the root CA of oidc.eks.<region>.amazonaws.com. IAM no longer checks it for EKS
# issuers (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc_verify-thumbprint.html)
# but CreateOpenIDConnectProvider still wants one.
EKS_OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
KMS_POLICY_NAME = "secrets-encryption"


def normalise_json(document):
    if isinstance(document, str):
        document = json.loads(document)
    return json.dumps(document, sort_keys=True)


class Identity:
    def __init__(self, owner):
        self.o = owner

    def role(self, name, trust, policies, inline=None, purpose=""):
        o = self.o
        current = o.state.roles.get(name)
        arn = current["role"]["Arn"] if current else o.role_arn(name)
        managed = [f"arn:{o.partition}:iam::aws:policy/{p}" if not p.startswith("arn:") else p for p in policies]
        tags = o.tags(name, **{"stackops:role": purpose} if purpose else {})
        if not current:
            if o.changes.add(f"create IAM role {name}"):
                create_role(
                    o.iam,
                    dict(
                        RoleName=name,
                        AssumeRolePolicyDocument=trust,
                        Description=f"stackops.platform {purpose or name}",
                        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                    ),
                    o.warnings,
                )
            current = {
                "role": {"AssumeRolePolicyDocument": trust, "Arn": arn, "Tags": []},
                "policies": [],
                "inline": {},
            }
            have_tags = tags
        else:
            have_tags = {t["Key"]: t["Value"] for t in current["role"].get("Tags", [])}
            document = current["role"].get("AssumeRolePolicyDocument")
            if document and normalise_json(document) != normalise_json(trust):
                if o.changes.add(f"update the trust policy of IAM role {name}"):
                    o.iam.update_assume_role_policy(RoleName=name, PolicyDocument=trust, aws_retry=True)
        for policy in managed:
            if policy not in current["policies"] and o.changes.add(
                f"attach {policy.rsplit('/', 1)[-1]} to IAM role {name}"
            ):
                o.iam.attach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        for policy in current["policies"]:
            if iam_policies.is_ours(policy, name):
                continue  # a policy document of the inventory: iam_policies converges it
            if policy not in managed and o.changes.add(f"detach {policy.rsplit('/', 1)[-1]} from IAM role {name}"):
                o.iam.detach_role_policy(RoleName=name, PolicyArn=policy, aws_retry=True)
        for policy_name, document in (inline or {}).items():
            have = current["inline"].get(policy_name)
            if (have is None or normalise_json(have) != normalise_json(document)) and o.changes.add(
                f"put the {policy_name} policy on IAM role {name}"
            ):
                o.iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=document, aws_retry=True)
        sync_tags(o.changes, o.iam, "iam_role", name, f"IAM role {name}", have_tags, tags, o.purge_tags)
        return arn

    def roles(self):
        o = self.o
        inline = {}
        if o.state.kms_key_arn:
            inline[KMS_POLICY_NAME] = sp.kms_policy(o.state.kms_key_arn)
        o.role_arns["cluster"] = self.role(
            o.names.cluster_role, sp.service_trust("eks.amazonaws.com"), sp.CLUSTER_POLICIES, inline, "eks-cluster"
        )
        o.role_arns["nodes"] = self.role(
            o.names.node_role, sp.service_trust("ec2.amazonaws.com"), sp.NODE_POLICIES, None, "eks-nodes"
        )

    # cluster --------------------------------------------------------------------------------------------------

    def oidc(self):
        o = self.o
        if not o.p["oidc_provider"]:
            return
        issuer = o.issuer()
        if o.state.oidc_provider_arn is None and issuer:
            st.read_oidc_provider(o.iam, issuer, o.state)  # a cluster created in this run
        tags = o.tags(f"{o.p['name']}-oidc")
        if o.state.oidc_provider_arn:
            sync_tags(
                o.changes,
                o.iam,
                "iam_oidc_provider",
                o.state.oidc_provider_arn,
                f"the OIDC provider of EKS cluster {o.p['name']}",
                o.state.oidc_provider_tags,
                tags,
                o.purge_tags,
            )
            return
        if o.changes.add(f"create the IAM OIDC provider of EKS cluster {o.p['name']} (IAM roles for service accounts)"):
            host = issuer.removeprefix("https://")
            o.state.oidc_provider_arn = create_once(
                lambda: o.iam.create_open_id_connect_provider(
                    Url=issuer,
                    ClientIDList=["sts.amazonaws.com"],
                    ThumbprintList=[EKS_OIDC_THUMBPRINT],
                    Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                ),
                lambda: next(
                    (
                        {"OpenIDConnectProviderArn": p["Arn"]}
                        for p in o.iam.list_open_id_connect_providers(aws_retry=True)["OpenIDConnectProviderList"]
                        if p["Arn"].endswith(f":oidc-provider/{host}")
                    ),
                    None,
                ),
                f"the IAM OIDC provider of EKS cluster {o.p['name']}",
                o.warnings,
            )["OpenIDConnectProviderArn"]

    def irsa_roles(self):
        o = self.o
        issuer = o.issuer()
        for role in o.p.get("irsa_roles") or []:
            name = o.names.irsa_role(role["name"])
            provider = o.state.oidc_provider_arn
            if not provider or not issuer:
                # Check mode before the cluster exists: the role is planned, its trust policy is not known yet.
                o.changes.add(
                    f"create IAM role {name} for service account {role['namespace']}/{role['service_account']}"
                )
                o.irsa_role_arns[role["name"]] = o.role_arn(name)
                continue
            trust = sp.irsa_trust(provider, issuer.removeprefix("https://"), role["namespace"], role["service_account"])
            o.irsa_role_arns[role["name"]] = self.role(name, trust, role.get("policy_arns") or [], None, "irsa")
            current = o.state.roles.get(name) or {"policies": [], "inline": {}}
            iam_policies.converge(
                o.iam,
                o.changes,
                name,
                role.get("policies") or [],
                current["inline"],
                current["policies"],
                o.partition,
                o.state.account,
                o.tags(name),
            )

    # node groups ------------------------------------------------------------------------------------------------
