"""render/redpanda.py: Topics, User with PREFIXED ACLs, Secrets."""

import base64

from ansible_collections.openova.platform.plugins.module_utils.tenant.render.redpanda import render_redpanda


def decode(secret):
    return dict((k, base64.b64decode(v).decode()) for k, v in secret["data"].items())


def test_redpanda_objects(tenant, platform, passwords):
    t = tenant(topics=[{"name": "acme.orders", "partitions": 6, "config": {"retention.ms": 1000}},
                       {"name": "acme.events"}])
    objs = render_redpanda(t, platform, "s3cret")
    kinds = [(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in objs]
    assert kinds == [("Topic", "openova-redpanda", "acme.events"), ("Topic", "openova-redpanda", "acme.orders"),
                     ("Secret", "openova-redpanda", "tenant-acme-redpanda"), ("User", "openova-redpanda", "tenant-acme"),
                     ("Secret", "acme-dev", "redpanda-credentials"), ("Secret", "acme-prod", "redpanda-credentials")]
    assert objs[1]["spec"]["additionalConfig"] == {"retention.ms": "1000"}
    assert objs[1]["spec"]["cluster"] == {"clusterRef": {"name": "redpanda"}}
    user = objs[3]["spec"]
    assert user["authentication"]["type"] == "SCRAM-SHA-512"
    key_ref = user["authentication"]["password"]["valueFrom"]["secretKeyRef"]
    assert key_ref == {"name": "tenant-acme-redpanda", "key": "password"}
    assert [(a["resource"]["type"], a["resource"]["name"], a["resource"]["patternType"])
            for a in user["authorization"]["acls"]] == [("topic", "acme.", "prefixed"), ("group", "acme.", "prefixed")]
    assert decode(objs[4]) == {"username": "tenant-acme", "password": "s3cret", "mechanism": "SCRAM-SHA-512",
                               "bootstrap_servers": "redpanda.openova-redpanda.svc.cluster.local:9093"}
    assert "stringData" not in objs[4]
