# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PostgreSQL for a tenant on the shared CloudNativePG cluster: a DatabaseRole
with its password Secret, a Database, and ``postgres-credentials`` in every
tenant namespace. The password comes in as an argument; pure.

Reclaim policies: the role owns the database, and PostgreSQL cannot drop a
role that owns a database, so the CloudNativePG operator leaves a DatabaseRole
with reclaim ``delete`` Terminating for as long as its database exists. The
Database is retained on offboarding (the data stays until a DBA drops it), so
its owner role is retained too: both CRs then go at once, and the role and the
database stay together in PostgreSQL. Offboarding deletes the Database before
the DatabaseRole (see tenant/run.py), the order the operator needs whenever a
database is dropped."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.openova.platform.plugins.module_utils.tenant.render import meta
from ansible_collections.openova.platform.plugins.module_utils.tenant.render.redpanda import secret

API = "postgresql.cnpg.io/v1"
CREDENTIALS_SECRET = "postgres-credentials"
# The reclaim policy of both CRs. They must agree: a role cannot be dropped
# while it still owns the database (see the module docstring).
RECLAIM_POLICY = "retain"


def role_secret_name(tenant_name):
    return meta.tenant_object_name(tenant_name, "postgres")


def render_postgres(tenant, platform, password):
    """Nothing unless ``postgres.enabled``; otherwise the role Secret (basic-auth,
    where CloudNativePG reads it), DatabaseRole, Database and credentials."""
    if not tenant["postgres"]["enabled"]:
        return []
    name = tenant["name"]
    pg_ns = platform["postgres_namespace"]
    role = meta.postgres_role(tenant)
    dbname = tenant["postgres"]["database"]
    cluster = {"name": platform["postgres_cluster"]}
    host, port = platform["postgres_host"], platform["postgres_port"]
    out = [
        secret(role_secret_name(name), pg_ns, name, {"username": role, "password": password},
               secret_type="kubernetes.io/basic-auth"),
        meta.obj(API, "DatabaseRole", meta.tenant_object_name(name), pg_ns, name, spec={
            "cluster": cluster, "name": role, "ensure": "present", "login": True, "inherit": True,
            "passwordSecret": {"name": role_secret_name(name)}, "comment": "openova tenant %s" % name,
            "databaseRoleReclaimPolicy": RECLAIM_POLICY}),
        meta.obj(API, "Database", meta.tenant_object_name(name), pg_ns, name, spec={
            "cluster": cluster, "name": dbname, "owner": role, "ensure": "present",
            "databaseReclaimPolicy": RECLAIM_POLICY}),
    ]
    values = {"username": role, "password": password, "host": host, "port": str(port), "dbname": dbname,
              "uri": "postgresql://%s:%s@%s:%s/%s" % (role, password, host, port, dbname)}
    out.extend(secret(CREDENTIALS_SECRET, ns, name, values) for ns in tenant["namespaces"])
    return out
