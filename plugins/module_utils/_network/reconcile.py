# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Converge a whole network tier in one pass: read everything once, then create, update and delete.

Order: VPC → internet gateway → subnets → NAT gateways → route tables → endpoints → flow logs →
subnet groups, then the deletions in reverse dependency order. In check mode nothing after the reads
runs; resources that do not exist yet have ``None`` for an ID.

Each resource kind is a part (``subnets``, ``gateways``, ``endpoints``, ``flow_logs``, ``subnet_groups``)
with ``before(sym)`` (its piece of ``--diff``'s before, in the symbolic form of ``spec.layout``),
``converge()`` and ``teardown()``; the parts share this reconciler's reads, ids, changes and deferred
deletions, and this class decides the order.
"""

from __future__ import annotations

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing library


from ..platform import Changes
from ..platform import ReconcileError
from ..platform import create_once
from ..platform import identity_tags
from ..platform import resource_tags
from ..platform import single_attempt
from ..platform import sync_tags
from ..platform import tag_filters
from ..platform import tag_specifications
from ..platform import tags_purged
from . import state as st
from .endpoints import Endpoints
from .flow_logs import FlowLogs
from .gateways import InternetGateway
from .gateways import NatGateways
from .spec import layout
from .subnet_groups import SubnetGroups
from .subnets import RouteTables
from .subnets import Subnets

__all__ = ["NetworkReconciler", "ReconcileError"]


class NetworkReconciler:
    def __init__(self, params, region, clients, check_mode):
        self.p = params
        self.region = region
        # Creates without an idempotency token are sent once and, after an answer that leaves it unknown
        # whether they acted, looked for before being sent again (platform.create_once).
        self.ec2 = single_attempt(
            clients["ec2"],
            "CreateVpc",
            "CreateSubnet",
            "CreateInternetGateway",
            "AllocateAddress",
            "CreateSecurityGroup",
        )
        self.logs = clients["logs"]
        self.iam = clients["iam"]
        self.rds = single_attempt(clients["rds"], "CreateDBSubnetGroup")
        self.elasticache = single_attempt(clients["elasticache"], "CreateCacheSubnetGroup")
        self.identity = identity_tags(params["platform"], params["environment"], "network")
        self.names = st.Names(params["name"], region)
        self.absent = params.get("state") == "absent"
        self.desired = None if self.absent else layout(params)
        self.purge_tags = tags_purged(params)
        self.variable_prefix = params.get("variable_prefix") or ""
        self.changes = Changes(check_mode)
        self.warnings = []
        self.state = st.NetworkState()
        # symbolic key ("public/us-east-1a", "nat/us-east-1a", "igw", route table key) -> AWS id
        self.ids = {}
        self._deferred = []  # deletions, run last: by stage (what depends on what), then in the order added
        self.before_snapshot = {}
        self.subnets = Subnets(self)
        self.internet_gateway = InternetGateway(self)
        self.nat_gateways = NatGateways(self)
        self.route_tables = RouteTables(self)
        self.endpoints = Endpoints(self)
        self.flow_logs = FlowLogs(self)
        self.subnet_groups = SubnetGroups(self)

    # -- reading --------------------------------------------------------------------------------------------

    def read(self):
        state = self.state
        st.read_vpc_part(self.ec2, self.identity, self.region, state)
        if state.vpc_id:
            state.endpoint_security_group = st.read_security_group(
                self.ec2, state.vpc_id, self.names.endpoint_security_group
            )
        if self.absent or self.desired["flow_logs"] or state.flow_logs:
            st.read_flow_log_parts(self.logs, self.iam, self.names, state)
        st.read_db_subnet_group(self.rds, self.names.subnet_group, state)
        st.read_cache_subnet_group(self.elasticache, self.names.subnet_group, state)
        return state

    def before(self):
        """The current network in the symbolic form of ``spec.layout`` (``--diff``'s ``before``)."""
        if not self.state.vpc:
            return {}
        sym = {}  # AWS id -> symbolic key, filled by each part for the parts after it
        found = {"cidr": self.state.vpc["CidrBlock"]}
        for part in (
            self.subnets,
            self.internet_gateway,
            self.nat_gateways,
            self.route_tables,
            self.endpoints,
            self.flow_logs,
            self.subnet_groups,
        ):
            found.update(part.before(sym))
        return found

    def after(self):
        if self.absent:
            return {}
        after = dict(self.desired)
        after["route_tables"] = {
            key: {"subnets": sorted(table["subnets"]), "default_route": table["default_route"]}
            for key, table in self.desired["route_tables"].items()
        }
        for key in ("db_subnet_group", "cache_subnet_group"):
            if after[key] is not None:
                after[key] = sorted(after[key])
        return after

    # -- what the parts share -------------------------------------------------------------------------------

    def var(self, option):
        """An option's name as the user wrote it (the role's variable, with ``variable_prefix``)."""
        return f"{self.variable_prefix}{option}"

    def tags(self, name=None, **extra):
        return resource_tags(self.identity, self.p["tags"], name=name, **extra)

    def ensure_ec2_tags(self, resource_id, label, current, desired):
        sync_tags(self.changes, self.ec2, "ec2", resource_id, label, current, desired, self.purge_tags)

    def defer(self, sentence, action, stage=0):
        """Run ``action`` after every create and update. Stage 0 holds what nothing else of ours depends on
        (endpoints, NAT gateways, route tables, subnet groups, flow logs); stage 1 what those use (the endpoint
        security group; the internet gateway, which AWS refuses to detach while NAT addresses are mapped);
        stage 2 the subnets, which every other resource sits in."""
        self._deferred.append((stage, len(self._deferred), sentence, action))

    def managed_tags(self, tags):
        return all(tags.get(k) == v for k, v in self.identity.items())

    def _run_deferred(self):
        for _stage, _order, sentence, action in sorted(self._deferred, key=lambda d: d[:2]):
            if self.changes.add(sentence):
                action()

    # -- the steps --------------------------------------------------------------------------------------------

    def converge(self):
        self.read()
        self.before_snapshot = self.before()
        self._check_preconditions()
        self.vpc()
        self.internet_gateway.converge()
        self.subnets.converge()
        self.nat_gateways.converge()
        self.route_tables.converge()
        self.endpoints.converge()
        self.flow_logs.converge()
        self.subnet_groups.converge()
        self._run_deferred()
        if self.changes and not self.changes.check_mode:
            self.read()  # what is there now, for the return value

    def teardown(self):
        """``state: absent``: delete every resource of the network, dependents first, the VPC last.

        Stops before any write when the VPC holds things this module did not make (another tier's security
        groups, subnets of someone else): AWS would refuse to delete the VPC halfway through otherwise."""
        self.read()
        self.before_snapshot = self.before()
        state = self.state
        if state.vpc:
            self._check_nothing_foreign()
        self.subnet_groups.teardown()
        self.flow_logs.teardown()
        if state.vpc:
            self.endpoints.teardown()
            self.nat_gateways.teardown()
            self.route_tables.teardown()
            self.endpoints.teardown_security_group()
            self.internet_gateway.teardown()
            self.subnets.teardown()
            vpc_id = state.vpc_id
            self.defer(
                f"delete VPC {self.names.vpc} {vpc_id}",
                lambda: self.ec2.delete_vpc(VpcId=vpc_id, aws_retry=True),
                stage=3,
            )
        self._run_deferred()
        if self.changes and not self.changes.check_mode:
            self.state = st.NetworkState()
            self.read()

    def _check_nothing_foreign(self):
        vpc_id = self.state.vpc_id
        foreign = [
            f"subnet {s['SubnetId']} ({s['CidrBlock']})"
            for s in self.state.subnets
            if not st.is_managed(s, self.identity)
        ]
        groups = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], aws_retry=True)
        ours = self.names.endpoint_security_group
        foreign += [
            f"security group {g['GroupName']} ({g['GroupId']})"
            for g in groups["SecurityGroups"]
            if g["GroupName"] not in ("default", ours)
        ]
        if foreign:
            raise ReconcileError(
                f"{self.var('state')}: absent: the VPC {vpc_id} still holds {', '.join(foreign)}, which this module did not make. "
                "Tear down the tiers that use the network first (security, cluster, database, ...); nothing was deleted."
            )

    def _check_preconditions(self):
        unknown = [az for az in self.p["azs"] if az not in self.state.azs]
        if unknown:
            raise ReconcileError(
                f"{self.var('azs')}: {', '.join(unknown)} is not an availability zone of {self.region} "
                f"(it has {', '.join(sorted(self.state.azs))})"
            )
        self._check_endpoint_services()
        vpc = self.state.vpc
        if vpc and vpc["CidrBlock"] != self.p["cidr"]:
            raise ReconcileError(
                f"{self.var('cidr')}: the VPC {vpc['VpcId']} has CIDR {vpc['CidrBlock']}, the spec says {self.p['cidr']}. AWS cannot "
                "change a VPC's primary CIDR: restore the old value, or delete the network and converge again."
            )
        by_cidr = {s["CidrBlock"]: s for s in self.state.subnets}
        for subnet in self.p["subnets"]:
            existing = by_cidr.get(subnet["cidr"])
            if existing and existing["AvailabilityZone"] != subnet["az"]:
                raise ReconcileError(
                    f"{self.var('subnets')}: {subnet['cidr']} exists as {existing['SubnetId']} in {existing['AvailabilityZone']}, the spec "
                    f"puts it in {subnet['az']}. A subnet cannot move between AZs: change the CIDR or delete the subnet."
                )

    def _check_endpoint_services(self):
        """Endpoints still to create name services the region offers: AWS answers InvalidServiceName for
        others (services differ by region). Existing endpoints cost no call."""
        have = {e["ServiceName"] for e in self.state.endpoints}
        wanted = [s for s in self.p.get("endpoints") or [] if f"com.amazonaws.{self.region}.{s}" not in have]
        missing = []
        for index, short in enumerate(self.p.get("endpoints") or []):
            if short not in wanted:
                continue
            name = f"com.amazonaws.{self.region}.{short}"
            try:
                self.ec2.describe_vpc_endpoint_services(ServiceNames=[name], aws_retry=True)
            except botocore.exceptions.ClientError as error:
                if error.response.get("Error", {}).get("Code") != "InvalidServiceName":
                    raise
                missing.append(
                    f"{self.var('endpoints')}[{index}]: {short!r} is not a VPC endpoint service of {self.region} ({name})"
                )
        if missing:
            raise ReconcileError("; ".join(missing) + "; nothing was created")

    def vpc(self):
        vpc = self.state.vpc
        tags = self.tags(self.names.vpc)
        if vpc is None:
            if self.changes.add(f"create VPC {self.names.vpc} {self.p['cidr']}"):
                vpc = create_once(
                    lambda: self.ec2.create_vpc(
                        CidrBlock=self.p["cidr"], TagSpecifications=tag_specifications("vpc", tags)
                    ),
                    self._find_vpc,
                    f"VPC {self.names.vpc}",
                    self.warnings,
                )["Vpc"]
                self.ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
                self.state.vpc = vpc
                self.state.dns_support, self.state.dns_hostnames = True, False
        else:
            self.ensure_ec2_tags(vpc["VpcId"], f"VPC {vpc['VpcId']}", st.tags_of(vpc), tags)
        for orphan in self.state.orphan_vpcs:
            self._delete_orphan_vpc(orphan)
        for attribute, current in (
            ("EnableDnsSupport", self.state.dns_support),
            ("EnableDnsHostnames", self.state.dns_hostnames),
        ):
            if current is not True and self.changes.add(f"set VPC {attribute} true"):
                self.ec2.modify_vpc_attribute(VpcId=self.state.vpc_id, **{attribute: {"Value": True}}, aws_retry=True)

    def _find_vpc(self):
        vpcs = self.ec2.describe_vpcs(Filters=tag_filters(self.identity), aws_retry=True)["Vpcs"]
        return {"Vpc": vpcs[0]} if vpcs else None

    def _delete_orphan_vpc(self, vpc):
        """A second VPC with the network's tags and nothing in it: what a CreateVpc retried after its answer
        was lost leaves. It is deleted (its default security group, route table and ACL go with it)."""
        vpc_id = vpc["VpcId"]
        self.defer(
            f"delete VPC {vpc_id} (empty, with this network's tags beside {self.state.vpc_id}: left by a create "
            "whose answer was lost)",
            lambda: self.ec2.delete_vpc(VpcId=vpc_id, aws_retry=True),
        )

    def result(self):
        return st.summarize(self.state, self.identity, self.names)
