#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: traffic_policy
short_description: Manage a tenant service's Istio traffic (canary, A/B, retries, timeouts, circuit breaking, rate limits)
version_added: 0.1.0
description:
  - Renders and applies, with server-side apply, the Istio objects that shape a service's traffic inside its
    tenant's namespace, and prunes the optional ones the policy no longer asks for.
  - A C(DestinationRule) named O(name) with one subset per version (pods labelled C(version=<subset>) unless
    other labels are given) and circuit breaking (C(connectionPool), C(outlierDetection)).
  - A C(VirtualService) named O(name) for mesh traffic, with the A/B O(routes) first and then a default route
    split between subsets by O(weights) (canary), each with O(timeout) and O(retries).
  - With O(rate_limit), an C(EnvoyFilter) named C(<name>-ratelimit) that inserts Envoy's
    C(envoy.filters.http.local_ratelimit) token bucket into the inbound HTTP chain of the service's own pods
    (C(workloadSelector) O(workload_labels)). Without it, an earlier one is deleted.
  - With O(gateway), a C(VirtualService) named C(<name>-ingress) bound to the platform's ingress Gateway that sends
    the external hosts under a path to the same subsets as the default route. Without it, an earlier one is deleted.
  - Every option is validated before any request is sent. All problems are reported at once, each naming its field
    (weights that do not sum to 100, durations that do not parse, subsets missing from the DestinationRule, hosts
    outside the tenant's namespace, negative retry attempts, token bucket values that are not positive, malformed
    header or cookie matches).
  - The namespace must exist and carry the label C(openova.io/tenant=<tenant>).
author:
  - OpenOva platform team (@openova)
requirements:
  - kubernetes >= 30.1.0
extends_documentation_fragment:
  - openova.platform.connection
  - openova.platform.connection.apply
  - openova.platform.attributes
  - ansible.builtin.action_common_attributes
options:
  name:
    description:
      - The service's name. Names the VirtualService and the DestinationRule.
    type: str
    required: true
  namespace:
    description:
      - The tenant namespace of the service.
    type: str
    required: true
  tenant:
    description:
      - The tenant that owns O(namespace). The namespace's C(openova.io/tenant) label must equal it.
    type: str
    required: true
  host:
    description:
      - The Kubernetes Service the policy governs, as C(svc), C(svc.<namespace>) or
        C(svc.<namespace>.svc.cluster.local). It must be in O(namespace). Defaults to O(name).
    type: str
  port:
    description:
      - The Service port traffic is routed to. Needed only when the Service has several ports.
    type: int
  subsets:
    description:
      - The versions of the service, one DestinationRule subset each.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The subset's name, usually the version (V(v1)).
        type: str
        required: true
      labels:
        description: The pod labels that select the subset. Defaults to C(version=<name>).
        type: dict
  weights:
    description:
      - 'The default route''s split between subsets in percent, for example V({v1: 90, v2: 10}). Must sum to 100.'
      - Omitted, all traffic goes to the first subset (or to the Service when there are no subsets).
    type: dict
  routes:
    description:
      - A/B routes, tried in order before the default route. Each has C(name), C(match) (a list; a request matches
        when any item matches, and an item matches when all its parts match) and C(destinations) (a list of
        C(subset) and C(weight)), and optionally C(timeout) and C(retries) that override the top-level ones.
      - A match item has C(headers) (header name to one of C(exact), C(prefix), C(regex)), C(cookie)
        (C(name) and C(value), matched anywhere in the Cookie header) and C(uri) (one of C(exact), C(prefix), C(regex)).
    type: list
    elements: dict
    default: []
  timeout:
    description:
      - The request timeout of every route, as a duration such as V(2s) or V(250ms).
    type: str
  retries:
    description:
      - The retry policy of every route.
    type: dict
    suboptions:
      attempts:
        description: Retries per request; V(0) turns retries off.
        type: int
        required: true
      per_try_timeout:
        description: The timeout of each attempt, as a duration.
        type: str
      retry_on:
        description: Comma-separated Envoy retry conditions, for example V(5xx,connect-failure,reset).
        type: str
  connection_pool:
    description:
      - Circuit breaking limits (DestinationRule C(trafficPolicy.connectionPool)) in snake_case, under C(tcp)
        (C(max_connections), C(connect_timeout), C(max_connection_duration), C(idle_timeout)) and C(http)
        (C(http1_max_pending_requests), C(http2_max_requests), C(max_requests_per_connection), C(max_retries),
        C(idle_timeout), C(max_concurrent_streams), C(use_client_protocol), C(h2_upgrade_policy)).
    type: dict
  outlier_detection:
    description:
      - Ejection of failing endpoints (DestinationRule C(trafficPolicy.outlierDetection)) in snake_case
        (C(consecutive_5xx_errors), C(consecutive_gateway_errors), C(consecutive_local_origin_failures),
        C(split_external_local_origin_errors), C(interval), C(base_ejection_time), C(max_ejection_percent),
        C(min_health_percent)).
    type: dict
  rate_limit:
    description:
      - A local token bucket per pod. Omit it (or set it to null) to remove an earlier one.
    type: dict
    suboptions:
      max_tokens:
        description: The bucket's size (burst). Positive.
        type: int
        required: true
      tokens_per_fill:
        description: Tokens added each O(rate_limit.fill_interval). Positive.
        type: int
        required: true
      fill_interval:
        description: How often tokens are added, as a duration of at least 50ms.
        type: str
        required: true
      status_code:
        description: The HTTP status returned to limited requests (Envoy's default is 429).
        type: int
  gateway:
    description:
      - Exposure through the platform's ingress Gateway. Omit it to remove an earlier exposure.
    type: dict
    suboptions:
      hosts:
        description: The external host names.
        type: list
        elements: str
        required: true
      path:
        description: The path prefix that is routed to the service.
        type: str
        default: /
      gateway:
        description: The ingress Gateway as C(<namespace>/<name>).
        type: str
        default: istio-ingress/openova-ingress
  ingress_domain:
    description:
      - The domain the ingress Gateway serves (C(*.<domain>)). When set, every O(gateway.hosts) entry must be a name
        under it.
    type: str
  state:
    description:
      - V(present) applies the policy. V(absent) deletes every VirtualService, DestinationRule and EnvoyFilter
        the module made for O(name) (found by their labels); only O(name), O(namespace) and O(tenant) matter then.
    type: str
    choices: [present, absent]
    default: present
  workload_labels:
    description:
      - The pod labels the rate-limit EnvoyFilter selects. Defaults to C(app=<name>), which
        M(openova.platform.tenant_service) sets on every pod of the service.
    type: dict
"""

EXAMPLES = r"""
- name: Send 10% of the shop's traffic to v2, with retries, a timeout and circuit breaking
  openova.platform.traffic_policy:
    name: shop
    namespace: acme-prod
    tenant: acme
    subsets:
      - name: v1
      - name: v2
    weights: {v1: 90, v2: 10}
    timeout: 5s
    retries: {attempts: 3, per_try_timeout: 2s, retry_on: "5xx,connect-failure"}
    connection_pool:
      tcp: {max_connections: 100, connect_timeout: 1s}
      http: {http1_max_pending_requests: 10}
    outlier_detection: {consecutive_5xx_errors: 5, interval: 10s, base_ejection_time: 30s}

- name: A/B test - beta testers (header or cookie) see v2, everyone else v1; rate limit and expose
  openova.platform.traffic_policy:
    name: shop
    namespace: acme-prod
    tenant: acme
    subsets: [{name: v1}, {name: v2}]
    routes:
      - name: beta
        match:
          - headers: {x-beta: {exact: "1"}}
          - cookie: {name: group, value: beta}
        destinations: [{subset: v2}]
    weights: {v1: 100}
    rate_limit: {max_tokens: 100, tokens_per_fill: 10, fill_interval: 1s}
    gateway:
      hosts: [shop.acme.openova.io]
      path: /shop

- name: Remove the service's routing
  openova.platform.traffic_policy:
    name: shop
    namespace: acme-prod
    tenant: acme
    state: absent
"""

RETURN = r"""
changed:
  description: Whether any object was created, updated or deleted.
  returned: always
  type: bool
results:
  description: What happened to each object, in order (rendered objects, then pruned ones).
  returned: success
  type: list
  elements: dict
  sample:
    - {apiVersion: networking.istio.io/v1, kind: VirtualService, namespace: acme-prod, name: shop, action: updated}
    - {apiVersion: networking.istio.io/v1alpha3, kind: EnvoyFilter, namespace: acme-prod, name: shop-ratelimit,
       action: deleted}
objects:
  description: The rendered objects as they were sent.
  returned: success
  type: list
  elements: dict
diff:
  description: Before and after of each changed object (with C(--diff)).
  returned: when diff mode is on
  type: list
  elements: dict
api_requests:
  description: How many API requests the module sent.
  returned: success
  type: int
  sample: 9
"""

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.argspec import APPLY_ARGS, CONNECTION_ARGS, spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.traffic.run import run_traffic_policy


ARGUMENT_SPEC = spec(CONNECTION_ARGS, APPLY_ARGS,
                     name=dict(type="str", required=True),
                     namespace=dict(type="str", required=True),
                     tenant=dict(type="str", required=True),
                     host=dict(type="str"),
                     port=dict(type="int"),
                     subsets=dict(type="list", elements="dict", default=[], options=dict(
                         name=dict(type="str", required=True), labels=dict(type="dict"))),
                     weights=dict(type="dict"),
                     routes=dict(type="list", elements="dict", default=[]),
                     timeout=dict(type="str"),
                     retries=dict(type="dict", options=dict(
                         attempts=dict(type="int", required=True), per_try_timeout=dict(type="str"),
                         retry_on=dict(type="str"))),
                     connection_pool=dict(type="dict"),
                     outlier_detection=dict(type="dict"),
                     rate_limit=dict(type="dict", options=dict(
                         max_tokens=dict(type="int", required=True, no_log=False),
                         tokens_per_fill=dict(type="int", required=True, no_log=False),
                         fill_interval=dict(type="str", required=True), status_code=dict(type="int"))),
                     gateway=dict(type="dict", options=dict(
                         hosts=dict(type="list", elements="str", required=True), path=dict(type="str", default="/"),
                         gateway=dict(type="str", default=facts.INGRESS_GATEWAY))),
                     workload_labels=dict(type="dict"),
                     ingress_domain=dict(type="str"),
                     state=dict(type="str", choices=["present", "absent"], default="present"))


def main():
    run_module(ARGUMENT_SPEC, run_traffic_policy)


if __name__ == "__main__":
    main()
