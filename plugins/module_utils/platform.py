# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every stackops.platform module shares: identity tags, retrying clients, change records, waits."""

from __future__ import annotations

import contextlib
import datetime
import time
import uuid

try:
    import boto3
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

TAG_PLATFORM = "stackops:platform"
TAG_ENVIRONMENT = "stackops:environment"
TAG_COMPONENT = "stackops:component"
# Tags other systems put on our resources (EKS, Karpenter, AWS itself): never purged.
# and the revision history runbooks keep on ECS services (stackops:deploy-from/-to/-kind, see _ecs/rollout.py),
# and the intent a failover in progress leaves on its database or cache (stackops:failover-*, see _failover/).
FOREIGN_TAG_PREFIXES = ("aws:", "kubernetes.io/cluster/", "karpenter.sh/", "stackops:deploy-", "stackops:failover-")

# Module options every platform module takes besides amazon.aws's connection options.
IDENTITY_ARGUMENT_SPEC = dict(
    platform=dict(type="str", required=True),
    environment=dict(type="str", required=True),
    tags=dict(type="dict", default={}, aliases=["resource_tags"]),
    purge_tags=dict(type="bool", default=True),
)
# What every read-only ``_info`` module takes (doc fragment ``stackops.platform.platform``).
INFO_ARGUMENT_SPEC = dict(
    platform=dict(type="str", required=True),
    environment=dict(type="str", required=True),
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


def tags_purged(params):
    """Whether tags not in the spec are removed: amazon.aws's rule, ``purge_tags`` and ``tags`` given (with
    ``tags: null`` a resource's other tags are left alone; the identity tags are set either way)."""
    return bool(params.get("purge_tags", True)) and params.get("tags") is not None


def _kv(tags, key="Key", value="Value"):
    return [{key: k, value: v} for k, v in tags.items()]


# Each service's two tagging calls: (add(client, resource, {key: value}), remove(client, resource, [keys])).
# ``resource`` is what the call names the resource by: an EC2 id, an ARN, an IAM role name, a KMS key id, ...
TAG_CALLS = {
    "ec2": (
        lambda c, r, t: c.create_tags(Resources=[r], Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.delete_tags(Resources=[r], Tags=[{"Key": key} for key in k], aws_retry=True),
    ),
    # RDS and ElastiCache
    "rds": (
        lambda c, r, t: c.add_tags_to_resource(ResourceName=r, Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.remove_tags_from_resource(ResourceName=r, TagKeys=k, aws_retry=True),
    ),
    "iam_role": (
        lambda c, r, t: c.tag_role(RoleName=r, Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.untag_role(RoleName=r, TagKeys=k, aws_retry=True),
    ),
    "iam_oidc_provider": (
        lambda c, r, t: c.tag_open_id_connect_provider(OpenIDConnectProviderArn=r, Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.untag_open_id_connect_provider(OpenIDConnectProviderArn=r, TagKeys=k, aws_retry=True),
    ),
    # CloudWatch Logs and EKS take a {key: value} map
    "logs": (
        lambda c, r, t: c.tag_resource(resourceArn=r, tags=t, aws_retry=True),
        lambda c, r, k: c.untag_resource(resourceArn=r, tagKeys=k, aws_retry=True),
    ),
    "eks": (
        lambda c, r, t: c.tag_resource(resourceArn=r, tags=t, aws_retry=True),
        lambda c, r, k: c.untag_resource(resourceArn=r, tagKeys=k, aws_retry=True),
    ),
    "ecr": (
        lambda c, r, t: c.tag_resource(resourceArn=r, tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.untag_resource(resourceArn=r, tagKeys=k, aws_retry=True),
    ),
    "ecs": (
        lambda c, r, t: c.tag_resource(resourceArn=r, tags=_kv(t, "key", "value"), aws_retry=True),
        lambda c, r, k: c.untag_resource(resourceArn=r, tagKeys=k, aws_retry=True),
    ),
    "elbv2": (
        lambda c, r, t: c.add_tags(ResourceArns=[r], Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.remove_tags(ResourceArns=[r], TagKeys=k, aws_retry=True),
    ),
    "opensearch": (
        lambda c, r, t: c.add_tags(ARN=r, TagList=_kv(t), aws_retry=True),
        lambda c, r, k: c.remove_tags(ARN=r, TagKeys=k, aws_retry=True),
    ),
    "kms": (
        lambda c, r, t: c.tag_resource(KeyId=r, Tags=_kv(t, "TagKey", "TagValue"), aws_retry=True),
        lambda c, r, k: c.untag_resource(KeyId=r, TagKeys=k, aws_retry=True),
    ),
    "secretsmanager": (
        lambda c, r, t: c.tag_resource(SecretId=r, Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.untag_resource(SecretId=r, TagKeys=k, aws_retry=True),
    ),
    "wafv2": (
        lambda c, r, t: c.tag_resource(ResourceARN=r, Tags=_kv(t), aws_retry=True),
        lambda c, r, k: c.untag_resource(ResourceARN=r, TagKeys=k, aws_retry=True),
    ),
}


def sync_tags(changes, client, kind, resource, label, current, desired, purge):
    """Bring one resource's tags from ``current`` to ``desired`` (foreign tags left alone, see ``tag_changes``).

    One change sentence per direction, each write behind ``Changes.add`` (none in check mode). ``kind`` picks
    the service's tagging calls in ``TAG_CALLS``; ``purge`` is ``tags_purged(params)``. Returns whether the
    tags differed.
    """
    to_set, to_unset = tag_changes(current, desired, purge)
    add, remove = TAG_CALLS[kind]
    if to_set and changes.add(f"tag {label}: set {', '.join(sorted(to_set))}"):
        add(client, resource, to_set)
    if to_unset and changes.add(f"tag {label}: remove {', '.join(sorted(to_unset))}"):
        remove(client, resource, sorted(to_unset))
    return bool(to_set or to_unset)


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
    """The ARN partition of ``region`` from botocore's endpoint data (``aws-iso-b`` for us-isob-east-1)."""
    return boto3.session.Session().get_partition_for_region(region)


# One exception tree (as kubernetes.core's CoreException): whatever a reconciler or a procedure raises
# under PlatformError is reported as its message, with the changes made before it; anything else is a
# bug and is left to surface as a traceback. ``details`` go into the failure result as extra keys.
class PlatformError(Exception):
    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class ReconcileError(PlatformError):
    """The spec cannot be converged as asked (AWS refuses it, or it would destroy something)."""


class ResourceTimeout(PlatformError):
    """A bounded wait ran out."""


WaitTimeout = ResourceTimeout


class AmbiguousResource(PlatformError):
    """More than one resource carries the tags that should identify exactly one."""


class PreconditionFailed(PlatformError):
    """A procedure's pre-check found the target in a state it must not act on."""


def wait_for(check, timeout, what, delay=2.0, max_delay=15.0):
    """Poll ``check()`` until it returns a truthy value, against a monotonic deadline.

    Returns that value; raises ResourceTimeout naming ``what`` when ``timeout`` seconds pass.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ResourceTimeout(f"timed out after {timeout} s waiting for {what}")
        time.sleep(min(delay, remaining))
        delay = min(delay * 1.5, max_delay)


def after_iam_propagation(call, timeout, what, codes, words, delay=2.0):
    """``call()``, tried again while the service does not yet see an IAM role made moments ago.

    IAM is eventually consistent: a role (or its policy) can take seconds to be usable by other services
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
    Meanwhile the service answers a validation error about the role: EKS InvalidParameterException "Role ...
    cannot be assumed", RDS InvalidParameterValue about the monitoring role. An error with one of ``codes``
    whose message holds one of ``words`` is tried again until ``timeout`` s have passed (then ResourceTimeout,
    with AWS's last answer); any other error goes on up at once.
    """
    answer = {}

    def attempt():
        try:
            answer["value"] = call()
            return True
        except is_boto3_error_code(list(codes)) as error:
            message = error.response.get("Error", {}).get("Message", "")
            if not any(word in message.lower() for word in words):
                raise
            answer["refused"] = message
            return False

    try:
        wait_for(attempt, timeout, what, delay=delay)
    except ResourceTimeout as error:
        raise ResourceTimeout(f"{error} (AWS still answers: {answer.get('refused')})") from None
    return answer["value"]


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


def paginate(client, operation, key, **params):
    """Every item under ``key`` of a paginated read, the whole query retried on throttling (AWSRetry)."""
    return paginated_query_with_retries(client, operation, **params).get(key, [])


def not_found(call, *codes):
    """``call()``, or None when AWS answers one of the error ``codes`` (the resource does not exist).

    Any other error goes on up: AccessDenied or a throttle that outlasted the retries must not read as "absent"
    (a converge would then create a second resource). ``is_boto3_error_code`` returns an exception class to
    match in ``except``, never a boolean, so it is used that way.
    """
    try:
        return call()
    except is_boto3_error_code(list(codes)):
        return None


def tags_of(resource, key=None):
    """A resource's ``[{Key, Value}]`` tags as a dict: ``Tags`` (EC2, IAM, ELB, ...) or ``TagList`` (RDS,
    OpenSearch, ...), or the list under ``key``."""
    tags = resource.get(key) if key else resource.get("Tags") or resource.get("TagList")
    return boto3_tag_list_to_ansible_dict(tags or [])


def is_managed(tags, identity):
    """Whether ``tags`` (a dict) carry every identity tag: the resource is this tier's, of this environment."""
    return all(tags.get(k) == v for k, v in identity.items())


def module_region(module):
    """The module's region, or a failure naming how to give one (before any client is made)."""
    if not module.region:
        module.fail_json(msg="region: no region given (set region, or AWS_REGION in the environment)")
    return module.region


class Phases:
    """A procedure's timeline: each phase's name, start, end, duration and outcome, for the result.

    ``with phases.phase("wait"):`` records one; a PlatformError or botocore error inside marks it failed
    and goes on up. Times are wall-clock ISO 8601 (UTC) for the incident record, durations monotonic.
    """

    def __init__(self):
        self.items = []
        self._start = time.monotonic()

    @contextlib.contextmanager
    def phase(self, name):
        entry = dict(phase=name, start=_now(), end=None, duration_s=None, outcome="running")
        self.items.append(entry)
        started = time.monotonic()
        try:
            yield entry
        except BaseException:
            entry["outcome"] = "failed"
            raise
        else:
            if entry["outcome"] == "running":
                entry["outcome"] = "ok"
        finally:
            entry["end"] = _now()
            entry["duration_s"] = round(time.monotonic() - started, 3)

    @property
    def duration(self):
        return round(time.monotonic() - self._start, 3)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds")  # noqa: UP017 (Python < 3.11 targets)


def run_reconciler(module, make, what, key, validate=None, action=None, region_required=True):
    """Everything a tier or procedure module does around its reconciler, in one place.

    ``validate(params, region)`` returns broken rules (messages naming the option); any makes the module
    fail before a client exists. ``make(region)`` builds the reconciler, which has ``changes`` (Changes),
    ``warnings`` (list), ``result()``, and optionally ``before_snapshot`` + ``after()`` (the diff) and
    ``phases`` (Phases) and ``extra_result()`` (more top-level keys). ``action(reconciler)`` runs it (default
    ``reconciler.converge()``).

    A PlatformError fails with its message and the changes made before it; a botocore error with AWS's
    message and those changes; a missing region or credentials with what to set. Anything else is a bug
    and surfaces as a traceback.
    """
    region = module_region(module) if region_required else module.region
    errors = validate(module.params, region) if validate else []
    if errors:
        module.fail_json(msg=f"invalid {what} spec: " + "; ".join(errors), errors=errors)
    reconciler = None
    try:
        reconciler = make(region)
        if action is None:
            reconciler.converge()
        else:
            action(reconciler)
        value = reconciler.result()
    except PlatformError as error:
        module.fail_json(msg=str(error), **_partial(reconciler), **error.details)
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg="region: no region given (set region, or AWS_REGION in the environment)")
    except botocore.exceptions.NoCredentialsError as error:
        module.fail_json(msg=f"{error} (set AWS credentials: profile, environment or an instance role)")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        done = "; ".join(reconciler.changes.items) if reconciler is not None and reconciler.changes else "nothing"
        module.fail_json_aws(error, msg=f"{what} failed (done before the failure: {done})", **_partial(reconciler))
    for warning in reconciler.warnings:
        module.warn(warning)
    result = {"changed": bool(reconciler.changes), key: value, "changes": reconciler.changes.items}
    # A procedure may return more than one top-level value (a deployment and what it was before).
    result.update(getattr(reconciler, "extra_result", dict)())
    phases = getattr(reconciler, "phases", None)
    if phases is not None:
        result["phases"] = phases.items
        result["duration_s"] = phases.duration
    if module._diff and hasattr(reconciler, "before_snapshot"):
        result["diff"] = dict(before=reconciler.before_snapshot, after=reconciler.after())
    module.exit_json(**result)


def _partial(reconciler):
    """What a failed run had done: its changes and, for a procedure, its phases so far."""
    if reconciler is None:
        return {}
    partial = {"changes": reconciler.changes.items}
    phases = getattr(reconciler, "phases", None)
    if phases is not None:
        partial["phases"] = phases.items
    return partial


def run_info(module, read, key, what):
    """A read-only ``_info`` module: ``read(region)`` returns ``(exists, value)``; reads only, never changed.

    The result has ``exists`` and ``value`` under ``key``; with ``key=None``, ``value`` (a dict) gives the
    result's keys (modules that return several facts side by side).
    """
    region = module_region(module)
    try:
        exists, value = read(region)
    except PlatformError as error:
        module.fail_json(msg=str(error), **error.details)
    except botocore.exceptions.NoRegionError:
        module.fail_json(msg="region: no region given (set region, or AWS_REGION in the environment)")
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        module.fail_json_aws(error, msg=f"could not read the {what}")
    module.exit_json(changed=False, exists=exists, **(value if key is None else {key: value}))


def info_module(state, key, what, **options):
    """The whole of a read-only ``_info`` module: its own ``options`` besides INFO_ARGUMENT_SPEC, then
    ``state.info(clients, params, region)`` with the clients ``state.INFO_SERVICES`` names, through run_info."""
    module = AnsibleAWSModule(argument_spec=dict(options, **INFO_ARGUMENT_SPEC), supports_check_mode=True)
    run_info(module, lambda region: state.info(clients(module, state.INFO_SERVICES), module.params, region), key, what)


# -- creates that survive a lost response ------------------------------------------------------------------------------
# A create whose answer is a 5xx, a timeout or a dropped connection may have acted: AWS documents 5xx as
# "the request may or may not have been processed". Retrying it blindly makes a second resource when the API
# takes no idempotency token (CreateVpc, CreateKey, RegisterTaskDefinition, ...). So such a create is tried
# once (no botocore retry, no AWSRetry), and after an ambiguous failure the resource is looked for by its tags
# or unique name before creating again. Throttling is still retried: a throttled call never acted.

THROTTLING_CODES = frozenset(
    (
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "EC2ThrottledException",
    )
)
AMBIGUOUS_CODES = frozenset(("RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"))


def _error_code(parsed):
    return ((parsed or {}).get("Error") or {}).get("Code")


def _retry_only_when_safe(response=None, caught_exception=None, **kwargs):
    """A ``needs-retry`` handler: False (do not retry) when the call may have acted, None (let the
    standard retry decide) when it surely did not (throttled, refused, never connected)."""
    if caught_exception is not None:
        # Never connected: nothing reached AWS. Anything later (read timeout, connection closed) may have acted.
        return None if isinstance(caught_exception, botocore.exceptions.ConnectionError) else False
    if response is None:
        return None
    http, parsed = response
    code = _error_code(parsed)
    if code in THROTTLING_CODES:
        return None
    if http.status_code >= 500 or code in AMBIGUOUS_CODES:
        return False
    return None


def single_attempt(client, *operations):
    """Make botocore send ``operations`` (``"CreateVpc"``) of ``client`` once when the answer leaves it unknown
    whether the call acted; throttled calls are still retried. Pair with ``create_once``."""
    try:
        meta = client.meta
        service = meta.service_model.service_id.hyphenize()
    except AttributeError:
        return client  # not a botocore client (a test's fake): nothing retries it
    for operation in operations:
        meta.events.register_first(
            f"needs-retry.{service}.{operation}",
            _retry_only_when_safe,
            unique_id=f"stackops-single-attempt-{service}-{operation}",
        )
    return client


def is_ambiguous(error):
    """True when a failed call may still have acted: a 5xx, a request timeout, a read timeout, a dropped
    connection. A 4xx (refused) or a failure to connect did not act."""
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = _error_code(error.response)
        return code not in THROTTLING_CODES and (status >= 500 or code in AMBIGUOUS_CODES)
    return isinstance(error, botocore.exceptions.HTTPClientError)


def create_once(create, find, what, warnings=None, attempts=4, settle=5.0):
    """``create()``; when its answer is ambiguous (``is_ambiguous``), ``find()`` what it may have made (by
    tags or unique name, polled up to ``settle`` seconds: reads after a create are eventually consistent) and
    return that, else create again (up to ``attempts`` creates). ``create`` must call an operation made
    ``single_attempt`` and must not pass ``aws_retry`` (AWSRetry would repeat it). A lost answer that was
    adopted is noted in ``warnings``.
    """
    for attempt in range(1, attempts + 1):
        try:
            return create()
        except (botocore.exceptions.ClientError, botocore.exceptions.HTTPClientError) as error:
            if not is_ambiguous(error) or attempt == attempts:
                raise
            lost = error
        deadline = time.monotonic() + settle
        delay = 0.25
        while True:
            found = find()
            if found:
                if warnings is not None:
                    warnings.append(f"{what}: the answer to its create was lost ({lost}); adopted what it made")
                return found
            if time.monotonic() >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    raise AssertionError("unreachable")  # pragma: no cover


def create_log_group(logs, params, warnings=None):
    """CreateLogGroup once; after a lost answer the group of that name (unique in a region) is adopted."""
    name = params["logGroupName"]
    single_attempt(logs, "CreateLogGroup")

    def find():
        groups = logs.describe_log_groups(logGroupNamePrefix=name, aws_retry=True)["logGroups"]
        return next((g for g in groups if g["logGroupName"] == name), None)

    return create_once(lambda: logs.create_log_group(**params), find, f"log group {name}", warnings)


def create_role(iam, params, warnings=None):
    """CreateRole once; after a lost answer the role of that name (unique in the account) is adopted.
    Returns CreateRole's answer (``{"Role": ...}``) either way."""
    single_attempt(iam, "CreateRole")

    def find():
        role = not_found(lambda: iam.get_role(RoleName=params["RoleName"], aws_retry=True)["Role"], "NoSuchEntity")
        return {"Role": role} if role else None

    return create_once(lambda: iam.create_role(**params), find, f"IAM role {params['RoleName']}", warnings)
