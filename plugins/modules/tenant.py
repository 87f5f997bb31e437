#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: tenant
short_description: Onboard and offboard OpenOva platform tenants
version_added: 0.1.0
description:
  - Gives each tenant an isolated, policy-enforced and observable slice of the platform, or removes it.
  - "In each tenant namespace: ownership, Istio injection and Pod Security Admission C(restricted) labels; the
    tenant's Harbor project, C(X-Scope-OrgID) and allowed registries as annotations; a ResourceQuota and a
    LimitRange; default-deny NetworkPolicies with allowances for the tenant, DNS, the ingress gateway and the
    platform; RoleBindings of the tenant's groups; a STRICT PeerAuthentication, an AuthorizationPolicy and a
    Sidecar; a default ServiceAccount without token automount; Secrets C(redpanda-credentials) and, when asked,
    C(postgres-credentials)."
  - "Tenant-wide: Redpanda Topic and User (SCRAM-SHA-512, PREFIXED ACLs on C(<tenant>.)) objects, a CloudNativePG
    Database and DatabaseRole, and a GrafanaFolder with Loki, Mimir and Tempo GrafanaDatasources that send the
    tenant's C(X-Scope-OrgID)."
  - "Shared by all tenants: the ClusterRoles C(openova-tenant-admin), C(openova-tenant-developer) and
    C(openova-tenant-viewer). They grant no write on ResourceQuotas, LimitRanges, NetworkPolicies, Namespaces, RBAC
    objects, PeerAuthentications, AuthorizationPolicies or Sidecars."
  - Reads what the tenants own with one labelled list per kind, then applies every object of every tenant in one
    server-side apply batch. A re-run that changes nothing reports V(changed=false) and writes nothing.
  - Generated passwords are kept in Secrets and reused on later runs; they never appear in results or diffs.
author:
  - OpenOva platform team (@openova)
requirements:
  - kubernetes >= 30.1.0
notes:
  - The platform namespaces named in O(platform) must exist; tenant Topic and User objects are created in the
    Redpanda namespace, Database objects in the PostgreSQL namespace and Grafana objects in the Grafana namespace.
  - Offboarding deletes the Database CR; its C(databaseReclaimPolicy) is C(retain), so the data stays in PostgreSQL
    until a DBA drops it.
extends_documentation_fragment:
  - openova.platform.connection
  - openova.platform.connection.apply
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Every write is sent as a server-side dry run; nothing is stored.
  diff_mode:
    support: full
    details: Before and after of every object that changes, with Secret values hidden.
  platform:
    support: full
    platforms: posix
options:
  state:
    description:
    - 'V(present) onboards the tenants: renders every object, applies it with server-side apply and prunes objects
      the module created earlier that the spec no longer asks for.'
    - 'V(absent) offboards them: deletes every object labelled as theirs, namespaces last. Namespaces and objects
      without the C(app.kubernetes.io/managed-by=openova-platform) label are never touched.'
    type: str
    default: present
    choices:
    - present
    - absent
  tenants:
    description:
    - The tenants to onboard or offboard, handled in one call and applied concurrently (see O(concurrency)).
    - The whole list is validated before anything is written; every problem is reported with its field path.
    - With O(state=absent) only O(tenants[].name) is needed; O(tenants[].namespaces), when given, must be managed
      by this collection.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
        - 'Tenant name: a DNS-1123 label of at most 40 characters, not a platform name (V(default), C(kube-*), C(istio-*),
          C(openova-*)).'
        type: str
        required: true
      display_name:
        description:
        - Human readable name, used as the Grafana folder title. Defaults to O(tenants[].name).
        type: str
      owners:
        description:
        - Groups per tenant role. Required with O(state=present).
        type: dict
        suboptions:
          admin:
            description:
            - Groups bound to ClusterRole C(openova-tenant-admin) in every namespace of the tenant. At least one
              is required with O(state=present).
            type: list
            default: []
            elements: str
          developer:
            description:
            - Groups bound to ClusterRole C(openova-tenant-developer).
            type: list
            default: []
            elements: str
          viewer:
            description:
            - Groups bound to ClusterRole C(openova-tenant-viewer).
            type: list
            default: []
            elements: str
      namespaces:
        description:
        - The tenant's namespaces. Each is the tenant name or starts with the tenant name and a dash. Defaults to
          one namespace named after the tenant.
        type: list
        elements: str
      tier:
        description:
        - Quota tier; O(tenants[].quota) overrides single values.
        type: str
        default: small
        choices:
        - large
        - medium
        - small
      quota:
        description:
        - Explicit ResourceQuota values per namespace; each overrides the tier's value.
        type: dict
        suboptions:
          requests_cpu:
            description:
            - C(requests.cpu) per namespace; overrides the tier.
            type: str
          requests_memory:
            description:
            - C(requests.memory) per namespace; overrides the tier.
            type: str
          limits_cpu:
            description:
            - C(limits.cpu) per namespace; overrides the tier.
            type: str
          limits_memory:
            description:
            - C(limits.memory) per namespace; overrides the tier.
            type: str
          pods:
            description:
            - Number of pods per namespace; overrides the tier.
            type: int
          services:
            description:
            - Number of Services per namespace; overrides the tier.
            type: int
          pvcs:
            description:
            - Number of PersistentVolumeClaims per namespace; overrides the tier.
            type: int
          storage:
            description:
            - C(requests.storage) per namespace; overrides the tier.
            type: str
          load_balancers:
            description:
            - Number of LoadBalancer Services allowed per namespace.
            type: int
            default: 0
          node_ports:
            description:
            - Number of NodePort Services allowed per namespace.
            type: int
            default: 0
      limits:
        description:
        - LimitRange defaults and maximums per container.
        type: dict
        suboptions:
          default_cpu:
            description:
            - CPU limit given to containers that set none.
            type: str
            default: 500m
          default_memory:
            description:
            - Memory limit given to containers that set none.
            type: str
            default: 512Mi
          default_request_cpu:
            description:
            - CPU request given to containers that set none.
            type: str
            default: 100m
          default_request_memory:
            description:
            - Memory request given to containers that set none.
            type: str
            default: 128Mi
          max_cpu:
            description:
            - The largest CPU limit one container may set.
            type: str
            default: '2'
          max_memory:
            description:
            - The largest memory limit one container may set.
            type: str
            default: 4Gi
      harbor_project:
        description:
        - The tenant's Harbor project. Defaults to the tenant name.
        type: str
      allowed_registries:
        description:
        - Image registries (prefixes) the tenant's pods may pull from. Defaults to C(harbor.<domain>/<harbor project>).
        type: list
        elements: str
      network:
        description:
        - Network allowances beyond the defaults.
        type: dict
        suboptions:
          ingress_from_namespaces:
            description:
            - Extra namespaces whose pods may connect to the tenant's pods.
            type: list
            default: []
            elements: str
          egress_to_namespaces:
            description:
            - Extra namespaces the tenant's pods may connect to.
            type: list
            default: []
            elements: str
          egress_cidrs:
            description:
            - CIDR blocks outside the cluster the tenant's pods may connect to.
            type: list
            default: []
            elements: str
      topics:
        description:
        - Redpanda topics of the tenant.
        type: list
        default: []
        elements: dict
        suboptions:
          name:
            description:
            - Full topic name; it must start with the tenant name and a dot, for example V(acme.orders).
            type: str
            required: true
          partitions:
            description:
            - Number of partitions.
            type: int
            default: 3
          replication_factor:
            description:
            - Number of replicas (odd).
            type: int
            default: 3
          config:
            description:
            - Extra topic configuration, for example C(retention.ms).
            type: dict
            default: {}
      postgres:
        description:
        - PostgreSQL for the tenant.
        type: dict
        suboptions:
          enabled:
            description:
            - Create a database and a role for the tenant on the shared CloudNativePG cluster.
            type: bool
            default: false
          database:
            description:
            - Database name. Defaults to the tenant name with dashes turned into underscores.
            type: str
  platform:
    description:
    - Names of the platform's namespaces and services that tenant objects refer to.
    type: dict
    default: {}
    suboptions:
      domain:
        description:
        - The platform's base domain; the Harbor registry is C(harbor.<domain>).
        type: str
        default: openova.io
      istio_namespace:
        description:
        - Namespace of istiod.
        type: str
        default: istio-system
      istio_revision:
        description:
        - Istio revision; when set, namespaces get C(istio.io/rev) instead of C(istio-injection).
        type: str
        default: ''
      ingress_namespace:
        description:
        - Namespace of the Istio ingress gateway.
        type: str
        default: istio-ingress
      telemetry_namespaces:
        description:
        - Namespaces of the telemetry collectors.
        type: list
        default:
        - openova-observability
        elements: str
      llm_gateway_namespace:
        description:
        - Namespace of the LLM gateway.
        type: str
        default: openova-llm-gateway
      data_namespaces:
        description:
        - Namespaces of the data layer (PostgreSQL, Redis).
        type: list
        default:
        - openova-data
        elements: str
      redpanda_namespace:
        description:
        - Namespace of the Redpanda cluster; tenant Topic and User objects live here.
        type: str
        default: openova-redpanda
      redpanda_cluster:
        description:
        - Name of the Redpanda resource the Topic and User objects refer to.
        type: str
        default: redpanda
      redpanda_bootstrap_servers:
        description:
        - Kafka bootstrap servers written to each tenant's credentials.
        type: str
        default: redpanda.openova-redpanda.svc.cluster.local:9093
      postgres_namespace:
        description:
        - Namespace of the shared CloudNativePG cluster.
        type: str
        default: openova-data
      postgres_cluster:
        description:
        - Name of the shared CloudNativePG Cluster.
        type: str
        default: platform-pg
      postgres_host:
        description:
        - Host name tenants connect to. Defaults to C(<cluster>-rw.<namespace>.svc).
        type: str
      postgres_port:
        description:
        - Port tenants connect to.
        type: int
        default: 5432
      grafana_namespace:
        description:
        - Namespace of the Grafana instance the GrafanaFolder and GrafanaDatasource objects are created in.
        type: str
        default: openova-observability
      grafana_instance_labels:
        description:
        - Labels of the platform's own Grafana instance. Tenant objects never select it; each tenant gets a Grafana
          instance of its own.
        type: dict
        default:
          dashboards: grafana
      grafana_config:
        description:
        - C(grafana.ini) settings (section to settings) added to every tenant's Grafana instance, for example the
          C(auth.generic_oauth) client of the platform's identity provider (C(enabled), C(client_id), C(auth_url),
          C(token_url), C(api_url)). The tenant's groups, their roles and C(allowed_groups) are set per tenant.
        type: dict
        default: {}
      loki_url:
        description:
        - Loki query URL.
        type: str
        default: http://loki-gateway.openova-observability.svc
      mimir_url:
        description:
        - Mimir Prometheus API URL.
        type: str
        default: http://mimir-query-frontend.openova-observability.svc:8080/prometheus
      tempo_url:
        description:
        - Tempo query URL.
        type: str
        default: http://tempo-query-frontend.openova-observability.svc:3200
  concurrency:
    description:
    - How many API requests the module sends at once.
    type: int
    default: 8
  confirm_delete_pvcs:
    description:
    - Allow deleting namespaces that hold PersistentVolumeClaims (offboarding, or a namespace removed from a tenant's
      spec).
    - Without it such a namespace fails the task before anything is deleted.
    type: bool
    default: false
  prune:
    description:
    - With O(state=present), delete objects of the listed tenants that the module created earlier and the spec no
      longer asks for.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Onboard two tenants in one batch
  openova.platform.tenant:
    kubeconfig: "{{ openova_kubeconfig }}"
    tenants:
      - name: acme
        display_name: ACME Corporation
        owners:
          admin: [acme-admins]
          developer: [acme-developers]
          viewer: [acme-viewers]
        namespaces: [acme-dev, acme-prod]
        tier: medium
        topics:
          - name: acme.orders
            partitions: 6
        postgres:
          enabled: true
      - name: globex
        owners:
          admin: [globex-admins]
        quota:
          requests_cpu: "4"
          load_balancers: 1
    platform:
      domain: openova.example.com
  register: onboarded

- name: Offboard a tenant, including namespaces that hold volumes
  openova.platform.tenant:
    state: absent
    tenants:
      - name: globex
    confirm_delete_pvcs: true
"""

RETURN = r"""
changed:
  description: Whether any object was created, updated or deleted (or would be, in check mode).
  returned: always
  type: bool
  sample: true
state:
  description: The state that was applied.
  returned: success
  type: str
  sample: present
tenants:
  description: Per tenant, the objects created, updated and deleted (as C(Kind namespace/name)), the number left
    unchanged, and the errors of objects that failed.
  returned: success
  type: dict
  sample:
    acme:
      created: [Namespace acme-dev, ResourceQuota acme-dev/openova-quota]
      updated: []
      deleted: [NetworkPolicy acme-dev/openova-allow-extra]
      unchanged: 38
      failed: []
shared:
  description: The same summary for the ClusterRoles shared by all tenants.
  returned: success
  type: dict
  sample: {created: [], updated: [], deleted: [], unchanged: 3, failed: []}
diff:
  description: Ansible diffs (before and after, Secret values hidden) of the objects that changed.
  returned: when diff mode is on
  type: list
  elements: dict
  sample:
    - before_header: ResourceQuota acme-dev/openova-quota
      after_header: ResourceQuota acme-dev/openova-quota
      before: {}
      after: {kind: ResourceQuota}
api_requests:
  description: How many API requests the module sent.
  returned: success
  type: int
  sample: 52
"""

from ansible_collections.openova.platform.plugins.module_utils.argspec import APPLY_ARGS, CONNECTION_ARGS, spec
from ansible_collections.openova.platform.plugins.module_utils.common import run_module
from ansible_collections.openova.platform.plugins.module_utils.tenant.run import run_tenant
from ansible_collections.openova.platform.plugins.module_utils.tenant.schema import module_argspec


def main():
    run_module(spec(CONNECTION_ARGS, APPLY_ARGS, **module_argspec()), run_tenant)


if __name__ == "__main__":
    main()
