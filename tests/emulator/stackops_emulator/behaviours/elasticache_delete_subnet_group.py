"""DeleteCacheSubnetGroup, which moto does not implement (it answers 500 NotImplementedError).

AWS: "Deletes a cache subnet group. You cannot delete a default cache subnet group or one that is associated
with any clusters." A missing group answers CacheSubnetGroupNotFoundFault; one in use, CacheSubnetGroupInUse
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DeleteCacheSubnetGroup.html).
"""

from __future__ import annotations

import uuid
from urllib.parse import parse_qsl

from ..protocols import Response
from ..protocols import error_response


class ElastiCacheDeleteCacheSubnetGroup:
    name = "elasticache-delete-cache-subnet-group"
    summary = "DeleteCacheSubnetGroup removes a subnet group no cluster uses"
    documented_by = "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DeleteCacheSubnetGroup.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache" or call.operation != "DeleteCacheSubnetGroup":
            return forward(request)
        from moto.elasticache.models import elasticache_backends

        name = dict(parse_qsl(request.body.decode("utf-8", "replace"))).get("CacheSubnetGroupName")
        for account in list(elasticache_backends):
            backend = elasticache_backends[account][call.region]
            if name not in backend.cache_subnet_groups:
                continue
            users = [
                c
                for c in list(backend.cache_clusters.values()) + list(backend.replication_groups.values())
                if getattr(c, "cache_subnet_group_name", None) == name
            ]
            if users:
                return error_response(call, 400, "CacheSubnetGroupInUse", f"Cache subnet group {name} is in use")
            del backend.cache_subnet_groups[name]
            body = (
                '<DeleteCacheSubnetGroupResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/">'
                f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
                "</DeleteCacheSubnetGroupResponse>"
            )
            data = body.encode()
            return Response(200, [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))], data)
        return error_response(call, 404, "CacheSubnetGroupNotFoundFault", f"CacheSubnetGroup {name} not found.")
