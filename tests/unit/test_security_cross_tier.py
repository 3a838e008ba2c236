"""The cross-tier rules playbooks/validate.yml runs before site.yml converges anything (pure, no API)."""

from __future__ import annotations

from ansible_collections.stackops.platform.plugins.filter.security import security_cross_tier_errors

SECURITY = {"app_port": 3000, "database_port": 5432, "cache_port": 6379, "search_port": 443, "search": True}
WORKLOADS = [
    {"name": "api", "namespace": "shop", "port": 3000},
    {"name": "worker", "namespace": "shop", "port": 9000},  # no Ingress routes to it: not the load balancer's
    {"name": "admin", "namespace": "ops", "port": 8080},
]
INGRESS = {"name": "web", "namespace": "shop", "paths": [{"path": "/", "service": "api"}]}


def _eks(**tiers):
    return {
        "eks_workloads": WORKLOADS,
        "eks_ingresses": [INGRESS],
        "eks_security_groups": ["app"],
        "eks_admit": True,
        "database": True,
        "database_port": 5432,
        "cache": True,
        "cache_port": 6379,
        **tiers,
    }


def test_an_eks_spec_that_agrees_has_no_error():
    assert security_cross_tier_errors(SECURITY, _eks()) == []


def test_only_what_an_alb_ingress_routes_to_must_listen_on_the_app_port():
    ingresses = [
        INGRESS,
        {"name": "internal", "namespace": "shop", "class": "nginx", "paths": [{"path": "/", "service": "worker"}]},
        {
            "name": "ops",
            "namespace": "ops",
            "paths": [{"path": "/", "service": "admin"}, {"path": "/x", "service": "admin"}],
        },
    ]
    errors = security_cross_tier_errors(SECURITY, _eks(eks_ingresses=ingresses))
    assert errors == [
        "cluster_eks_workloads[2].port: admin listens on 8080, the target port of its Service behind "
        "cluster_eks_ingresses[2] (ops), but the load balancer group reaches the application on security_app_port "
        "3000 only; make them the same"
    ]


def test_a_path_to_a_service_of_another_namespace_is_not_that_workload():
    ingress = {"name": "web", "namespace": "shop", "paths": [{"path": "/", "service": "admin"}]}
    assert security_cross_tier_errors(SECURITY, _eks(eks_ingresses=[ingress])) == []


def test_the_cluster_needs_app_when_the_nodes_are_admitted_as_the_cluster_s_groups():
    errors = security_cross_tier_errors(SECURITY, _eks(eks_security_groups=["alb"]))
    assert errors == [
        "cluster_eks_security_groups: ['alb'] has no app; the database, cache security groups admit app, and the "
        "cluster's nodes are admitted wherever the cluster's groups are (the cluster security group, "
        "docs/cluster-eks.md): add app, or the pods cannot reach them"
    ]
    # Turned off, the nodes are given groups another way (security groups for pods): not this rule's business.
    assert security_cross_tier_errors(SECURITY, _eks(eks_security_groups=["alb"], eks_admit=False)) == []
    # No data tier, nothing to reach.
    assert security_cross_tier_errors(SECURITY, _eks(eks_security_groups=[], database=False, cache=False)) == []


def test_search_needs_its_group_and_a_port_opensearch_answers_on():
    tiers = {"search": True, "search_enforce_https": True}
    assert security_cross_tier_errors(SECURITY, tiers) == []
    assert security_cross_tier_errors({**SECURITY, "search": False}, tiers)[0].startswith(
        "security_search: false makes no search security group"
    )
    assert security_cross_tier_errors({**SECURITY, "search_port": 80}, tiers)[0].startswith(
        "security_search_port: 80 is not a port an OpenSearch Service domain answers on (443, HTTPS"
    )
    assert security_cross_tier_errors({**SECURITY, "search_port": 80}, {**tiers, "search_enforce_https": False}) == []
    assert security_cross_tier_errors({**SECURITY, "search_port": 9200}, {"search": False}) == []


def test_ecs_services_and_data_tier_ports_as_before():
    tiers = {"ecs_services": [{"name": "api", "port": 8080}], "database": True, "database_port": 5433}
    errors = security_cross_tier_errors(SECURITY, tiers)
    assert errors[0].startswith("cluster_services[0].port: api listens on 8080")
    assert errors[1].startswith("database_port: 5433 is not security_database_port 5432")
