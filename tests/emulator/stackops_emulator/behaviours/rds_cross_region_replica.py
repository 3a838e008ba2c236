"""CreateDBInstanceReadReplica of an instance in another region makes the replica in the caller's region.

AWS: a cross-Region read replica is created in the Region of the call from the source's ARN, with the
destination Region's KMS key (KmsKeyId) and DB subnet group, and the source lists it by ARN in
ReadReplicaDBInstanceIdentifiers (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html).

moto 5.2 copies the source object, so the replica keeps the source's region, ARN and subnet group lookup (and
fails on a subnet group of the destination). This behaviour creates the replica as a new instance of the
destination Region with the source's engine, version, storage and master user, links the two, and lets
DeleteDBInstance of such a replica unlink it.
"""

from __future__ import annotations

from ._rds import instance
from ._rds import params_of
from ._rds import with_body

_DROP = ("SourceDBInstanceIdentifier", "SourceRegion", "PreSignedUrl", "DestinationRegion", "Action")


class RdsCrossRegionReplica:
    name = "rds-cross-region-replica"
    summary = "Cross-region read replicas are created in the caller's region from the source's ARN"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.XRgn.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds" or call.operation not in ("CreateDBInstanceReadReplica", "DeleteDBInstance"):
            return forward(request)
        params = params_of(request)
        if call.operation == "DeleteDBInstance":
            return self._delete(request, params, forward)
        source_id = params.get("SourceDBInstanceIdentifier", "")
        parts = source_id.split(":")
        if not source_id.startswith("arn:") or len(parts) < 7 or parts[3] == call.region:
            return forward(request)
        source = instance(parts[3], parts[-1])
        if source is None:
            return forward(request)
        create = {k: v for k, v in params.items() if k not in _DROP}
        create.update(
            Action="CreateDBInstance",
            Engine=source.engine,
            EngineVersion=source.engine_version,
            AllocatedStorage=str(source.allocated_storage),
            StorageType=source.storage_type,
            MasterUsername=source.master_username or "postgres",
        )
        for key, attribute in (("Iops", "iops"), ("StorageThroughput", "storage_throughput")):
            if getattr(source, attribute, None):
                create.setdefault(key, str(getattr(source, attribute)))
        if create.get("KmsKeyId") or source.storage_encrypted:
            create["StorageEncrypted"] = "true"
        response = forward(with_body(request, create))
        if not response.ok:
            return response
        replica = instance(call.region, params.get("DBInstanceIdentifier"))
        if replica is not None:
            replica.is_replica = True
            replica.source_db_instance_identifier = source_id
            source.add_replica(replica)
        response.body = response.body.replace(
            b"CreateDBInstanceResponse", b"CreateDBInstanceReadReplicaResponse"
        ).replace(b"CreateDBInstanceResult", b"CreateDBInstanceReadReplicaResult")
        for index, (name, _value) in enumerate(response.headers):
            if name.lower() == "content-length":
                response.headers[index] = (name, str(len(response.body)))
        return response

    def _delete(self, request, params, forward):
        replica = instance(request.call.region, params.get("DBInstanceIdentifier"))
        source_id = getattr(replica, "source_db_instance_identifier", None) or ""
        if replica is None or not getattr(replica, "is_replica", False) or not source_id.startswith("arn:"):
            return forward(request)
        parts = source_id.split(":")
        source = instance(parts[3], parts[-1])
        response = None
        replica.is_replica = False
        try:
            response = forward(request)
        finally:
            if response is None or not response.ok:
                replica.is_replica = True
        if response.ok and source is not None and replica.db_instance_arn in source.replicas:
            source.replicas.remove(replica.db_instance_arn)
        return response
