"""Performance Insights settings of an RDS DB instance are kept and shown by DescribeDBInstances.

AWS: CreateDBInstance, CreateDBInstanceReadReplica and ModifyDBInstance take EnablePerformanceInsights,
PerformanceInsightsRetentionPeriod and PerformanceInsightsKMSKeyId, and a DBInstance then shows
PerformanceInsightsEnabled, PerformanceInsightsRetentionPeriod (7 by default) and PerformanceInsightsKMSKeyId
(https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Enabling.html,
https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html). Changing these settings
causes no outage and takes effect at once, whatever ApplyImmediately says.

moto 5.2 accepts the parameters and drops them, so a converge would turn Performance Insights on every run.
This behaviour lets moto act, then records the settings on the instance, where DescribeDBInstances shows them.
"""

from __future__ import annotations

from ._rds import instance
from ._rds import params_of
from ._rds import truthy

_OPERATIONS = ("CreateDBInstance", "CreateDBInstanceReadReplica", "ModifyDBInstance")


class RdsPerformanceInsights:
    name = "rds-performance-insights"
    summary = "DB instances keep and show their Performance Insights settings (enabled, retention, KMS key)"
    documented_by = "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_PerfInsights.Enabling.html"

    def reset(self):
        pass

    def __call__(self, request, forward):
        call = request.call
        if call.service != "rds" or call.operation not in _OPERATIONS:
            return forward(request)
        params = params_of(request)
        response = forward(request)
        if not response.ok or ("EnablePerformanceInsights" not in params and call.operation == "ModifyDBInstance"):
            return response
        found = instance(call.region, params.get("DBInstanceIdentifier"))
        if found is None:
            return response
        enabled = truthy(params.get("EnablePerformanceInsights", "false"))
        if call.operation != "ModifyDBInstance" and not enabled:
            found.performance_insights_enabled = False
            return response
        found.performance_insights_enabled = enabled
        if enabled:
            found.performance_insights_retention_period = int(
                params.get("PerformanceInsightsRetentionPeriod")
                or getattr(found, "performance_insights_retention_period", None)
                or 7
            )
            key = params.get("PerformanceInsightsKMSKeyId") or getattr(found, "performance_insights_kms_key_id", None)
            found.performance_insights_kms_key_id = key or getattr(found, "kms_key_id", None)
        else:
            found.performance_insights_retention_period = None
        return response
