# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Policy documents from the inventory on IAM roles: inline policies and customer managed policies.

A role's ``policies`` is a list of ``{name, document}`` (``managed: true`` for a customer managed policy). The
document is a mapping (YAML in the inventory) or its JSON text; the cluster role loads ``file:`` paths into
``document`` on the controller (``policy_files`` filter). Converged per role: inline policies are put when
missing or different (compared as normalised JSON) and deleted when the list no longer has them; managed
policies are created as ``/stackops/<role>-<name>``, get a new default version when the document changes (the
oldest version goes when IAM's five are used), are attached, and are detached and deleted when the list no
longer has them. Validation follows IAM's limits (IAM and STS quotas: inline policies of a role at most 10,240
characters together, a managed policy at most 6,144, not counting whitespace; policy names 1-128 of
``[A-Za-z0-9+=,.@_-]``; at most 20 managed policies per role).
"""

from __future__ import annotations

import json
import re

try:
    from botocore.exceptions import ClientError
except ImportError:
    pass  # AnsibleAWSModule reports the missing library

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

POLICY_PATH = "/stackops/"
INLINE_TOTAL_MAX = 10240
MANAGED_MAX = 6144
MANAGED_PER_ROLE_MAX = 20
VERSIONS_MAX = 5
_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
_EFFECTS = ("Allow", "Deny")
_VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
POLICY_KEYS = ("name", "document", "file", "managed", "description")


def parse(document):
    """The document as a mapping (from a mapping or its JSON text), or None when it is neither."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return None
    return document if isinstance(document, dict) else None


def normalise(document):
    """One comparable text for a document: what IAM returns and what the inventory says compare equal."""
    parsed = parse(document)
    if parsed is None:
        return None
    parsed = dict(parsed)
    statements = parsed.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    normalised = []
    for original in statements or []:
        statement = dict(original)
        for key in ("Action", "NotAction", "Resource", "NotResource"):
            if isinstance(statement.get(key), list) and len(statement[key]) == 1:
                statement[key] = statement[key][0]
        normalised.append(statement)
    parsed["Statement"] = normalised
    return json.dumps(parsed, sort_keys=True, separators=(",", ":"))


def _size(document):
    """IAM's count: characters of the JSON text without whitespace."""
    return len(re.sub(r"\s", "", json.dumps(parse(document), separators=(",", ":"))))


def document_errors(document, where):
    parsed = parse(document)
    if parsed is None:
        return [f"{where}: not a policy document (a mapping, or its JSON text, with Version and Statement)"]
    errors = []
    unknown = sorted(set(parsed) - {"Version", "Id", "Statement"})
    if unknown:
        errors.append(f"{where}: {', '.join(unknown)} is not part of an IAM policy (Version, Id, Statement)")
    if parsed.get("Version") not in _VERSIONS:
        errors.append(f"{where}.Version: {parsed.get('Version')!r} must be 2012-10-17")
    statements = parsed.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        errors.append(f"{where}.Statement: at least one statement is needed")
        return errors
    for index, statement in enumerate(statements):
        at = f"{where}.Statement[{index}]"
        if not isinstance(statement, dict):
            errors.append(f"{at}: must be a mapping (Effect, Action, Resource)")
            continue
        extra = sorted(set(statement) - _STATEMENT_KEYS)
        if extra:
            errors.append(f"{at}: {', '.join(extra)} is not a statement element")
        if statement.get("Effect") not in _EFFECTS:
            errors.append(f"{at}.Effect: {statement.get('Effect')!r} must be Allow or Deny")
        if ("Action" in statement) == ("NotAction" in statement):
            errors.append(f"{at}: needs Action or NotAction (one of them)")
        if ("Resource" in statement) == ("NotResource" in statement):
            errors.append(f"{at}: needs Resource or NotResource (one of them; a role's policy names what it acts on)")
        if "Principal" in statement or "NotPrincipal" in statement:
            errors.append(f"{at}.Principal: a role's permission policy has no Principal (that is the trust policy)")
        for key in ("Action", "NotAction"):
            actions = statement.get(key)
            for action in actions if isinstance(actions, list) else [actions] if actions is not None else []:
                if not isinstance(action, str) or not (action == "*" or re.match(r"^[a-z0-9-]+:[\w*?]+$", action)):
                    errors.append(f"{at}.{key}: {action!r} is not an action (service:Operation, wildcards allowed)")
    return errors


def validate_policies(policies, where, errors):
    """Rules of a role's ``policies`` list; messages start with ``where`` (the variable the user set)."""
    if policies is None:
        return
    if not isinstance(policies, list):
        errors.append(f"{where}: must be a list of policies (name, document or file, managed)")
        return
    seen, inline_size, managed = set(), 0, 0
    for index, policy in enumerate(policies):
        at = f"{where}[{index}]"
        if not isinstance(policy, dict):
            errors.append(f"{at}: must be a mapping with name and document (or file)")
            continue
        extra = sorted(set(policy) - set(POLICY_KEYS))
        if extra:
            errors.append(f"{at}: unknown key(s) {', '.join(extra)} (allowed: {', '.join(POLICY_KEYS)})")
        name = policy.get("name")
        if not isinstance(name, str) or not _NAME_RE.match(name):
            errors.append(f"{at}.name: {name!r} must be 1-128 letters, digits or +=,.@_-")
        elif name in seen:
            errors.append(f"{at}.name: {name} is defined twice")
        seen.add(name)
        if policy.get("file") and policy.get("document") is None:
            errors.append(f"{at}.file: cannot read {policy['file']!r} (a JSON or YAML policy document)")
            continue
        if policy.get("document") is None:
            errors.append(f"{at}.document: a policy document is needed (a mapping, its JSON text, or file: a path)")
            continue
        problems = document_errors(policy["document"], f"{at}.document")
        errors.extend(problems)
        if problems:
            continue
        size = _size(policy["document"])
        if policy.get("managed"):
            managed += 1
            if size > MANAGED_MAX:
                errors.append(
                    f"{at}.document: {size} characters; IAM takes at most {MANAGED_MAX} in a managed policy "
                    "(whitespace not counted)"
                )
        else:
            inline_size += size
    if inline_size > INLINE_TOTAL_MAX:
        errors.append(
            f"{where}: the inline policies have {inline_size} characters together; IAM takes at most "
            f"{INLINE_TOTAL_MAX} per role (whitespace not counted): make some managed: true"
        )
    if managed > MANAGED_PER_ROLE_MAX:
        errors.append(f"{where}: {managed} managed policies; IAM attaches at most {MANAGED_PER_ROLE_MAX} to a role")


def managed_name(role, policy):
    return f"{role}-{policy}"[:128]


def managed_arn(partition, account, role, policy):
    return f"arn:{partition}:iam::{account}:policy{POLICY_PATH}{managed_name(role, policy)}"


def is_ours(arn, role):
    """A managed policy this module made for ``role`` (its path and name prefix)."""
    name = arn.split(":policy", 1)[-1]
    return name.startswith(f"{POLICY_PATH}{role}-")


def read_managed(iam, arn):
    """{"document", "versions": [(id, default)]} of a managed policy, or None."""
    try:
        policy = iam.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]
    except ClientError as error:  # pylint: disable=duplicate-except
        if is_boto3_error_code("NoSuchEntity", e=error):
            return None
        raise
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"], aws_retry=True)
    versions = iam.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]
    return {
        "document": version["PolicyVersion"]["Document"],
        "versions": sorted(
            ((v["VersionId"], v["IsDefaultVersion"], v.get("CreateDate")) for v in versions), key=lambda v: str(v[2])
        ),
    }


def converge(iam, changes, role, policies, current_inline, current_attached, partition, account, tags):
    """Converge ``policies`` on ``role``. ``current_inline``: {name: document}; ``current_attached``: [arn].
    Writes only behind ``changes.add`` (check mode writes nothing)."""
    policies = policies or []
    inline = {p["name"]: p["document"] for p in policies if not p.get("managed")}
    managed = {p["name"]: p for p in policies if p.get("managed")}
    for name, document in inline.items():
        have = current_inline.get(name)
        if (have is None or normalise(have) != normalise(document)) and changes.add(
            f"{'put' if have is None else 'update'} the inline policy {name} of IAM role {role}"
        ):
            iam.put_role_policy(
                RoleName=role, PolicyName=name, PolicyDocument=json.dumps(parse(document)), aws_retry=True
            )
    wanted_arns = set()
    for name, policy in managed.items():
        arn = managed_arn(partition, account, role, name)
        wanted_arns.add(arn)
        document = json.dumps(parse(policy["document"]))
        current = read_managed(iam, arn)
        if current is None:
            if changes.add(f"create the managed policy {managed_name(role, name)} for IAM role {role}"):
                try:
                    iam.create_policy(
                        PolicyName=managed_name(role, name),
                        Path=POLICY_PATH,
                        PolicyDocument=document,
                        Description=policy.get("description") or f"stackops.platform: {name} of {role}",
                        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
                        aws_retry=True,
                    )
                except ClientError as error:  # pylint: disable=duplicate-except
                    # A create whose answer was lost: the policy exists, so converge its document instead.
                    if not is_boto3_error_code("EntityAlreadyExists", e=error):
                        raise
                    current = read_managed(iam, arn)
        if current is not None and normalise(current["document"]) != normalise(document):
            if changes.add(f"update the managed policy {managed_name(role, name)} (a new default version)"):
                if len(current["versions"]) >= VERSIONS_MAX:
                    oldest = next(v for v, default, _created in current["versions"] if not default)
                    iam.delete_policy_version(PolicyArn=arn, VersionId=oldest, aws_retry=True)
                iam.create_policy_version(PolicyArn=arn, PolicyDocument=document, SetAsDefault=True, aws_retry=True)
        if arn not in current_attached and changes.add(f"attach {managed_name(role, name)} to IAM role {role}"):
            iam.attach_role_policy(RoleName=role, PolicyArn=arn, aws_retry=True)
    # Deletions last: what the list no longer has.
    for name in sorted(set(current_inline) - set(inline)):
        if changes.add(f"delete the inline policy {name} of IAM role {role}"):
            iam.delete_role_policy(RoleName=role, PolicyName=name, aws_retry=True)
    for arn in sorted(a for a in current_attached if is_ours(a, role) and a not in wanted_arns):
        label = arn.rsplit("/", 1)[-1]
        if changes.add(f"detach and delete the managed policy {label} of IAM role {role}"):
            iam.detach_role_policy(RoleName=role, PolicyArn=arn, aws_retry=True)
            for version in iam.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"], aws_retry=True)
            iam.delete_policy(PolicyArn=arn, aws_retry=True)
    return sorted(wanted_arns)
