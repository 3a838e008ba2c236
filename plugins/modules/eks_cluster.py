#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: eks_cluster
short_description: Converge an EKS cluster, its IAM roles, OIDC provider, managed node groups and add-ons in one run
version_added: 0.1.0
description:
  - Reconciles one EKS cluster with everything around it in one module run.
  - B(IAM roles) C(<name>-<region>-eks-cluster) (C(AmazonEKSClusterPolicy), plus an inline policy for the secrets
    key) and C(<name>-<region>-eks-nodes) (C(AmazonEKSWorkerNodePolicy), C(AmazonEKS_CNI_Policy),
    C(AmazonEC2ContainerRegistryReadOnly)).
  - B(The cluster) in the network tier's private subnets with the security tier's groups, private and/or public
    API endpoint access with an allow-list of CIDRs, control-plane logs to CloudWatch Logs, and envelope
    encryption of Kubernetes secrets with a KMS key.
  - B(Version upgrades.) A higher O(version) than the cluster's upgrades the control plane one minor version at
    a time, then the node groups. A lower one is refused after reading the cluster and before any write.
  - B(The IAM OIDC provider) of the cluster's issuer, and IAM roles for service accounts (O(irsa_roles)).
  - B(Managed node groups) from a list (instance types, sizes, ON_DEMAND or SPOT, disk size, labels, taints,
    max unavailable during updates). What EKS cannot change on a node group (instance types, capacity type,
    disk size) is refused with a message saying how to replace it.
  - B(Add-ons) (vpc-cni, coredns, kube-proxy, aws-ebs-csi-driver, ...) at the given version, or the default
    version for the cluster's Kubernetes version.
  - Check mode makes no write call; C(--diff) shows the cluster, node groups and add-ons before and after.
author:
  - stackops platform engineers (@stackops)
options:
  name:
    description: The cluster's name, conventionally C(<platform>-<environment>).
    type: str
    required: true
  version:
    description: The Kubernetes version (C("1.28"); quote it in YAML).
    type: str
    required: true
  subnet_ids:
    description: Subnets of the cluster and node groups. By default the network tier's O(subnet_tier) subnets, found by tags.
    type: list
    elements: str
  subnet_tier:
    description: The network tier's subnet tier used when O(subnet_ids) is not given.
    type: str
    default: private
  security_group_ids:
    description: Additional security groups of the control plane's network interfaces.
    type: list
    elements: str
  security_groups:
    description: Names of security tier groups (found by tags) used when O(security_group_ids) is not given.
    type: list
    elements: str
    default: [app]
  admit_cluster_security_group:
    description:
      - Admit the cluster's nodes wherever its groups (O(security_groups)) are admitted. The nodes of managed node
        groups carry only the security group EKS makes for the cluster, so for every group of the platform in the
        VPC with an ingress rule from one of the cluster's groups (the database, cache and search groups admit
        C(app)), the same ports are opened to that cluster security group; rules of this module that no longer
        match are revoked. The security tier leaves these rules alone.
    type: bool
    default: true
    version_added: 0.2.0
  endpoint_private_access:
    description: The API server is reachable from inside the VPC.
    type: bool
    default: true
  endpoint_public_access:
    description: The API server is reachable from the internet (from O(public_access_cidrs) only).
    type: bool
    default: true
  public_access_cidrs:
    description: IPv4 networks allowed to reach the public endpoint (seed 003 restricts it to C(10.0.0.0/8)).
    type: list
    elements: str
    default: ["0.0.0.0/0"]
  log_types:
    description: Control-plane log types sent to CloudWatch Logs.
    type: list
    elements: str
    default: [api, audit, authenticator, controllerManager, scheduler]
  secrets_kms_key:
    description:
      - KMS key that encrypts Kubernetes secrets, as an ARN, an alias (C(alias/...)) or a purpose of the security
        tier (C(secrets) means C(alias/<platform>-<environment>-secrets)). Empty for none.
      - EKS cannot remove or change the key once set.
    type: str
  oidc_provider:
    description: Keep the IAM OIDC provider of the cluster's issuer (needed for IAM roles for service accounts).
    type: bool
    default: true
  node_groups:
    description: Managed node groups.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The node group's name., type: str, required: true}
      instance_types: {description: EC2 instance types (several for SPOT)., type: list, elements: str, required: true}
      min_size: {description: Fewest nodes., type: int, required: true}
      max_size: {description: Most nodes., type: int, required: true}
      desired_size: {description: Nodes now; unset keeps what the cluster autoscaler chose., type: int}
      capacity_type: {description: ON_DEMAND or SPOT., type: str, default: ON_DEMAND, choices: [ON_DEMAND, SPOT]}
      disk_size: {description: Root volume size in GiB., type: int}
      ami_type:
        description: "The AMI type (C(AL2_x86_64), C(AL2023_x86_64_STANDARD), ...)."
        type: str
      labels: {description: Kubernetes labels of the nodes., type: dict, default: {}}
      taints:
        description: Taints of the nodes (C(effect) NoSchedule, PreferNoSchedule or NoExecute).
        type: list
        elements: dict
        default: []
      max_unavailable: {description: Nodes updated at once (default 1)., type: int}
      max_unavailable_percentage: {description: Percentage of nodes updated at once., type: int}
      subnet_ids: {description: Subnets of this node group (default the cluster's)., type: list, elements: str}
      version: {description: Kubernetes version of this node group (default O(version))., type: str}
  purge_node_groups:
    description: Delete node groups of the cluster that are not in O(node_groups).
    type: bool
    default: false
  addons:
    description: EKS add-ons.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: "The add-on (C(vpc-cni), C(coredns), C(kube-proxy), C(aws-ebs-csi-driver), ...)."
        type: str
        required: true
      version:
        description: The version (C(v1.15.1-eksbuild.1)); unset keeps a compatible installed version or installs the
          default for the cluster's Kubernetes version; C(latest) follows the default.
        type: str
      service_account_role_arn: {description: IAM role of the add-on's service account., type: str}
      irsa_role: {description: Name of an O(irsa_roles) entry whose role the add-on's service account uses., type: str}
      configuration_values: {description: The add-on's configuration (a mapping)., type: dict}
  purge_addons:
    description: Remove add-ons that are not in O(addons).
    type: bool
    default: false
  irsa_roles:
    description:
      - IAM roles for service accounts, named C(<name>-<region>-irsa-<role name>), trusted by the cluster's OIDC provider.
      - IAM is global; an environment with clusters in two regions gets a set of roles per region.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: The role's short name., type: str, required: true}
      namespace: {description: The service account's namespace., type: str, required: true}
      service_account: {description: The service account's name., type: str, required: true}
      policy_arns: {description: Managed policies attached to the role., type: list, elements: str, default: []}
      policies:
        description:
          - Policy documents of the role, reconciled. Each C(name) and C(document) (a mapping or its JSON text);
            C(managed=true) makes a customer managed policy C(/stackops/<role name>-<name>) (a new default version
            when the document changes), otherwise an inline policy. Policies of the role that the list no longer
            has are deleted. Checked against IAM's limits (10,240 characters of inline policy per role, 6,144 per
            managed policy, 20 managed policies per role).
        type: list
        elements: dict
        default: []
        version_added: 0.2.0
        suboptions:
          name: {description: "The policy's name (1-128 of letters, digits and +=,.@_-).", type: str, required: true}
          document: {description: The policy document (Version and Statement)., type: raw, required: true}
          managed: {description: A customer managed policy rather than an inline one., type: bool, default: false}
          description: {description: A managed policy's description., type: str}
  variable_prefix:
    description: Prepended to option names in error messages (the C(cluster) role passes C(cluster_eks_), so messages name its variables).
    type: str
    default: ""
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Converge the prod cluster (seed 001)
  stackops.platform.eks_cluster:
    name: moneytrack-prod
    platform: moneytrack
    environment: prod
    region: us-east-1
    version: "1.28"
    public_access_cidrs: [10.0.0.0/8]
    secrets_kms_key: secrets
    node_groups:
      - {name: general-purpose, instance_types: [t3.xlarge], min_size: 3, max_size: 10, desired_size: 3}
      - name: memory-optimized
        instance_types: [r6g.large]
        ami_type: AL2_ARM_64
        min_size: 1
        max_size: 3
        taints: [{key: workload, value: analytics, effect: NoSchedule}]
    addons: [{name: vpc-cni}, {name: coredns}, {name: kube-proxy}, {name: aws-ebs-csi-driver, irsa_role: ebs-csi}]
    irsa_roles:
      - name: ebs-csi
        namespace: kube-system
        service_account: ebs-csi-controller-sa
        policy_arns: [arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy]
  register: eks
"""

RETURN = r"""
cluster:
  description: The cluster as later tasks read it (the C(cluster_eks) fact). In check mode, what is not created yet is null.
  returned: always
  type: dict
  contains:
    name: {description: The cluster's name., type: str}
    arn: {description: The cluster's ARN., type: str}
    endpoint: {description: The API server's URL., type: str}
    certificate_authority: {description: The cluster CA (base64 PEM)., type: str}
    version: {description: The Kubernetes version., type: str}
    oidc_issuer: {description: The OIDC issuer URL., type: str}
    oidc_provider_arn: {description: The IAM OIDC provider's ARN., type: str}
    node_groups: {description: The node groups' names., type: list, elements: str}
    addons: {description: Add-on versions by name., type: dict}
    cluster_role_arn: {description: The cluster role's ARN., type: str}
    node_role_arn: {description: The node role's ARN., type: str}
    irsa_role_arns: {description: IAM roles for service accounts by short name., type: dict}
    cluster_security_group_id:
      description: The security group EKS made for the cluster, on the control plane and the managed nodes.
      type: str
      version_added: 0.2.0
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
  sample: ["create EKS cluster moneytrack-prod (Kubernetes 1.28)", "create node group general-purpose (ON_DEMAND t3.xlarge, 3-10 nodes, desired 3)"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._eks.reconcile import EksReconciler
from ansible_collections.stackops.platform.plugins.module_utils._eks.spec import validate_cluster
from ansible_collections.stackops.platform.plugins.module_utils.platform import IDENTITY_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        version=dict(type="str", required=True),
        subnet_ids=dict(type="list", elements="str"),
        subnet_tier=dict(type="str", default="private"),
        security_group_ids=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str", default=["app"]),
        admit_cluster_security_group=dict(type="bool", default=True),
        endpoint_private_access=dict(type="bool", default=True),
        endpoint_public_access=dict(type="bool", default=True),
        public_access_cidrs=dict(type="list", elements="str", default=["0.0.0.0/0"]),
        log_types=dict(
            type="list", elements="str", default=["api", "audit", "authenticator", "controllerManager", "scheduler"]
        ),
        secrets_kms_key=dict(type="str", no_log=False),
        oidc_provider=dict(type="bool", default=True),
        node_groups=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                instance_types=dict(type="list", elements="str", required=True),
                min_size=dict(type="int", required=True),
                max_size=dict(type="int", required=True),
                desired_size=dict(type="int"),
                capacity_type=dict(type="str", default="ON_DEMAND", choices=["ON_DEMAND", "SPOT"]),
                disk_size=dict(type="int"),
                ami_type=dict(type="str"),
                labels=dict(type="dict", default={}),
                taints=dict(type="list", elements="dict", default=[]),
                max_unavailable=dict(type="int"),
                max_unavailable_percentage=dict(type="int"),
                subnet_ids=dict(type="list", elements="str"),
                version=dict(type="str"),
            ),
        ),
        purge_node_groups=dict(type="bool", default=False),
        addons=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                version=dict(type="str"),
                service_account_role_arn=dict(type="str"),
                irsa_role=dict(type="str"),
                configuration_values=dict(type="dict"),
            ),
        ),
        purge_addons=dict(type="bool", default=False),
        irsa_roles=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                name=dict(type="str", required=True),
                namespace=dict(type="str", required=True),
                service_account=dict(type="str", required=True),
                policy_arns=dict(type="list", elements="str", default=[]),
                policies=dict(
                    type="list",
                    elements="dict",
                    default=[],
                    options=dict(
                        name=dict(type="str", required=True),
                        document=dict(type="raw", required=True),
                        managed=dict(type="bool", default=False),
                        description=dict(type="str"),
                    ),
                ),
            ),
        ),
        variable_prefix=dict(type="str", default=""),
        **IDENTITY_ARGUMENT_SPEC,
        **WAIT_ARGUMENT_SPEC,
    )
    spec["tags"] = dict(type="dict", aliases=["resource_tags"])
    return spec


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = dict(module.params)
    params["node_groups"] = [{k: v for k, v in g.items() if v is not None} for g in params["node_groups"]]
    params["addons"] = [{k: v for k, v in a.items() if v is not None} for a in params["addons"]]
    prefix = params["variable_prefix"]

    def make(region):
        clients = platform_clients(module, {s: s for s in ("sts", "eks", "iam", "ec2", "kms")})
        return EksReconciler(params, region, clients, module.check_mode, prefix=prefix)

    run_reconciler(
        module, make, "EKS", "cluster", validate=lambda _params, _region: validate_cluster(params, prefix=prefix)
    )


if __name__ == "__main__":
    main()
