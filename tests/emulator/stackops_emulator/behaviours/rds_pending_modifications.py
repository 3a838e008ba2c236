"""ModifyDBInstance without ApplyImmediately defers what RDS applies in the maintenance window.

AWS (RDS User Guide, "Settings for DB instances", and ModifyDBInstance's ApplyImmediately): changes to the
instance class, allocated storage, storage type, provisioned IOPS, storage throughput, engine version and
Multi-AZ "occur during the next maintenance window" unless ApplyImmediately is true; until then
DescribeDBInstances shows the new values in PendingModifiedValues and the old ones on the instance. A later
ModifyDBInstance with ApplyImmediately true applies "the modifications in this request and any pending
modifications" at once.

moto 5.2 applies everything at once and ignores ApplyImmediately. This behaviour keeps those settings out
of moto's hands when ApplyImmediately is false (or absent, its default), records them as pending, and hands
them to moto with the next request that applies immediately.
"""

from __future__ import annotations

from ._rds import instance
from ._rds import params_of
from ._rds import truthy
from ._rds import with_body

# ModifyDBInstance parameter -> (moto attribute, PendingModifiedValues type)
DEFERRED = {
    "DBInstanceClass": ("db_instance_class", str),
    "AllocatedStorage": ("allocated_storage", int),
    "StorageType": ("storage_type", str),
    "Iops": ("iops", int),
    "StorageThroughput": ("storage_throughput", int),
    "EngineVersion": ("engine_version", str),
    "MultiAZ": ("multi_az", truthy),
}


class RdsPendingModifications:
    name = "rds-pending-modifications"
    summary = (
        "ModifyDBInstance keeps class, storage, engine version and Multi-AZ changes pending until applied immediately"
    )
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.ApplyImmediately.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds" or call.operation != "ModifyDBInstance":
            return forward(request)
        params = params_of(request)
        found = instance(call.region, params.get("DBInstanceIdentifier"))
        if found is None:
            return forward(request)
        pending = dict(getattr(found, "pending_modified_values", None) or {})
        if truthy(params.get("ApplyImmediately", "false")):
            for key, value in pending.items():
                params.setdefault(key, str(value).lower() if isinstance(value, bool) else str(value))
            response = forward(with_body(request, params))
            if response.ok:
                found.pending_modified_values = {}
            return response
        asked = {}
        for key, (attribute, kind) in DEFERRED.items():
            if key in params:
                value = kind(params.pop(key))
                if value != getattr(found, attribute, None):
                    asked[key] = value
                else:
                    pending.pop(key, None)
        previous = getattr(found, "pending_modified_values", None)
        found.pending_modified_values = {**pending, **asked}
        response = forward(with_body(request, params))
        if not response.ok:
            found.pending_modified_values = previous
        return response
