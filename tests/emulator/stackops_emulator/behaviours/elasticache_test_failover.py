"""ElastiCache TestFailover: a shard's primary moves to a replica, with AWS's events and limits.

AWS (https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html#auto-failover-test):

- TestFailover tests automatic failover on one node group (shard): a replica of the shard becomes its primary.
  "A customer can use this operation to test automatic failover on up to 15 shards ... in any rolling 24-hour
  period" (APICallRateForCustomerExceeded beyond that); on shards of the same replication group "the first node
  replacement must complete before a subsequent call can be made". It needs automatic failover enabled and a
  replica in the shard, and an ``available`` group.
- Completion shows in the events, in this order: replication group "Test Failover API called for node group
  <node-group-id>"; cache cluster "Failover from primary node <primary-node-id> to replica node <node-id>
  completed"; replication group "Failover from primary node ... completed"; cache cluster "Recovering cache
  nodes <node-id>"; then "Finished recovery for cache nodes <node-id>".
- With cluster mode disabled the primary endpoint keeps its name and points at the new primary; the members'
  ``CurrentRole`` changes.

moto 5.2 implements neither TestFailover nor DescribeEvents (HTTP 500). This behaviour answers both: the roles
change half way through ``failover_seconds`` (default 3 s), recovery finishes at its end, and the events above
are recorded. For shards without ``CurrentRole`` (cluster mode enabled) the first member of a shard is its
primary. ``PUT /_stackops/behaviours/elasticache-test-failover`` with ``{"failover_seconds": 1, "daily_limit":
15}`` changes the timing and the rolling 24-hour limit.
"""

from __future__ import annotations

import datetime
import threading
import time

from . import _elasticache as ec

DEFAULTS = {"failover_seconds": 3.0, "daily_limit": 15}
DAY = 24 * 3600


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017


def _parse_time(value):
    if not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017


class ElastiCacheTestFailover:
    name = "elasticache-test-failover"
    summary = "ElastiCache TestFailover moves a shard's primary to a replica with events; AWS's limits enforced"
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html"

    def __init__(self, clock=time.monotonic):
        self._lock = threading.Lock()
        self._clock = clock
        self.settings = dict(DEFAULTS)
        self._events = {}  # region -> [event dicts]
        self._calls = {}  # region -> [monotonic times of TestFailover calls]
        self._pending = []  # dicts: region, group, shard, old, new, swap_at, done_at, swapped

    def reset(self):
        with self._lock:
            self.settings = dict(DEFAULTS)
            self._events.clear()
            self._calls.clear()
            self._pending.clear()

    def configure(self, settings):
        unknown = set(settings) - set(DEFAULTS)
        if unknown:
            raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULTS)}")
        with self._lock:
            for key, value in settings.items():
                self.settings[key] = int(value) if key == "daily_limit" else float(value)
            return dict(self.settings)

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache":
            return forward(request)
        self._settle()
        if call.operation == "TestFailover":
            return self._test_failover(request)
        if call.operation == "DescribeEvents":
            return self._describe_events(request)
        return forward(request)

    # -- state -----------------------------------------------------------------------------------------------------------

    def _event(self, region, source_type, identifier, message):
        self._events.setdefault(region, []).append(
            {"SourceIdentifier": identifier, "SourceType": source_type, "Message": message, "Date": _utcnow()}
        )

    @staticmethod
    def _shard(group, shard_id):
        return next((n for n in group.node_groups if n.get("node_group_id") == shard_id), None)

    @staticmethod
    def _primary(shard):
        members = shard.get("node_group_members", [])
        found = next((m for m in members if m.get("current_role") == "primary"), None)
        return found or (members[0] if members else None)

    def _settle(self):
        now = self._clock()
        with self._lock:
            entries = list(self._pending)
        for entry in entries:
            if not entry["swapped"] and now >= entry["swap_at"]:
                self._swap(entry)
            if now >= entry["done_at"]:
                self._recover(entry)
                with self._lock:
                    if entry in self._pending:
                        self._pending.remove(entry)

    def _swap(self, entry):
        entry["swapped"] = True
        group = ec.backend(entry["region"]).replication_groups.get(entry["group"])
        shard = self._shard(group, entry["shard"]) if group is not None else None
        if shard is None:
            return
        members = shard.get("node_group_members", [])
        old = next((m for m in members if m["cache_cluster_id"] == entry["old"]), None)
        new = next((m for m in members if m["cache_cluster_id"] == entry["new"]), None)
        if old is None or new is None:
            return
        if "current_role" in old or "current_role" in new:
            old["current_role"], new["current_role"] = "replica", "primary"
        members.remove(new)
        members.insert(0, new)  # the first member of a shard is its primary (cluster mode enabled)
        message = f"Failover from primary node {entry['old']} to replica node {entry['new']} completed"
        self._event(entry["region"], "cache-cluster", entry["old"], message)
        self._event(entry["region"], "replication-group", entry["group"], message)
        self._event(entry["region"], "cache-cluster", entry["old"], "Recovering cache nodes 0001")

    def _recover(self, entry):
        if not entry["swapped"]:
            self._swap(entry)
        self._event(entry["region"], "cache-cluster", entry["old"], "Finished recovery for cache nodes 0001")

    # -- TestFailover -----------------------------------------------------------------------------------------------

    def _test_failover(self, request):
        call = request.call
        params = ec.params_of(request)
        group_id = params.get("ReplicationGroupId", "")
        shard_id = params.get("NodeGroupId", "")
        group = ec.backend(call.region).replication_groups.get(group_id)
        if group is None:
            return ec.error(
                request, "ReplicationGroupNotFoundFault", f"Replication group {group_id} not found.", status=404
            )
        shard = self._shard(group, shard_id)
        if shard is None:
            return ec.error(
                request, "NodeGroupNotFoundFault", f"Node group {shard_id} not found in {group_id}.", status=404
            )
        if group.status != "available":
            return ec.error(
                request,
                "InvalidReplicationGroupState",
                f"Replication group {group_id} is not in available state (it is {group.status}).",
            )
        if getattr(group, "automatic_failover", "disabled") != "enabled":
            return ec.error(
                request,
                "InvalidReplicationGroupState",
                f"Test failover requires automatic failover enabled on replication group {group_id}.",
            )
        members = shard.get("node_group_members", [])
        if len(members) < 2:
            return ec.error(
                request,
                "InvalidReplicationGroupState",
                f"Node group {shard_id} of {group_id} has no replica to fail over to.",
            )
        now = self._clock()
        with self._lock:
            if any(p["region"] == call.region and p["group"] == group_id for p in self._pending):
                return ec.error(
                    request,
                    "TestFailoverNotAvailableFault",
                    f"A test failover of replication group {group_id} is in progress; wait for it to complete.",
                )
            recent = [t for t in self._calls.get(call.region, []) if now - t < DAY]
            if len(recent) >= self.settings["daily_limit"]:
                return ec.error(
                    request,
                    "APICallRateForCustomerExceeded",
                    f"TestFailover was called on {len(recent)} shards in the last 24 hours, the most allowed.",
                )
            self._calls[call.region] = recent + [now]
        primary = self._primary(shard)
        replicas = [m for m in members if m is not primary]
        # AWS promotes a replica; one in another AZ keeps the shard spread when the old primary's AZ is the problem.
        target = next(
            (m for m in replicas if m.get("preferred_availability_zone") != primary.get("preferred_availability_zone")),
            replicas[0],
        )
        seconds = self.settings["failover_seconds"]
        with self._lock:
            self._pending.append(
                dict(
                    region=call.region,
                    group=group_id,
                    shard=shard_id,
                    old=primary["cache_cluster_id"],
                    new=target["cache_cluster_id"],
                    swap_at=now + seconds / 2,
                    done_at=now + seconds,
                    swapped=False,
                )
            )
        self._event(call.region, "replication-group", group_id, f"Test Failover API called for node group {shard_id}")
        return ec.serialize("TestFailover", {"ReplicationGroup": group})

    # -- DescribeEvents ---------------------------------------------------------------------------------------------

    def _describe_events(self, request):
        params = ec.params_of(request)
        found = list(self._events.get(request.call.region, []))
        if params.get("SourceType"):
            found = [e for e in found if e["SourceType"] == params["SourceType"]]
        if params.get("SourceIdentifier"):
            found = [e for e in found if e["SourceIdentifier"] == params["SourceIdentifier"]]
        start = _parse_time(params.get("StartTime"))
        if start is None:
            minutes = int(params.get("Duration") or 60)  # AWS's default: the last hour
            start = _utcnow() - datetime.timedelta(minutes=minutes)
        end = _parse_time(params.get("EndTime"))
        found = [e for e in found if e["Date"] >= start and (end is None or e["Date"] <= end)]
        found.sort(key=lambda e: e["Date"], reverse=True)  # newest first, as ElastiCache lists them
        return ec.serialize("DescribeEvents", {"Events": found})
