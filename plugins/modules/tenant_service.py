#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenant_service
short_description: Deploy one version of a tenant microservice that passes the platform's guard rails by construction
version_added: 0.1.0
description:
  - Renders, from a short spec, and applies with server-side apply a C(ServiceAccount) (token automount off), a
    C(Deployment) named C(<name>-<version>), a C(Service), a C(PodDisruptionBudget) and, unless turned off, an
    C(autoscaling/v2) C(HorizontalPodAutoscaler).
  - The Deployment spreads pods over zones (C(DoNotSchedule)) and hosts (C(ScheduleAnyway)), runs them under the
    PSA C(restricted) profile (non-root, read-only root filesystem with an C(emptyDir) on C(/tmp), no privilege
    escalation, all capabilities dropped, C(RuntimeDefault) seccomp), with requests and limits and both probes.
  - Pods carry C(app=<name>) and C(version=<version>), the labels Istio's subsets and M(openova.platform.traffic_policy)
    use. The Service selects every version; each version's PDB and HPA select only its own pods.
  - With O(produces) or O(consumes), the container gets the tenant's Redpanda credentials from the Secret
    C(redpanda-credentials) (C(REDPANDA_BROKERS), C(REDPANDA_USERNAME), C(REDPANDA_PASSWORD),
    C(REDPANDA_SASL_MECHANISM)), the topic names (C(REDPANDA_PRODUCE_TOPICS), C(REDPANDA_CONSUME_TOPICS)) and a
    consumer group (C(REDPANDA_CONSUMER_GROUP)), all inside the tenant's C(<tenant>.) prefix.
  - Every option is validated before any request; all problems are reported at once, naming the field.
  - Returns RV(traffic), the default traffic_policy options (the stable version takes all traffic).
author:
  - OpenOva platform team (@openova)
requirements:
  - kubernetes >= 30.1.0
extends_documentation_fragment:
  - openova.platform.connection
  - openova.platform.connection.apply
  - openova.platform.attributes
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    details: Writes are server-side dry runs (C(dryRun=All)); nothing is stored and no wait happens.
options:
  name:
    description: The service's name (a DNS-1035 label). Names the Service and the ServiceAccount.
    type: str
    required: true
  tenant:
    description: The tenant. The namespace's C(openova.io/tenant) label must equal it.
    type: str
    required: true
  namespace:
    description: The tenant namespace to deploy into.
    type: str
    required: true
  image:
    description:
      - The container image, from the tenant's Harbor project C(harbor.<domain>/<tenant>/), with a fixed tag
        (not V(latest)) or a digest.
      - Required unless O(state=absent).
    type: str
  version:
    description: The version being deployed; the Deployment is C(<name>-<version>) and its pods carry C(version=<version>).
    type: str
    default: v1
  stable_version:
    description:
      - The version that takes all traffic in the default routing (RV(traffic)). Defaults to O(version).
        Set it to the running version when deploying a canary.
    type: str
  ports:
    description:
      - The ports the container listens on, as C(name) (Istio reads the protocol from it, for example V(http),
        V(grpc)), C(port) and optional C(protocol). A bare number means C(name=http).
      - 'The first port is the probes'' and the routing''s default. Defaults to V([{name: http, port: 8080}]).'
    type: list
    elements: raw
  replicas:
    description:
      - The Deployment's replicas. Defaults to V(2).
      - With autoscaling on, this is the count a new Deployment starts with; on later runs the module keeps the
        count the HPA chose (clamped to its bounds), so a re-run does not undo scaling.
    type: int
  resources:
    description:
      - C(requests) and C(limits), each with C(cpu) and C(memory). Defaults to requests V(100m)/V(128Mi) and
        limits V(500m)/V(512Mi).
    type: dict
  probes:
    description:
      - C(liveness) and C(readiness), each with C(path) (HTTP GET) or C(tcp=true), and optional C(port),
        C(initial_delay_seconds), C(period_seconds), C(timeout_seconds), C(failure_threshold).
      - Defaults to V(/health) and V(/ready) on the first port.
    type: dict
  env:
    description: Plain environment variables (name to value).
    type: dict
  secret_env:
    description: Environment variables read from Secrets in the namespace, each C(name), C(secret) and C(key).
    type: list
    elements: dict
  produces:
    description: Topics the service produces to; each must start with C(<tenant>.).
    type: list
    elements: str
  consumes:
    description: Topics the service consumes from; each must start with C(<tenant>.).
    type: list
    elements: str
  consumer_group:
    description: The consumer group; must start with C(<tenant>.). Defaults to C(<tenant>.<name>) when O(consumes) is set.
    type: str
  autoscaling:
    description:
      - C(enabled) (default V(true)), C(min_replicas) (default O(replicas)), C(max_replicas) (default three times
        O(replicas)) and C(cpu_utilization) (percent, default V(70)).
    type: dict
  run_as_user:
    description: The UID (and GID) the pods run as. Must not be 0.
    type: int
  domain:
    description: The platform domain; images come from C(harbor.<domain>/<tenant>/).
    type: str
    default: openova.io
  state:
    description:
      - V(present) applies the objects. V(absent) deletes this O(version)'s Deployment, PDB and HPA, leaving the
        Service, the ServiceAccount and other versions alone.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until every replica of this version is available.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
"""

EXAMPLES = r"""
- name: Deploy version v1 of the orders service
  openova.platform.tenant_service:
    name: orders
    tenant: acme
    namespace: acme-prod
    image: harbor.openova.io/acme/orders:1.4.2
    ports: [{name: http, port: 8080}]
    replicas: 3
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {cpu: 500m, memory: 512Mi}
    env: {LOG_LEVEL: info}
    secret_env:
      - {name: DB_PASSWORD, secret: orders-db, key: password}
    produces: [acme.orders.created]
    consumes: [acme.payments.settled]
    autoscaling: {min_replicas: 3, max_replicas: 10}
    wait: true
  register: orders

- name: Deploy v2 next to v1 as a canary that gets no traffic yet
  openova.platform.tenant_service:
    name: orders
    tenant: acme
    namespace: acme-prod
    image: harbor.openova.io/acme/orders:1.5.0
    version: v2
    stable_version: v1

- name: Remove the old version after promotion
  openova.platform.tenant_service:
    name: orders
    tenant: acme
    namespace: acme-prod
    version: v1
    state: absent
"""

RETURN = r"""
changed:
  description: Whether any object was created, updated or deleted.
  returned: always
  type: bool
results:
  description: What happened to each object.
  returned: success
  type: list
  elements: dict
  sample:
    - {apiVersion: apps/v1, kind: Deployment, namespace: acme-prod, name: orders-v1, action: created}
objects:
  description: The rendered objects.
  returned: success
  type: list
  elements: dict
workload:
  description: The name of this version's Deployment, PDB and HPA.
  returned: success
  type: str
  sample: orders-v1
traffic:
  description: The default traffic_policy options for the service (stable version 100, deployed version 0).
  returned: when O(state=present)
  type: dict
  sample: {name: orders, namespace: acme-prod, tenant: acme, port: 8080, subsets: [{name: v1}], weights: {v1: 100}}
diff:
  description: Before and after of each changed object (with C(--diff)).
  returned: when diff mode is on
  type: list
  elements: dict
api_requests:
  description: How many API requests the module sent.
  returned: success
  type: int
"""

from ansible_collections.openova.platform.plugins.module_utils import facts
from ansible_collections.openova.platform.plugins.module_utils.argspec import APPLY_ARGS, CONNECTION_ARGS, spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.service.run import run_tenant_service


ARGUMENT_SPEC = spec(CONNECTION_ARGS, APPLY_ARGS,
                     name=dict(type="str", required=True),
                     tenant=dict(type="str", required=True),
                     namespace=dict(type="str", required=True),
                     image=dict(type="str"),
                     version=dict(type="str", default="v1"),
                     stable_version=dict(type="str"),
                     ports=dict(type="list", elements="raw"),
                     replicas=dict(type="int"),
                     resources=dict(type="dict"),
                     probes=dict(type="dict"),
                     env=dict(type="dict"),
                     secret_env=dict(type="list", elements="dict", no_log=False),
                     produces=dict(type="list", elements="str"),
                     consumes=dict(type="list", elements="str"),
                     consumer_group=dict(type="str"),
                     autoscaling=dict(type="dict"),
                     run_as_user=dict(type="int"),
                     domain=dict(type="str", default=facts.DOMAIN),
                     state=dict(type="str", choices=["present", "absent"], default="present"),
                     wait=dict(type="bool", default=False),
                     wait_timeout=dict(type="int", default=300))


def main():
    run_module(ARGUMENT_SPEC, run_tenant_service, required_if=[("state", "present", ["image"])])


if __name__ == "__main__":
    main()
