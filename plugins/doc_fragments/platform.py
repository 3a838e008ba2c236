# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    # Identity: how a platform module finds its resources (by tags, never a local state file).
    DOCUMENTATION = r"""
options:
  platform:
    description:
      - The platform's name; the value of the C(stackops:platform) tag on every resource.
    type: str
    required: true
  environment:
    description:
      - The environment (C(dev), C(staging), C(prod), ...); the value of the C(stackops:environment) tag.
    type: str
    required: true
"""

    # Tags: like amazon.aws.tags, except that the identity tags are always set, so tags default to {}.
    TAGS = r"""
options:
  tags:
    description:
      - Tags for every resource the module manages, besides the identity tags (C(stackops:platform),
        C(stackops:environment), C(stackops:component)) and C(Name), which it always sets.
      - Keys starting with C(aws:) or C(stackops:) are refused.
    type: dict
    default: {}
    aliases: ['resource_tags']
  purge_tags:
    description:
      - Remove tags that are not in O(tags). Tags other systems add (C(aws:*), C(kubernetes.io/cluster/*),
        C(karpenter.sh/*)) are never removed.
    type: bool
    default: true
"""

    # Bounded waits.
    WAIT = r"""
options:
  wait:
    description:
      - Wait for resources that are still being created to become available before returning.
    type: bool
    default: true
  wait_timeout:
    description:
      - How long to wait, in seconds, for any one wait. The module fails with a message naming the
        resource when it passes.
    type: int
    default: 600
"""

    # Messages naming the variables a role's user set rather than the module's options.
    VARIABLE_PREFIX = r"""
options:
  variable_prefix:
    description:
      - Prepended to option names in error messages and warnings, also those found after the module's reads
        (the tier's role passes its variable prefix, C(vpc_), C(database_), ..., so messages name the
        variables its user set).
    type: str
    default: ""
    version_added: 0.2.0
"""

    # Read-only _info modules: the identity options only (INFO_ARGUMENT_SPEC), reads only.
    INFO = r"""
options:
  platform:
    description:
      - The platform's name; the value of the C(stackops:platform) tag on every resource.
    type: str
    required: true
  environment:
    description:
      - The environment (C(dev), C(staging), C(prod), ...); the value of the C(stackops:environment) tag.
    type: str
    required: true

notes:
  - Finds the tier by its identity tags (and names derived from O(platform) and O(environment)), never by a
    local state file. Makes read calls only and never reports a change; check mode is supported.
  - RV(exists) is V(false) when the tier is not there; the other return values then hold empty values.
"""
