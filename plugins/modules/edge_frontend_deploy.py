#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: edge_frontend_deploy
short_description: Deploy a front end build to its S3 bucket and invalidate its CloudFront distribution
version_added: 0.2.0
description:
  - A procedure - B(preflight) (the build has its root object, the bucket and the distribution exist; the bucket
    is listed and compared with the build), B(upload) of new and changed files, B(delete) of files no longer in
    the build (with O(delete)), B(invalidate) (O(invalidation_paths)), B(wait) until the invalidation completes
    (O(wait_timeout)). Returns the timeline (C(phases)) and C(duration_s).
  - Files whose names carry a content hash (C(app.3f9a1c2e.js)) get C(Cache-Control public, max-age=31536000,
    immutable); every other file (C(index.html) first of all) C(no-cache). Assets are uploaded before pages and
    deletions come last, so no page names a missing asset.
  - A file is uploaded when its size or MD5 differs from the object's (the ETag of a single-part upload to an
    SSE-S3 bucket, which the front end's bucket is).
  - Re-running a finished deploy changes nothing. Re-running one interrupted after its uploads invalidates (the
    invalidation's CallerReference is the build's digest).
  - Check mode lists what would be uploaded, deleted and invalidated, and writes nothing.
author:
  - stackops platform engineers (@stackops)
options:
  source:
    description: The build output directory (what C(npm run build) makes).
    type: path
    required: true
  bucket:
    description: The bucket. Defaults to the edge tier's C(<platform>-<environment>-frontend).
    type: str
  distribution_id:
    description: The distribution. Defaults to the edge tier's (found by its comment C(<platform>-<environment>-frontend)).
    type: str
  default_root_object:
    description: The object the build must contain (the distribution's default root object).
    type: str
    default: index.html
  delete:
    description: Delete objects that are not in the build.
    type: bool
    default: true
  invalidation_paths:
    description: The paths to invalidate (C(/*) counts as one path).
    type: list
    elements: str
    default: ["/*"]
extends_documentation_fragment:
  - stackops.platform.platform
  - stackops.platform.platform.wait
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Deploy the build of the chat front end
  stackops.platform.edge_frontend_deploy:
    platform: eloquent
    environment: prod
    source: /builds/eloquent-web/dist
  register: deploy
"""

RETURN = r"""
deploy:
  description: What was deployed.
  returned: always
  type: dict
  contains:
    bucket: {description: The bucket., type: str}
    distribution_id: {description: The distribution., type: str}
    build_digest: {description: The build's digest (the invalidation's CallerReference)., type: str}
    files: {description: Files in the build., type: int}
    uploaded: {description: "Keys uploaded (in check mode, to upload).", type: list, elements: str}
    deleted: {description: "Keys deleted (in check mode, to delete).", type: list, elements: str}
    invalidation_id: {description: The invalidation (null in check mode or when none was needed)., type: str}
    invalidation_status: {description: Its status (Completed after the wait)., type: str}
changes:
  description: What changed (in check mode, what would change), in order.
  returned: always
  type: list
  elements: str
phases:
  description: The timeline - phase, start, end, duration_s, outcome.
  returned: always
  type: list
  elements: dict
duration_s:
  description: Seconds the procedure took.
  returned: always
  type: float
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.stackops.platform.plugins.module_utils._edge.deploy import FrontendDeploy
from ansible_collections.stackops.platform.plugins.module_utils._edge.spec import CLOUDFRONT_REGION
from ansible_collections.stackops.platform.plugins.module_utils.platform import INFO_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import WAIT_ARGUMENT_SPEC
from ansible_collections.stackops.platform.plugins.module_utils.platform import clients
from ansible_collections.stackops.platform.plugins.module_utils.platform import run_reconciler


def validate(params, region):
    errors = []
    for index, path in enumerate(params["invalidation_paths"] or []):
        if not str(path).startswith("/"):
            errors.append(f"invalidation_paths[{index}]: {path!r} must start with /")
    if not params["invalidation_paths"]:
        errors.append("invalidation_paths: give at least one path (/* for everything)")
    return errors


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            source=dict(type="path", required=True),
            bucket=dict(type="str"),
            distribution_id=dict(type="str"),
            default_root_object=dict(type="str", default="index.html"),
            delete=dict(type="bool", default=True),
            invalidation_paths=dict(type="list", elements="str", default=["/*"]),
            **INFO_ARGUMENT_SPEC,
            **WAIT_ARGUMENT_SPEC,
        ),
        supports_check_mode=True,
    )

    def make(region):
        services = {"s3": "s3", "cloudfront": ("cloudfront", CLOUDFRONT_REGION)}
        return FrontendDeploy(module.params, region, clients(module, services), module.check_mode)

    run_reconciler(module, make, "front end deploy", "deploy", validate=validate, action=lambda deploy: deploy.run())


if __name__ == "__main__":
    main()
