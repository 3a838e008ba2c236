# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every stackops.platform module shares: identity tags, retrying clients, change records, waits."""

from __future__ import annotations

import time
import uuid

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

TAG_PLATFORM = "stackops:platform"
TAG_ENVIRONMENT = "stackops:environment"
TAG_COMPONENT = "stackops:component"
# Tags other systems put on our resources (EKS, Karpenter, AWS itself): never purged.
FOREIGN_TAG_PREFIXES = ("aws:", "kubernetes.io/cluster/", "karpenter.sh/")

# Module options every platform module takes besides amazon.aws's connection options.
IDENTITY_ARGUMENT_SPEC = dict(
    platform=dict(type="str", required=True),
    environment=dict(type="str", required=True),
    tags=dict(type="dict", default={}, aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
)
WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
)


def identity_tags(platform, environment, component):
    return {TAG_PLATFORM: platform, TAG_ENVIRONMENT: environment, TAG_COMPONENT: component}


def resource_tags(identity, user_tags=None, name=None, **extra):
    """The full tag set of one resource: the user's tags, then identity, Name and extra tags on top."""
    tags = dict(user_tags or {})
    tags.update(identity)
    if name is not None:
        tags["Name"] = name
    tags.update(extra)
    return tags


def tag_filters(tags):
    """EC2-style ``Filters`` selecting resources that carry every tag in ``tags``."""
    return [{"Name": f"tag:{key}", "Values": [value]} for key, value in tags.items()]


def tag_specifications(resource_type, tags):
    return [{"ResourceType": resource_type, "Tags": ansible_dict_to_boto3_tag_list(tags)}]


def tag_changes(current, desired, purge=True):
    """(tags to set, keys to remove) to go from ``current`` to ``desired``, leaving foreign tags alone."""
    current = {k: v for k, v in (current or {}).items() if not k.startswith(FOREIGN_TAG_PREFIXES)}
    return compare_aws_tags(current, desired, purge_tags=purge)


def client(module, service, region=None):
    """A client whose calls retry on throttling and 5xx: botocore's standard mode (10 attempts), and
    AWSRetry on top for calls made with ``aws_retry=True``. A user's ``aws_config`` still wins."""
    config = botocore.config.Config(retries={"mode": "standard", "max_attempts": 10})
    extra = {"config": config}
    if region:
        extra["region"] = region
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=10), **extra)


def clients(module, services):
    """Several clients from one boto3 session: ``{name: service}`` or ``{name: (service, region)}``.

    ``module.client()`` starts a new boto3 session per client, so botocore parses its endpoint data and the
    service model again each time (0.1-0.6 s per client, measured here). A tier module that needs several
    clients gets them from one session and pays that once. Same settings as ``client()``: the module's
    credentials, profile, endpoint and ``aws_config``, botocore standard retries plus ``AWSRetry`` on calls
    made with ``aws_retry=True``.
    """
    region, endpoint_url, params = get_aws_connection_info(module)
    profile = params.pop("profile_name", None)
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": 10}, user_agent_extra="stackops.platform"
    )
    user_config = params.pop("aws_config", None)
    if user_config is not None:
        config = config.merge(user_config)  # the user's settings win
    decorator = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=10)
    try:
        session = boto3.session.Session(profile_name=profile)
        found = {}
        for name, spec in services.items():
            service, service_region = spec if isinstance(spec, tuple) else (spec, None)
            connection = session.client(
                service, region_name=service_region or region, endpoint_url=endpoint_url, config=config, **params
            )
            found[name] = RetryingBotoClientWrapper(connection, decorator)
        return found
    except (botocore.exceptions.ProfileNotFound, botocore.exceptions.PartialCredentialsError, ValueError) as error:
        module.fail_json(msg=f"could not make the AWS clients: {error}")


def client_token():
    """A token for one logical create: botocore's retries resend it, so a retry after a lost response
    returns the first result instead of creating a second resource."""
    return uuid.uuid4().hex


def partition_for(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class WaitTimeout(Exception):
    pass


def wait_for(check, timeout, what, delay=2.0, max_delay=15.0):
    """Poll ``check()`` until it returns a truthy value, against a monotonic deadline.

    Returns that value; raises WaitTimeout naming ``what`` when ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out after {timeout} s waiting for {what}")
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, max_delay)


class Changes:
    """The changes a module makes (or, in check mode, would make), in order, as short sentences.

    ``changes.add("create subnet ...")`` returns True when the caller should act (not check mode).
    """

    def __init__(self, check_mode):
        self.check_mode = check_mode
        self.items = []

    def add(self, sentence):
        self.items.append(sentence)
        return not self.check_mode

    def __bool__(self):
        return bool(self.items)
