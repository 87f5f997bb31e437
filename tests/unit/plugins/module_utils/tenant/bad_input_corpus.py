"""The bad-input corpus: tenant module parameters that the API server would
refuse (or a platform rule forbids), each with the field its error must name.
Used by tests/unit/.../test_tenant_bad_input.py (no API request may be sent) and
tests/integration/test_tenant_no_partial_writes.py (nothing may be left behind)."""

import copy

BASE = {"name": "acme", "owners": {"admin": ["acme-admins"], "developer": ["acme-devs"]},
        "namespaces": ["acme-dev", "acme-prod"], "topics": [{"name": "acme.orders"}], "postgres": {"enabled": True}}
T = "tenants[0] (acme)."
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: abc}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


def tenant(**changes):
    out = copy.deepcopy(BASE)
    for key, value in changes.items():
        node = out
        parts = key.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def params(*tenants, **extra):
    out = {"tenants": list(tenants) or [tenant()]}
    out.update(extra)
    return out


# id -> (module params, the field that must be named)
CORPUS = {
    # ------------------------------------------------------------ the cases the review found
    "default_cpu above max_cpu": (params(tenant(limits={"default_cpu": "4", "max_cpu": "2"})), T + "limits.default_cpu"),
    "topic with an empty part": (params(tenant(topics=[{"name": "acme.a..b"}])), T + "topics[0].name"),
    "300 KiB display_name": (params(tenant(display_name="x" * 300 * 1024)), T + "display_name"),
    "redpanda namespace kube-system": (params(platform={"redpanda_namespace": "kube-system"}),
                                       "platform.redpanda_namespace"),
    "pods 1e100 (converted by Ansible)": (params(tenant(quota={"pods": 10 ** 100})), T + "quota.pods"),
    "pods '1e100' as text": (params(tenant(quota={"pods": "1e100"})), T + "quota.pods"),
    "cpu 99...9Ei": (params(tenant(quota={"requests_cpu": "9" * 30 + "Ei"})), T + "quota.requests_cpu"),
    "10,000 namespaces": (params(tenant(namespaces=["acme-%d" % i for i in range(10000)])), T + "namespaces"),
    "egress to the metadata address": (params(tenant(network={"egress_cidrs": ["169.254.169.254/32"]})),
                                       T + "network.egress_cidrs[0]"),
    "egress to everything": (params(tenant(network={"egress_cidrs": ["0.0.0.0/0"]})), T + "network.egress_cidrs[0]"),
    "tenant as a plain string": (params("acme"), "tenants[0]"),
    "owners as a plain string": (params(tenant(owners="acme-admins")), T + "owners"),
    "name 123 with postgres on": (params(dict(tenant(name="123", namespaces=["123"]), topics=[])),
                                  "tenants[0] (123).postgres.database"),
    # ------------------------------------------------------------ names
    "upper-case name": (params(tenant(name="Acme", namespaces=["Acme"], topics=[])), "tenants[0] (Acme).name"),
    "41-character name": (params(tenant(name="a" * 41, namespaces=["a" * 41], topics=[])),
                          "tenants[0] (%s).name" % ("a" * 41)),
    "reserved prefix": (params(tenant(name="kube-acme", namespaces=["kube-acme"], topics=[])),
                        "tenants[0] (kube-acme).name"),
    "name default": (params(tenant(name="default", namespaces=["default"], topics=[])),
                     "tenants[0] (default).name"),
    "name not a string": (params(tenant(name=42)), "tenants[0].name"),
    "namespace outside the prefix": (params(tenant(namespaces=["other"])), T + "namespaces[0]"),
    "namespace upper-case": (params(tenant(namespaces=["acme-Dev"])), T + "namespaces[0]"),
    "namespace 64 characters": (params(tenant(namespaces=["acme-" + "x" * 59])), T + "namespaces[0]"),
    "namespace twice": (params(tenant(namespaces=["acme-dev", "acme-dev"])), T + "namespaces"),
    "namespaces as text": (params(tenant(namespaces="acme-dev")), T + "namespaces"),
    "two tenants of one name": (params(tenant(), tenant(namespaces=["acme-x"])), "tenants[1] (acme).name"),
    "two tenants, one namespace": (params(tenant(), dict(tenant(name="acme2", namespaces=["acme-dev"]), topics=[])),
                                   "tenants[1] (acme2).namespaces[0]"),
    "no tenants": ({"tenants": []}, "tenants"),
    "unknown key": (params(dict(tenant(), quotas={"pods": 1})), T + "quotas"),
    "unknown tier": (params(tenant(tier="huge")), T + "tier"),
    "display_name of spaces": (params(tenant(display_name="   ")), T + "display_name"),
    "display_name with a line break": (params(tenant(display_name="Acme\nCorp")), T + "display_name"),
    "display_name not text": (params(tenant(display_name=5)), T + "display_name"),
    # ------------------------------------------------------------ owners
    "no admin group": (params(tenant(owners={"developer": ["d"]})), T + "owners.admin"),
    "empty group name": (params(tenant(owners={"admin": [""]})), T + "owners.admin[0]"),
    "group with a line break": (params(tenant(owners={"admin": ["a\nb"]})), T + "owners.admin[0]"),
    "51 developer groups": (params(tenant(owners={"admin": ["a"], "developer": ["g%d" % i for i in range(51)]})),
                            T + "owners.developer"),
    "owners admin as a mapping": (params(tenant(owners={"admin": {"a": 1}})), T + "owners.admin"),
    # ------------------------------------------------------------ quota and limits
    "cpu quota in words": (params(tenant(quota={"requests_cpu": "2 cores"})), T + "quota.requests_cpu"),
    "negative memory quota": (params(tenant(quota={"requests_memory": "-1Gi"})), T + "quota.requests_memory"),
    "unknown quantity suffix": (params(tenant(quota={"limits_memory": "1Zi"})), T + "quota.limits_memory"),
    "storage with a huge exponent": (params(tenant(quota={"storage": "1e200"})), T + "quota.storage"),
    "negative pods": (params(tenant(quota={"pods": -1})), T + "quota.pods"),
    "services as a boolean": (params(tenant(quota={"services": True})), T + "quota.services"),
    "default memory above max": (params(tenant(limits={"default_memory": "8Gi", "max_memory": "4Gi"})),
                                 T + "limits.default_memory"),
    "default request above default": (params(tenant(limits={"default_request_cpu": "1", "default_cpu": "500m"})),
                                      T + "limits.default_request_cpu"),
    "max_cpu in words": (params(tenant(limits={"max_cpu": "lots"})), T + "limits.max_cpu"),
    # ------------------------------------------------------------ registry and Harbor
    "harbor project with a space": (params(tenant(harbor_project="Acme Project")), T + "harbor_project"),
    "registry with a scheme": (params(tenant(allowed_registries=["https://harbor.openova.io/acme"])),
                               T + "allowed_registries[0]"),
    "registry with a comma": (params(tenant(allowed_registries=["harbor.openova.io/acme,evil.io"])),
                              T + "allowed_registries[0]"),
    "51 registries": (params(tenant(allowed_registries=["r%d.io/acme" % i for i in range(51)])),
                      T + "allowed_registries"),
    # ------------------------------------------------------------ network
    "ingress namespace upper-case": (params(tenant(network={"ingress_from_namespaces": ["Bad_NS"]})),
                                     T + "network.ingress_from_namespaces[0]"),
    "51 egress namespaces": (params(tenant(network={"egress_to_namespaces": ["n%d" % i for i in range(51)]})),
                             T + "network.egress_to_namespaces"),
    "CIDR /33": (params(tenant(network={"egress_cidrs": ["10.0.0.0/33"]})), T + "network.egress_cidrs[0]"),
    "CIDR in words": (params(tenant(network={"egress_cidrs": ["the internet"]})), T + "network.egress_cidrs[0]"),
    "egress to loopback": (params(tenant(network={"egress_cidrs": ["127.0.0.1/32"]})), T + "network.egress_cidrs[0]"),
    "egress to all of IPv6": (params(tenant(network={"egress_cidrs": ["::/0"]})), T + "network.egress_cidrs[0]"),
    "egress to the IPv6 metadata address": (params(tenant(network={"egress_cidrs": ["fd00:ec2::254/128"]})),
                                            T + "network.egress_cidrs[0]"),
    "egress wider than /8": (params(tenant(network={"egress_cidrs": ["10.0.0.0/7"]})), T + "network.egress_cidrs[0]"),
    "egress to link-local through a wide allowance": (
        params(tenant(network={"egress_cidrs": ["169.254.0.0/16"]}), platform={"allowed_egress_cidrs": ["10.0.0.0/8"]}),
        T + "network.egress_cidrs[0]"),
    # ------------------------------------------------------------ topics
    "topic of another tenant": (params(tenant(topics=[{"name": "other.orders"}])), T + "topics[0].name"),
    "topic upper-case": (params(tenant(topics=[{"name": "acme.Orders"}])), T + "topics[0].name"),
    "topic 250 characters": (params(tenant(topics=[{"name": "acme." + "x" * 245}])), T + "topics[0].name"),
    "topic twice": (params(tenant(topics=[{"name": "acme.orders"}, {"name": "acme.orders"}])), T + "topics[1].name"),
    "topic without a name": (params(tenant(topics=[{"partitions": 3}])), T + "topics[0].name"),
    "topic as text": (params(tenant(topics=["acme.orders"])), T + "topics[0]"),
    "zero partitions": (params(tenant(topics=[{"name": "acme.orders", "partitions": 0}])), T + "topics[0].partitions"),
    "100,000 partitions": (params(tenant(topics=[{"name": "acme.orders", "partitions": 100000}])),
                           T + "topics[0].partitions"),
    "even replication factor": (params(tenant(topics=[{"name": "acme.orders", "replication_factor": 2}])),
                                T + "topics[0].replication_factor"),
    "replication factor 11": (params(tenant(topics=[{"name": "acme.orders", "replication_factor": 11}])),
                              T + "topics[0].replication_factor"),
    "topic config nested": (params(tenant(topics=[{"name": "acme.orders", "config": {"retention.ms": {"a": 1}}}])),
                            T + "topics[0].config.retention.ms"),
    "topic config key with spaces": (params(tenant(topics=[{"name": "acme.orders", "config": {"Retention MS": 1}}])),
                                     T + "topics[0].config.Retention MS"),
    "501 topics": (params(tenant(topics=[{"name": "acme.t%d" % i} for i in range(501)])), T + "topics"),
    # ------------------------------------------------------------ PostgreSQL
    "database name with a dash": (params(tenant(postgres={"enabled": True, "database": "Bad-DB"})),
                                  T + "postgres.database"),
    "database postgres": (params(tenant(postgres={"enabled": True, "database": "postgres"})), T + "postgres.database"),
    "database template1": (params(tenant(postgres={"enabled": True, "database": "template1"})),
                           T + "postgres.database"),
    "role pg_*": (params(tenant(postgres={"enabled": True, "database": "pg_acme"})), T + "postgres.database"),
    "role cnpg_*": (params(tenant(postgres={"enabled": True, "database": "cnpg_acme"})), T + "postgres.database"),
    "postgres.enabled in words": (params(tenant(postgres={"enabled": "maybe"})), T + "postgres.enabled"),
    # ------------------------------------------------------------ platform
    "postgres namespace default": (params(platform={"postgres_namespace": "default"}), "platform.postgres_namespace"),
    "grafana namespace upper-case": (params(platform={"grafana_namespace": "Grafana"}), "platform.grafana_namespace"),
    "telemetry namespaces empty": (params(platform={"telemetry_namespaces": []}), "platform.telemetry_namespaces"),
    "loki URL over FTP": (params(platform={"loki_url": "ftp://loki"}), "platform.loki_url"),
    "postgres port 70000": (params(platform={"postgres_port": 70000}), "platform.postgres_port"),
    "bootstrap servers without a port": (params(platform={"redpanda_bootstrap_servers": "redpanda"}),
                                         "platform.redpanda_bootstrap_servers"),
    "allowed egress in words": (params(platform={"allowed_egress_cidrs": ["anywhere"]}),
                                "platform.allowed_egress_cidrs[0]"),
    "grafana label key with a space": (params(platform={"grafana_instance_labels": {"bad key": "x"}}),
                                       "platform.grafana_instance_labels.bad key"),
    "unknown platform key": (params(platform={"redpanda_ns": "x"}), "platform.redpanda_ns"),
    "redpanda cluster upper-case": (params(platform={"redpanda_cluster": "Redpanda"}), "platform.redpanda_cluster"),
    # ------------------------------------------------------------ module options
    "concurrency 0": (params(concurrency=0), "concurrency"),
    "concurrency 1000": (params(concurrency=1000), "concurrency"),
    "request_timeout -1": (params(request_timeout=-1), "request_timeout"),
    "request_timeout 0": (params(request_timeout=0), "request_timeout"),
    "retry_deadline -1": (params(retry_deadline=-1), "retry_deadline"),
}
