# -*- coding: utf-8 -*-
# Copyright: stackops platform engineers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""ElastiCache TestFailover on one shard: preflight -> act -> bounded wait -> verify.

AWS's limits are checked before the call, so that the run fails with what to do rather than with AWS's fault
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_TestFailover.html): at most 15 shards per
rolling 24 hours (counted from the "Test Failover API called" events of the region), one test at a time per
replication group (a test whose "Finished recovery" event has not come yet is waited for instead), automatic
failover enabled and a replica in the shard.

Done when the shard's primary is another node and the old primary's "Finished recovery for cache nodes" event is
there (the completion signal AWS documents). Idempotent by intent, as the RDS procedures: ``expected_primary`` or
the replication group's ``stackops:failover-*`` tags make a rerun after an interruption wait for (or report) the
failover it started instead of testing a second one.
"""

from __future__ import annotations

import datetime

from ..platform import Changes
from ..platform import Phases
from ..platform import PreconditionFailed
from ..platform import not_found
from ..platform import wait_for
from .intent import TAG_AT
from .intent import TAG_FROM
from .intent import TAG_STATE
from .intent import intent
from .intent import phase_seconds
from .intent import stamp

CALLED = "Test Failover API called for node group"
FINISHED = "Finished recovery for cache nodes"


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (Python < 3.11 targets)


def _as_utc(value):
    if isinstance(value, datetime.datetime):
        return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)  # noqa: UP017
    return None


class CacheFailover:
    def __init__(self, params, clients, region, check_mode):
        self.p = params
        self.ec = clients["elasticache"]
        self.region = region
        self.changes = Changes(check_mode)
        self.warnings = []
        self.phases = Phases()
        self.outcome = {}
        self.started_at = None

    def result(self):
        return self.outcome

    # -- reads ---------------------------------------------------------------------------------------------------------

    def group(self):
        found = not_found(
            lambda: self.ec.describe_replication_groups(
                ReplicationGroupId=self.p["replication_group_id"], aws_retry=True
            )["ReplicationGroups"],
            "ReplicationGroupNotFoundFault",
        )
        return found[0] if found else None

    def shard(self, group):
        wanted = self.p["node_group_id"]
        found = next((n for n in group.get("NodeGroups", []) if n.get("NodeGroupId") == wanted), None)
        if found is None:
            shards = ", ".join(n.get("NodeGroupId", "?") for n in group.get("NodeGroups", []))
            raise PreconditionFailed(
                f"node_group_id: {self.p['replication_group_id']} has no node group {wanted} (it has {shards})"
            )
        return found

    def events(self, hours=24):
        """The region's ElastiCache events of the last ``hours`` (oldest first)."""
        answer = self.ec.describe_events(
            StartTime=_utcnow() - datetime.timedelta(hours=hours), MaxRecords=100, aws_retry=True
        )
        found = list(answer.get("Events", []))
        while answer.get("Marker"):
            answer = self.ec.describe_events(
                StartTime=_utcnow() - datetime.timedelta(hours=hours),
                MaxRecords=100,
                Marker=answer["Marker"],
                aws_retry=True,
            )
            found += answer.get("Events", [])
        return sorted(found, key=lambda e: _as_utc(e.get("Date")) or _utcnow())

    def primary(self, shard, events):
        """The shard's primary: ``CurrentRole`` (cluster mode disabled), else the newest failover event's new
        primary among the shard's members, else its first member."""
        members = shard.get("NodeGroupMembers", [])
        found = next((m["CacheClusterId"] for m in members if m.get("CurrentRole") == "primary"), None)
        if found:
            return found
        ids = {m["CacheClusterId"] for m in members}
        for event in reversed(events):
            message = event.get("Message", "")
            if message.startswith("Failover from primary node") and " to replica node " in message:
                new = message.split(" to replica node ", 1)[1].split()[0]
                if new in ids:
                    return new
        return members[0]["CacheClusterId"] if members else None

    def _in_progress(self, events, members):
        """A test failover of this group that has not finished: its call event with no later "Finished recovery"
        event from one of the group's nodes."""
        group_id = self.p["replication_group_id"]
        called = [
            e for e in events if e.get("SourceIdentifier") == group_id and e.get("Message", "").startswith(CALLED)
        ]
        if not called:
            return None
        last = called[-1]
        finished = [
            e
            for e in events
            if e.get("Message", "").startswith(FINISHED)
            and e.get("SourceIdentifier") in members
            and (_as_utc(e.get("Date")) or _utcnow()) >= (_as_utc(last.get("Date")) or _utcnow())
        ]
        return None if finished else last

    def _mark(self, arn, **tags):
        self.ec.add_tags_to_resource(
            ResourceName=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()], aws_retry=True
        )

    # -- the procedure -----------------------------------------------------------------------------------------------

    def run(self):
        group_id, shard_id = self.p["replication_group_id"], self.p["node_group_id"]
        with self.phases.phase("preflight"):
            group = self.group()
            if group is None:
                raise PreconditionFailed(f"replication_group_id: no replication group {group_id} in {self.region}")
            shard = self.shard(group)
            members = {m["CacheClusterId"]: m for m in shard.get("NodeGroupMembers", [])}
            events = self.events()
            primary = self.primary(shard, events)
            arn = group.get("ARN")
            tags = self._tags(arn)
            interrupted = tags.get(TAG_STATE) == "started"
            recorded, note = (None, None) if self.p.get("expected_primary") else intent(tags, self.p, group_id)
            expected = self.p.get("expected_primary") or recorded
            running = self._in_progress(events, set(members) | set(group.get("MemberClusters", [])))
            self.outcome = dict(
                replication_group_id=group_id,
                node_group_id=shard_id,
                region=self.region,
                old_primary=expected or primary,
                new_primary=None,
                old_az=(members.get(expected or primary) or {}).get("PreferredAvailabilityZone"),
                new_az=None,
                primary_endpoint=(shard.get("PrimaryEndpoint") or {}).get("Address")
                or (group.get("ConfigurationEndpoint") or {}).get("Address"),
                failed_over=False,
                already_done=False,
                aws_seconds=None,
                tests_last_24h=sum(1 for e in events if e.get("Message", "").startswith(CALLED)),
                events=[],
            )
            if expected and primary != expected and running is None:
                self.outcome.update(
                    new_primary=primary,
                    new_az=(members.get(primary) or {}).get("PreferredAvailabilityZone"),
                    already_done=True,
                )
                if note:
                    self.warnings.append(note)
                if interrupted and arn and self.changes.add(f"record the failover of {group_id} to {primary} as done"):
                    self._mark(arn, **{TAG_STATE: "done"})
                return
            resume = running is not None and bool(expected)
            if not resume:
                self._preflight(group, shard, running)
        old = expected or primary
        with self.phases.phase("failover"):
            if resume:
                self.warnings.append(f"{group_id}: a test failover of shard {shard_id} is in progress; waiting for it")
                self.started_at = _as_utc(running.get("Date")) or _utcnow()
            else:
                if not self.changes.add(
                    f"test failover of {group_id} shard {shard_id}: primary {primary} "
                    f"({self.outcome['old_az']}) to one of its replicas"
                ):
                    return
                self.started_at = _utcnow()
                if arn:
                    self._mark(arn, **{TAG_FROM: primary, TAG_STATE: "started", TAG_AT: stamp()})
                self.ec.test_failover(ReplicationGroupId=group_id, NodeGroupId=shard_id, aws_retry=True)
                self.outcome["failed_over"] = True

        def done():
            found = self.group()
            if not found or found.get("Status") != "available":
                return None
            recent = self.events(hours=1)
            now = self.primary(self.shard(found), recent)
            finished = any(
                e.get("Message", "").startswith(FINISHED)
                and e.get("SourceIdentifier") == old
                and (_as_utc(e.get("Date")) or _utcnow()) >= self.started_at - datetime.timedelta(seconds=5)
                for e in recent
            )
            return (found, now, recent) if now and now != old and finished else None

        with self.phases.phase("wait") as phase:
            # Check mode plans only: a test in progress is reported, a real run waits for it (and records it done).
            if not self.p["wait"] or self.changes.check_mode:
                phase["outcome"] = "skipped"
                return
            found, now, recent = wait_for(
                done,
                self.p["wait_timeout"],
                f"{group_id} shard {shard_id} to have a new primary and finish recovering {old}",
                delay=0.5,
                max_delay=2.0,  # a describe every 2 s at most: the end is seen soon, well within API rate limits
            )
            self.outcome["aws_seconds"] = phase_seconds(phase)
        with self.phases.phase("verify"):
            shard = self.shard(found)
            members = {m["CacheClusterId"]: m for m in shard.get("NodeGroupMembers", [])}
            since = self.started_at - datetime.timedelta(seconds=5)
            self.outcome.update(
                new_primary=now,
                new_az=(members.get(now) or {}).get("PreferredAvailabilityZone"),
                events=[
                    {"at": str(e.get("Date")), "source": e.get("SourceIdentifier"), "message": e.get("Message")}
                    for e in recent
                    if (_as_utc(e.get("Date")) or since) >= since
                    and e.get("SourceIdentifier") in set(members) | {group_id}
                ],
            )
            address = (shard.get("PrimaryEndpoint") or {}).get("Address")
            if address and self.outcome["primary_endpoint"] and address != self.outcome["primary_endpoint"]:
                self.warnings.append(f"{group_id}: the primary endpoint changed to {address}")
            if found.get("ARN"):
                self._mark(found["ARN"], **{TAG_FROM: old, TAG_STATE: "done"})

    def _tags(self, arn):
        if not arn:
            return {}
        answer = not_found(
            lambda: self.ec.list_tags_for_resource(ResourceName=arn, aws_retry=True),
            "ReplicationGroupNotFoundFault",
            "InvalidARN",
        )
        return {t["Key"]: t["Value"] for t in (answer or {}).get("TagList", [])}

    def _preflight(self, group, shard, running):
        group_id = self.p["replication_group_id"]
        if group.get("Status") != "available":
            raise PreconditionFailed(
                f"replication_group_id: {group_id} is {group.get('Status')}, not available; a test failover needs it available"
            )
        if group.get("AutomaticFailover") != "enabled":
            raise PreconditionFailed(
                f"replication_group_id: {group_id} has automatic failover {group.get('AutomaticFailover', 'disabled')}; "
                "TestFailover needs it enabled (and Multi-AZ: cache_multi_az)"
            )
        if len(shard.get("NodeGroupMembers", [])) < 2:
            raise PreconditionFailed(
                f"node_group_id: shard {self.p['node_group_id']} of {group_id} has no replica to fail over to "
                "(cache_replicas_per_shard must be at least 1)"
            )
        if running is not None:
            raise PreconditionFailed(
                f"replication_group_id: a test failover of {group_id} started at {running.get('Date')} has not finished "
                "recovering; AWS allows one at a time per replication group (wait, or pass expected_primary to wait for it)"
            )
        limit = self.p["daily_limit"]
        used = self.outcome["tests_last_24h"]
        if used >= limit:
            raise PreconditionFailed(
                f"daily_limit: {used} test failovers in {self.region} in the last 24 hours; AWS allows {limit} shards per "
                "rolling 24 hours (try again later)"
            )
