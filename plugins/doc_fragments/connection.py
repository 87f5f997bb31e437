# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Documentation of the options in plugins/module_utils/argspec.py."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file.
      - Falls back to E(K8S_AUTH_KUBECONFIG), then E(KUBECONFIG), then C(~/.kube/config), then the in-cluster
        service account when running inside a pod.
    type: path
  context:
    description:
      - The kubeconfig context to use. Defaults to the current context. Falls back to E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - URL of the API server. Overrides the kubeconfig's server. Falls back to E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - A bearer token; with O(host) it replaces the kubeconfig. Falls back to E(K8S_AUTH_API_KEY).
    type: str
  validate_certs:
    description:
      - Set V(false) to skip verifying the API server's certificate. Defaults to the kubeconfig's setting.
    type: bool
    aliases: [verify_ssl]
  ca_cert:
    description:
      - Path to a CA bundle that signs the API server's certificate.
    type: path
    aliases: [ssl_ca_cert]
  request_timeout:
    description:
      - Seconds to wait for each API request (each attempt, when a request is retried). Must be greater than 0.
    type: int
    default: 30
  retry_deadline:
    description:
      - Seconds within which a request that failed for a passing reason is tried again, counted from its first
        attempt. V(0) turns retries off.
      - Retried are answers C(429 TooManyRequests) (for example C(storage is (re)initializing) after an API server
        restart), C(500), C(502), C(503) and C(504), and refused, reset or timed-out connections, as client-go does,
        and only when repeating the request is safe. Reads, deletes and server-side apply always are; other writes
        only when the server certainly did not act on them (a C(429), a refused connection).
      - Between attempts the module waits the server's C(Retry-After), at least, and backs off exponentially from 1 to
        8 seconds per API server while the failures last.
      - RV(api_retries) reports how many retries the run needed.
    type: int
    default: 120
"""

    APPLY = r"""
options:
  force_conflicts:
    description:
      - Take ownership of fields that another server-side apply field manager owns.
      - Without it a conflict fails the task and names the fields and the other manager.
    type: bool
    default: false
  field_manager:
    description:
      - The server-side apply field manager recorded on every object the module writes.
    type: str
    default: openova-platform
"""
