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
      - Seconds to wait for each API request.
    type: int
    default: 30
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
