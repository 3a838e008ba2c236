#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: kube_objects
short_description: Apply a list of Kubernetes objects to an EKS cluster in one run (create or patch by content)
version_added: 0.1.0
description:
  - Applies every object of O(objects) in order with the official C(kubernetes) Python client. A missing object
    is created; an existing one is compared field by field with the spec (quantities by value) and, when it
    differs, patched with one JSON merge patch that also removes the fields the previous apply set and the spec
    no longer has (the last applied spec is kept in the C(stackops.platform/last-applied) annotation).
    Fields the server and controllers own (status, clusterIP, defaults) are left alone.
  - Credentials come from the EKS cluster itself. O(cluster_name) reads the API endpoint and CA with
    DescribeCluster and makes a bearer token the way C(aws eks get-token) does (a presigned STS
    GetCallerIdentity URL), without the AWS CLI. Or give O(host), O(ca_data) and O(token) (see the
    P(stackops.platform.eks_token#lookup) lookup), or a O(kubeconfig).
  - Check mode reads only and reports what would change; before the cluster exists, every object is planned
    as a create without contacting Kubernetes. C(--diff) shows the managed fields before and after.
  - With O(prune), objects labelled as this cluster's (C(app.kubernetes.io/managed-by=stackops.platform),
    C(stackops.platform/cluster=<cluster>)) that the spec no longer has are deleted.
  - With O(wait), Deployments created or changed in the run are waited for until every replica is updated and available.
author:
  - stackops platform engineers (@stackops)
options:
  objects:
    description: Kubernetes objects (apiVersion, kind, metadata.name, metadata.namespace where namespaced), in apply order.
    type: list
    elements: dict
    required: true
  cluster_name:
    description: The EKS cluster; its endpoint, CA and a token are found with the AWS credentials of the task.
    type: str
  host:
    description: The API server's URL (instead of O(cluster_name)).
    type: str
  ca_data:
    description: The cluster CA, base64-encoded PEM (as EKS returns it).
    type: str
  token:
    description: A bearer token (from the P(stackops.platform.eks_token#lookup) lookup).
    type: str
  kubeconfig:
    description: A kubeconfig file (instead of O(cluster_name) or O(host)).
    type: path
  context:
    description: The kubeconfig context.
    type: str
  validate_certs:
    description: Verify the API server's certificate against the CA.
    type: bool
    default: true
  prune:
    description: Delete objects labelled as this cluster's that are not in O(objects).
    type: bool
    default: false
  prune_kinds:
    description: Kinds pruned, as C(apiVersion/Kind) (default every kind this module knows).
    type: list
    elements: str
extends_documentation_fragment:
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Apply the platform's Kubernetes objects
  stackops.platform.kube_objects:
    cluster_name: moneytrack-prod
    objects: "{{ __cluster_eks_spec | stackops.platform.cluster_eks_kube_objects(cluster_eks.irsa_role_arns) }}"

- name: With a token from the lookup
  stackops.platform.kube_objects:
    host: "{{ cluster_eks.endpoint }}"
    ca_data: "{{ cluster_eks.certificate_authority }}"
    token: "{{ lookup('stackops.platform.eks_token', cluster_eks.name) }}"
    objects:
      - {apiVersion: v1, kind: Namespace, metadata: {name: money-tracking-prod}}
"""

RETURN = r"""
objects:
  description: The objects applied (C(Kind namespace/name)).
  returned: always
  type: list
  elements: str
changes:
  description: What changed (in check mode, what would change).
  returned: always
  type: list
  elements: str
  sample: ["create Namespace money-tracking-prod", "update Deployment money-tracking-prod/user-service"]
requests:
  description: Kubernetes API calls made, reads and writes.
  returned: always
  type: dict
"""

try:
    from botocore.exceptions import BotoCoreError
    from botocore.exceptions import ClientError
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import KINDS
from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Applier
from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import Connection
from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import KubeError
from ansible_collections.stackops.platform.plugins.module_utils._kube.apply import object_key
from ansible_collections.stackops.platform.plugins.module_utils._kube.spec import validate_manifest
from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import Changes
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients as platform_clients


def main():
    argument_spec = dict(
        objects=dict(type="list", elements="dict", required=True),
        cluster_name=dict(type="str"),
        host=dict(type="str"),
        ca_data=dict(type="str"),
        token=dict(type="str", no_log=True),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        prune=dict(type="bool", default=False),
        prune_kinds=dict(type="list", elements="str"),
        **WAIT_ARGUMENT_SPEC,
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_one_of=[("cluster_name", "host", "kubeconfig")],
        mutually_exclusive=[("host", "kubeconfig")],
        required_together=[("host", "token")],
    )
    p = module.params
    errors = []
    for index, obj in enumerate(p["objects"]):
        errors.extend(validate_manifest(obj, f"objects[{index}]"))
    if errors:
        module.fail_json(msg="invalid Kubernetes objects: " + "; ".join(errors), errors=errors)
    if p["prune"] and not p["cluster_name"]:
        module.fail_json(msg="prune: needs cluster_name (objects are pruned by the cluster's label)")

    changes = Changes(module.check_mode)
    connection = None
    try:
        if p["kubeconfig"]:
            connection = Connection(kubeconfig=p["kubeconfig"], context=p["context"])
        elif p["host"]:
            connection = Connection(p["host"], p["ca_data"], p["token"], validate_certs=p["validate_certs"])
        else:
            clients = platform_clients(module, {"eks": "eks", "sts": "sts"})
            try:
                cluster = clients["eks"].describe_cluster(name=p["cluster_name"], aws_retry=True)["cluster"]
            except ClientError as error:
                if error.response["Error"]["Code"] != "ResourceNotFoundException" or not module.check_mode:
                    raise
                cluster = None
            if cluster is not None:
                connection = Connection(
                    cluster["endpoint"],
                    (cluster.get("certificateAuthority") or {}).get("data"),
                    eks_token(clients["sts"], p["cluster_name"]),
                    validate_certs=p["validate_certs"],
                )
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg=f"could not find the EKS cluster {p['cluster_name']}")
    except KubeError as error:
        module.fail_json(msg=str(error))

    applier = Applier(connection, changes, p["cluster_name"], p["wait"], p["wait_timeout"])
    try:
        for obj in p["objects"]:
            applier.apply(obj)
        if p["prune"] and connection is not None:
            kinds = [tuple(k.rsplit("/", 1)) for k in p["prune_kinds"]] if p["prune_kinds"] else list(KINDS)
            applier.prune(kinds)
        if connection is not None:
            applier.wait_rollouts()
    except KubeError as error:
        module.fail_json(msg=str(error), changes=changes.items)
    except Exception as error:  # pylint: disable=broad-exception-caught  # urllib3/SSL errors of the client
        module.fail_json(msg=f"Kubernetes API call failed: {error}", changes=changes.items)
    finally:
        if connection is not None:
            connection.close()

    result = dict(
        changed=bool(changes),
        changes=changes.items,
        objects=[object_key(o) for o in p["objects"]],
        requests={"reads": connection.reads if connection else 0, "writes": connection.writes if connection else 0},
    )
    if module._diff:
        result["diff"] = dict(before=applier.before, after=applier.after)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
