#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: kube_rollout
short_description: Deploy, roll back, scale or restart a Kubernetes Deployment and wait for the rollout
version_added: 0.2.0
description:
  - One procedure on one Deployment, run as preflight (read the Deployment, its ReplicaSets and, for O(action=scale)
    and O(action=status), its HorizontalPodAutoscaler), act (one replace of the object as read, with its
    C(resourceVersion)), wait and verify. Returns a timeline of the phases and how long the run took.
  - O(action=set_image) sets the image of the containers named in O(images), or one O(tag) on every container's
    image. Setting the images the Deployment already runs changes nothing (and still waits for a rollout in
    progress, so a run interrupted during its wait, run again, never starts a second rollout).
  - The wait is what C(kubectl rollout status) checks - the controller observed the latest generation, every
    desired replica is updated and available, no old replica is left - bounded by O(wait_timeout). A rollout
    whose C(Progressing) condition turned C(False) with reason C(ProgressDeadlineExceeded) (the Deployment's
    C(progressDeadlineSeconds)) fails the task at once; with O(rollback=true) the images that ran before are put
    back and waited for first, and the task still fails.
  - O(action=rollback) puts back the pod template of the previous revision (the ReplicaSet with the highest
    revision below the current one) or of O(revision). Every other annotation of the Deployment stays (unlike
    M(kubernetes.core.k8s_rollback)); the template rolled back to is recorded in the annotation
    C(stackops.platform/rolled-back), so the same rollback run again changes nothing instead of flipping back
    to the revision it left (as C(kubectl rollout undo) run twice does).
  - O(action=scale) sets O(replicas). When a HorizontalPodAutoscaler manages the Deployment, it rewrites the
    replica count with load, so scaling means its bounds O(min_replicas) and O(max_replicas); O(replicas) must
    then lie within them, and the module warns that the autoscaler keeps control.
  - O(action=restart) does what C(kubectl rollout restart) does (the pod template annotation
    C(kubectl.kubernetes.io/restartedAt)), so every Pod is replaced by a rolling update of the same images.
  - O(action=status) reads only.
  - Credentials come from the EKS cluster (O(cluster_name)) exactly as M(stackops.platform.kube_objects) gets
    them - DescribeCluster for the endpoint and CA, a token made the way C(aws eks get-token) makes it - or from
    a O(kubeconfig) file.
  - Check mode reads and returns the plan in RV(changes); it makes no write. Options are checked before any
    call, each error naming the option.
author:
  - stackops platform engineers (@stackops)
options:
  cluster_name:
    description: The EKS cluster (in O(region)). Exactly one of O(cluster_name) and O(kubeconfig).
    type: str
  kubeconfig:
    description: A kubeconfig file, for a cluster that is not reached through EKS credentials.
    type: path
  context:
    description: The O(kubeconfig) context (default its current context).
    type: str
  validate_certs:
    description: Verify the API server's certificate against the cluster's CA.
    type: bool
    default: true
  namespace:
    description: The Deployment's namespace.
    type: str
    required: true
  name:
    description: The Deployment.
    type: str
    required: true
  action:
    description: What to do.
    type: str
    required: true
    choices: [set_image, rollback, scale, restart, status]
  images:
    description: O(action=set_image) - the image per container name (containers or init containers).
    type: dict
  tag:
    description: O(action=set_image) - one tag for every container's image (the repository stays, a digest goes).
    type: str
  rollback:
    description: O(action=set_image) - when the rollout fails or times out, put back the images that ran before and wait for them.
    type: bool
    default: false
  revision:
    description: O(action=rollback) - the revision to roll back to (default the previous one).
    type: int
  replicas:
    description: O(action=scale) - the number of replicas.
    type: int
  min_replicas:
    description: O(action=scale) - the minimum of the autoscaler that manages the Deployment.
    type: int
  max_replicas:
    description: O(action=scale) - the maximum of the autoscaler that manages the Deployment.
    type: int
  wait:
    description: Wait for the rollout to finish (not for O(action=status)).
    type: bool
    default: true
  wait_timeout:
    description: How long to wait for the rollout, in seconds; the task fails naming the Deployment and its last state.
    type: int
    default: 600
notes:
  - Writes replace the Deployment as it was read, with its C(resourceVersion); a concurrent change is read again
    (up to three times) rather than overwritten.
  - On a real cluster the account needs C(get), C(list) and C(update) on Deployments, C(list) on ReplicaSets and
    HorizontalPodAutoscalers, and C(update) on HorizontalPodAutoscalers to change their bounds.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Deploy a new image of user-service and wait for it (roll back if the rollout fails)
  stackops.platform.kube_rollout:
    cluster_name: moneytrack-prod
    region: us-east-1
    namespace: money-tracking-prod
    name: user-service
    action: set_image
    images:
      user-service: 123456789012.dkr.ecr.us-east-1.amazonaws.com/user-service:1.4.2
    rollback: true
    wait_timeout: 900

- name: One tag for every container
  stackops.platform.kube_rollout:
    cluster_name: llmbrand-prod
    namespace: llm-brand-monitor
    name: api-service
    action: set_image
    tag: "{{ git_sha }}"

- name: Roll back to the previous revision (run twice, the second run changes nothing)
  stackops.platform.kube_rollout:
    cluster_name: moneytrack-prod
    namespace: money-tracking-prod
    name: user-service
    action: rollback

- name: Roll back to revision 3
  stackops.platform.kube_rollout:
    cluster_name: moneytrack-prod
    namespace: money-tracking-prod
    name: user-service
    action: rollback
    revision: 3

- name: Scale an autoscaled Deployment (its HPA bounds) to 5..20, 5 now
  stackops.platform.kube_rollout:
    cluster_name: moneytrack-prod
    namespace: money-tracking-prod
    name: user-service
    action: scale
    replicas: 5
    min_replicas: 5
    max_replicas: 20

- name: Restart every Pod (as kubectl rollout restart)
  stackops.platform.kube_rollout:
    kubeconfig: ~/.kube/config
    namespace: trading
    name: order-router
    action: restart
"""

RETURN = r"""
deployment:
  description: The Deployment after the run (in check mode, as it is).
  returned: when the Deployment was read
  type: dict
  contains:
    name: {description: The Deployment's name., type: str, returned: always}
    namespace: {description: Its namespace., type: str, returned: always}
    revision: {description: The revision it runs (C(deployment.kubernetes.io/revision))., type: int, returned: always}
    images: {description: The image per container., type: dict, returned: always}
    replicas: {description: Desired replicas., type: int, returned: always}
    ready_replicas: {description: Ready replicas., type: int, returned: always}
    updated_replicas: {description: Replicas of the current template., type: int, returned: always}
    available_replicas: {description: Available replicas., type: int, returned: always}
    rollout: {description: "C(complete), C(progressing) or C(failed) (ProgressDeadlineExceeded).", type: str, returned: always}
    rollout_message: {description: "Why, as C(kubectl rollout status) would say it.", type: str, returned: always}
    conditions: {description: "The Deployment's conditions (type, status, reason, message).", type: list, elements: dict, returned: always}
  sample:
    name: user-service
    namespace: money-tracking-prod
    revision: 4
    images: {user-service: "user-service:1.4.2"}
    replicas: 3
    ready_replicas: 3
    updated_replicas: 3
    available_replicas: 3
    rollout: complete
previous:
  description: The revision before the one the Deployment ran when the run started, and its images (null without history).
  returned: when the Deployment was read
  type: dict
  sample: {revision: 3, images: {user-service: "user-service:1.4.1"}}
history:
  description: The Deployment's ReplicaSets, oldest revision first (revision, replica_set, images, replicas) as read at the start.
  returned: when the Deployment was read
  type: list
  elements: dict
autoscaler:
  description: The HorizontalPodAutoscaler that manages the Deployment (name, min_replicas, max_replicas), for scale and status.
  returned: when one manages it
  type: dict
rolled_back_to:
  description: After a failed O(action=set_image) with O(rollback=true), the revision the Deployment runs again.
  returned: on that failure
  type: str
  sample: revision 5
changes:
  description: What the run changed (in check mode, would change), as sentences.
  returned: always
  type: list
  elements: str
  sample: ["set the images of Deployment money-tracking-prod/user-service: user-service user-service:1.4.1 -> user-service:1.4.2"]
phases:
  description: The timeline (phase, start, end, duration_s, outcome) - preflight, the action, wait.
  returned: always
  type: list
  elements: dict
duration_s:
  description: How long the run took, in seconds.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._kube.connect import connect
from ansible_collections.stackops.platform.plugins.module_utils._kube.rollout import ACTIONS
from ansible_collections.stackops.platform.plugins.module_utils._kube.rollout import Rollout
from ansible_collections.stackops.platform.plugins.module_utils._kube.rollout import connection_errors
from ansible_collections.stackops.platform.plugins.module_utils._kube.rollout import validate
from ansible_collections.stackops.platform.plugins.module_utils.platform import PlatformError
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def main():
    argument_spec = dict(
        cluster_name=dict(type="str"),
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
        validate_certs=dict(type="bool", default=True),
        namespace=dict(type="str", required=True),
        name=dict(type="str", required=True),
        action=dict(type="str", required=True, choices=list(ACTIONS)),
        images=dict(type="dict"),
        tag=dict(type="str"),
        rollback=dict(type="bool", default=False),
        revision=dict(type="int"),
        replicas=dict(type="int"),
        min_replicas=dict(type="int"),
        max_replicas=dict(type="int"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    p = module.params

    def connection():
        try:
            return connect(module, p["cluster_name"], p["kubeconfig"], p["context"], p["validate_certs"])
        except connection_errors() as error:
            raise PlatformError(f"could not connect to Kubernetes: {error}") from None

    def make(region):
        return Rollout(connection, p, module.check_mode)

    def run(procedure):
        try:
            procedure.run()
        finally:
            procedure.close()

    run_reconciler(
        module,
        make,
        f"kube_rollout {p['action']}",
        "deployment",
        validate=lambda params, region: validate(params),
        action=run,
        region_required=bool(p["cluster_name"]),
    )


if __name__ == "__main__":
    main()
