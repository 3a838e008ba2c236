"""Cache parameter groups: create, describe, modify, reset, delete, and their parameters and tags.

AWS: CreateCacheParameterGroup makes a group of a family (redis7, valkey7, valkey8, ...) holding the
family's defaults; ModifyCacheParameterGroup sets up to 20 parameters (an unknown name or a value outside
the allowed ones is InvalidParameterValue); ResetCacheParameterGroup puts listed parameters (or all) back to
their defaults; DescribeCacheParameters lists them with ``Source`` ``user`` for changed ones and can filter
on it; a group in use cannot be deleted
(https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_CreateCacheParameterGroup.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheParameterGroup.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_DescribeCacheParameters.html,
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html#ParameterGroups.Redis.7).
Parameter group ARNs (``arn:aws:elasticache:<region>:<account>:parametergroup:<name>``) take tags.

moto 5.2 implements none of it (HTML 500). This behaviour keeps the groups itself; the default values are
those of the ElastiCache User Guide's redis7 table (a subset: the parameters this collection's tests use
and the common ones).
"""

from __future__ import annotations

import threading

from . import _elasticache as ec

# redis7 defaults (ElastiCache User Guide, "Redis OSS 7 parameters" and the inherited 6.x/5.x/4.x tables).
DEFAULTS = {
    "activedefrag": "no",
    "activerehashing": "yes",
    "appendonly": "no",
    "appendfsync": "everysec",
    "cluster-enabled": "no",
    "cluster-allow-reads-when-down": "no",
    "cluster-require-full-coverage": "no",
    "databases": "16",
    "lazyfree-lazy-eviction": "no",
    "lazyfree-lazy-expire": "no",
    "lazyfree-lazy-server-del": "no",
    "lazyfree-lazy-user-del": "no",
    "lfu-decay-time": "1",
    "lfu-log-factor": "10",
    "lua-time-limit": "5000",
    "maxmemory-policy": "volatile-lru",
    "maxmemory-samples": "3",
    "min-replicas-max-lag": "10",
    "min-replicas-to-write": "0",
    "notify-keyspace-events": "",
    "reserved-memory-percent": "25",
    "slowlog-log-slower-than": "10000",
    "slowlog-max-len": "128",
    "tcp-keepalive": "300",
    "timeout": "0",
}
ALLOWED = {
    "maxmemory-policy": (
        "volatile-lru",
        "allkeys-lru",
        "volatile-lfu",
        "allkeys-lfu",
        "volatile-random",
        "allkeys-random",
        "volatile-ttl",
        "noeviction",
    ),
    "cluster-enabled": ("yes", "no"),
    "appendonly": ("yes", "no"),
    "activedefrag": ("yes", "no"),
}
FAMILIES = ("redis6.x", "redis7", "valkey7", "valkey8")


class ElastiCacheParameterGroups:
    name = "elasticache-parameter-groups"
    summary = "Cache parameter groups with their parameters (defaults, user values, reset) and tags"
    documented_by = (
        "https://docs.aws.amazon.com/AmazonElastiCache/latest/APIReference/API_ModifyCacheParameterGroup.html"
    )
    OPERATIONS = (
        "CreateCacheParameterGroup",
        "DescribeCacheParameterGroups",
        "DescribeCacheParameters",
        "ModifyCacheParameterGroup",
        "ResetCacheParameterGroup",
        "DeleteCacheParameterGroup",
    )
    TAG_OPERATIONS = ("ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource")

    def __init__(self):
        self.lock = threading.Lock()
        self.groups = {}  # (region, name) -> {"family", "description", "values": {name: value}, "tags": {}}

    def reset(self):
        with self.lock:
            self.groups.clear()

    def __call__(self, request, forward):
        call = request.call
        if call.service != "elasticache":
            return forward(request)
        params = ec.params_of(request)
        if call.operation in self.TAG_OPERATIONS:
            if ":parametergroup:" not in params.get("ResourceName", ""):
                return forward(request)
            return self._tags(request, params)
        if call.operation not in self.OPERATIONS:
            return forward(request)
        with self.lock:
            return getattr(self, "_" + call.operation)(request, params, call.region)

    # -- helpers -------------------------------------------------------------------------------------------

    @staticmethod
    def _arn(region, name):
        return f"arn:aws:elasticache:{region}:{ec.ACCOUNT}:parametergroup:{name}"

    def _view(self, region, name, group):
        return {
            "CacheParameterGroupName": name,
            "CacheParameterGroupFamily": group["family"],
            "Description": group["description"],
            "IsGlobal": False,
            "ARN": self._arn(region, name),
        }

    def _find(self, request, region, name):
        group = self.groups.get((region, name))
        if group is None:
            return None, ec.error(
                request, "CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.", status=404
            )
        return group, None

    def _tags(self, request, params):
        arn = params["ResourceName"]
        parts = arn.split(":")
        region, name = parts[3], parts[-1]
        with self.lock:
            group, missing = self._find(request, region, name)
            if missing:
                return missing
            if request.call.operation == "AddTagsToResource":
                for tag in ec.indexed(params, "Tags.Tag"):
                    group["tags"][tag.get("Key")] = tag.get("Value", "")
            elif request.call.operation == "RemoveTagsFromResource":
                for key in ec.indexed(params, "TagKeys.member"):
                    group["tags"].pop(key, None)
            tags = [{"Key": k, "Value": v} for k, v in group["tags"].items()]
        return ec.serialize(request.call.operation, {"TagList": tags})

    # -- operations ----------------------------------------------------------------------------------------

    def _CreateCacheParameterGroup(self, request, params, region):
        name = params.get("CacheParameterGroupName", "")
        family = params.get("CacheParameterGroupFamily", "")
        if (region, name) in self.groups:
            return ec.error(request, "CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        if family not in FAMILIES:
            return ec.error(request, "InvalidParameterValue", f"Unknown cache parameter group family {family!r}")
        tags = {t.get("Key"): t.get("Value", "") for t in ec.indexed(params, "Tags.Tag")}
        group = {"family": family, "description": params.get("Description", ""), "values": {}, "tags": tags}
        self.groups[(region, name)] = group
        return ec.serialize("CreateCacheParameterGroup", {"CacheParameterGroup": self._view(region, name, group)})

    def _DescribeCacheParameterGroups(self, request, params, region):
        name = params.get("CacheParameterGroupName")
        if name:
            group, missing = self._find(request, region, name)
            if missing:
                return missing
            found = [self._view(region, name, group)]
        else:
            found = [self._view(r, n, g) for (r, n), g in sorted(self.groups.items()) if r == region]
        return ec.serialize("DescribeCacheParameterGroups", {"CacheParameterGroups": found})

    def _DescribeCacheParameters(self, request, params, region):
        name = params.get("CacheParameterGroupName", "")
        group, missing = self._find(request, region, name)
        if missing:
            return missing
        source = params.get("Source")
        parameters = []
        for key in sorted(set(DEFAULTS) | set(group["values"])):
            user = key in group["values"]
            entry_source = "user" if user else "system"
            if source and source != entry_source:
                continue
            parameters.append(
                {
                    "ParameterName": key,
                    "ParameterValue": group["values"].get(key, DEFAULTS.get(key, "")),
                    "Source": entry_source,
                    "DataType": "string",
                    "AllowedValues": ",".join(ALLOWED.get(key, ())),
                    "IsModifiable": True,
                    "MinimumEngineVersion": "7.0.0",
                    "ChangeType": "requires-reboot" if key == "cluster-enabled" else "immediate",
                }
            )
        return ec.serialize("DescribeCacheParameters", {"Parameters": parameters})

    def _ModifyCacheParameterGroup(self, request, params, region):
        name = params.get("CacheParameterGroupName", "")
        group, missing = self._find(request, region, name)
        if missing:
            return missing
        changes = ec.indexed(params, "ParameterNameValues.ParameterNameValue")
        if not 1 <= len(changes) <= 20:
            return ec.error(request, "InvalidParameterValue", "Between 1 and 20 parameters can be modified at a time")
        for change in changes:
            key, value = change.get("ParameterName"), change.get("ParameterValue", "")
            if key not in DEFAULTS:
                return ec.error(request, "InvalidParameterValue", f"Unknown parameter: {key}")
            if key in ALLOWED and value not in ALLOWED[key]:
                return ec.error(request, "InvalidParameterValue", f"Invalid value {value!r} for parameter {key}")
        for change in changes:
            group["values"][change["ParameterName"]] = change.get("ParameterValue", "")
        return ec.serialize("ModifyCacheParameterGroup", {"CacheParameterGroupName": name})

    def _ResetCacheParameterGroup(self, request, params, region):
        name = params.get("CacheParameterGroupName", "")
        group, missing = self._find(request, region, name)
        if missing:
            return missing
        if params.get("ResetAllParameters", "").lower() == "true":
            group["values"].clear()
        for change in ec.indexed(params, "ParameterNameValues.ParameterNameValue"):
            group["values"].pop(change.get("ParameterName"), None)
        return ec.serialize("ResetCacheParameterGroup", {"CacheParameterGroupName": name})

    def _DeleteCacheParameterGroup(self, request, params, region):
        name = params.get("CacheParameterGroupName", "")
        _group, missing = self._find(request, region, name)
        if missing:
            return missing
        in_use = [g for g in ec.backend(region).replication_groups.values() if g.cache_parameter_group_name == name]
        if in_use:
            return ec.error(request, "InvalidCacheParameterGroupState", f"Parameter group {name} is in use.")
        del self.groups[(region, name)]
        return ec.serialize("DeleteCacheParameterGroup", {})
