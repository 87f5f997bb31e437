# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Building blocks every renderer shares: an object with metadata, a Secret with
base64 data, and the parts of a NetworkPolicy (peers, ports, the policy). The
tenant renderers (tenant/render/) and the platform renderers (platform/) build
their objects from these, so a NetworkPolicy of a tenant and one of the platform
are born the same way. Pure: no I/O, deterministic."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64

from ansible_collections.openova.platform.plugins.module_utils import facts

NETWORKING = "networking.k8s.io/v1"


def obj(api_version, kind, name, namespace=None, labels=None, annotations=None, **body):
    """A Kubernetes object; ``body`` holds the top-level fields (spec, data, rules, ...)."""
    metadata = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = dict(labels)
    if annotations:
        metadata["annotations"] = dict(annotations)
    out = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
    out.update(body)
    return out


def b64(text):
    return base64.b64encode(str(text).encode("utf-8")).decode("ascii")


def secret(name, namespace, values, labels=None, secret_type="Opaque"):
    """A Secret with base64 ``data`` (``stringData`` is not stored, so it cannot be compared)."""
    return obj("v1", "Secret", name, namespace, labels, type=secret_type,
               data=dict((k, b64(v)) for k, v in sorted(values.items())))


def namespace(name, labels=None, annotations=None):
    return obj("v1", "Namespace", name, labels=labels, annotations=annotations)


# ---------------------------------------------------------------- NetworkPolicy parts
def namespaces_peer(names, pod_labels=None):
    """Pods (all, or those with ``pod_labels``) of the namespaces called ``names``."""
    peer = {"namespaceSelector": {"matchExpressions": [
        {"key": facts.NS_NAME_LABEL, "operator": "In", "values": sorted(set(names))}]}}
    if pod_labels:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def labelled_namespaces_peer(key, value=None):
    """Pods of the namespaces labelled ``key`` (``key=value`` when a value is given)."""
    if value is None:
        return {"namespaceSelector": {"matchExpressions": [{"key": key, "operator": "Exists"}]}}
    return {"namespaceSelector": {"matchLabels": {key: value}}}


def same_namespace_peer():
    """Every pod of the policy's own namespace."""
    return {"podSelector": {}}


def cidr_peer(cidr):
    return {"ipBlock": {"cidr": cidr}}


def ports(numbers, protocols=("TCP",)):
    """NetworkPolicy ports: each number for each protocol, in the order given."""
    return [dict({"port": n}, **({"protocol": p} if p else {})) for n in numbers for p in protocols]


def rule(peers=None, port_list=None, direction="from"):
    """One ingress (``direction="from"``) or egress (``"to"``) rule; no peers means any peer."""
    out = {}
    if peers:
        out[direction] = list(peers)
    if port_list:
        out["ports"] = list(port_list)
    return out


def network_policy(name, namespace_name, labels, ingress=None, egress=None, pod_selector=None, policy_types=None):
    """A NetworkPolicy. ``ingress``/``egress`` are lists of rules; a direction listed in
    ``policy_types`` without rules denies everything in that direction."""
    types = list(policy_types) if policy_types is not None else (
        (["Ingress"] if ingress is not None else []) + (["Egress"] if egress is not None else []))
    spec = {"podSelector": dict(pod_selector or {}), "policyTypes": types}
    if ingress:
        spec["ingress"] = list(ingress)
    if egress:
        spec["egress"] = list(egress)
    return obj(NETWORKING, "NetworkPolicy", name, namespace_name, labels, spec=spec)


# ---------------------------------------------------------------- Grafana
GRAFANA_API = "grafana.integreatly.org/v1beta1"


def grafana_datasource(name, namespace_name, labels, uid, title, ds_type, url, org_id, instance_labels):
    """A GrafanaDatasource (grafana-operator) that sends ``X-Scope-OrgID: <org_id>`` with every query."""
    return obj(GRAFANA_API, "GrafanaDatasource", name, namespace_name, labels, spec={
        "instanceSelector": {"matchLabels": dict(instance_labels)}, "uid": uid,
        "datasource": {"name": title, "type": ds_type, "access": "proxy", "url": url, "editable": False,
                       "jsonData": {"httpHeaderName1": facts.SCOPE_HEADER},
                       "secureJsonData": {"httpHeaderValue1": org_id}}})
