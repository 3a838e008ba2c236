# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: eks_token
short_description: A bearer token for an EKS cluster, made as C(aws eks get-token) makes it
version_added: 0.1.0
description:
  - Returns C(k8s-aws-v1.) followed by the base64url encoding (no padding) of a presigned STS
    GetCallerIdentity URL signed with the header C(x-k8s-aws-id) set to the cluster's name; the
    cluster's authenticator calls that URL to learn who the caller is. No AWS CLI needed, no API call made.
  - The token is valid for about a minute of signing skew and 15 minutes at most; make a new one per play.
options:
  _terms:
    description: The cluster's name.
    required: true
  region:
    description: The cluster's region (default C(AWS_REGION)).
    type: str
  endpoint_url:
    description: The STS endpoint (default the AWS one, or C(AWS_ENDPOINT_URL)).
    type: str
  access_key:
    description: AWS access key (default the usual credential chain).
    type: str
  secret_key:
    description: AWS secret key.
    type: str
  session_token:
    description: AWS session token.
    type: str
  profile:
    description: AWS profile.
    type: str
notes:
  - The token is a credential; keep it out of logs (C(no_log)) and pass it to M(stackops.platform.kube_objects) O(stackops.platform.kube_objects#module:token).
"""

EXAMPLES = r"""
- name: Apply objects with a token from the lookup
  stackops.platform.kube_objects:
    host: "{{ cluster_eks.endpoint }}"
    ca_data: "{{ cluster_eks.certificate_authority }}"
    token: "{{ lookup('stackops.platform.eks_token', 'moneytrack-prod', region='us-east-1') }}"
    objects: "{{ objects }}"
"""

RETURN = r"""
_raw:
  description: One token per cluster name.
  type: list
  elements: str
"""

import os  # noqa: E402

from ansible.errors import AnsibleLookupError  # noqa: E402
from ansible.plugins.lookup import LookupBase  # noqa: E402

from ansible_collections.stackops.platform.plugins.module_utils._kube.token import eks_token  # noqa: E402

try:
    import boto3
except ImportError:
    boto3 = None


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if boto3 is None:
            raise AnsibleLookupError("eks_token needs boto3")
        self.set_options(var_options=variables, direct=kwargs)
        region = self.get_option("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region:
            raise AnsibleLookupError("eks_token: give region (or set AWS_REGION)")
        session = boto3.session.Session(
            aws_access_key_id=self.get_option("access_key"),
            aws_secret_access_key=self.get_option("secret_key"),
            aws_session_token=self.get_option("session_token"),
            profile_name=self.get_option("profile"),
            region_name=region,
        )
        sts = session.client("sts", region_name=region, endpoint_url=self.get_option("endpoint_url") or None)
        return [eks_token(sts, str(name)) for name in terms]
