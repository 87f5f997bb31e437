# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind the internal _helm_release role: turn a component's release list and
chart settings into chart references (upstream repository, OCI mirror or local
directory), and turn the answers of the source probes into messages that name the
component, the chart, the source and the variable that fixes it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: chart_releases
short_description: Resolve a component's Helm releases to chart references for one chart source
version_added: 0.1.0
description:
  - Completes every release of a component with its chart, repository and version (from the component's
    C(<component>_chart_name), C(_chart_repo) and C(_chart_version) when the release does not carry them) and
    resolves the chart reference for the source - C(upstream) (the chart's own repository, https or oci://),
    C(oci) (a mirror holding every chart) or C(local) (a directory of C(<chart>-<version>.tgz),
    C(<chart>-<version>/) or C(<chart>/), first match wins).
  - Adds C(ref), C(repo_url), C(chart_version) (none for local charts), C(probe_url) (where to ask whether the
    source answers; none for local charts), C(missing) (a local chart that is not there), C(source_desc) and
    C(hint) (the variables that fix an unreachable source) to each release.
  - Reads nothing but the local chart directory.
options:
  _input:
    description: The releases, each with at least C(name) and C(namespace).
    type: list
    elements: dict
    required: true
  component:
    description: Component (role) name, used in messages and variable hints.
    type: str
    required: true
  source:
    description: Chart source.
    type: str
    choices: [upstream, oci, local]
    default: upstream
  mirror:
    description: OCI mirror, C(oci://host/path), for the C(oci) source.
    type: str
    default: ""
  directory:
    description: Local chart directory for the C(local) source.
    type: str
    default: ""
  defaults:
    description: Keys a release does not set (C(chart), C(repo), C(version), ...).
    type: dict
    default: {}
author:
  - OpenOva platform team (@openova)
"""

EXAMPLES = r"""
- name: Resolve the releases of a component
  ansible.builtin.debug:
    msg: "{{ releases | openova.platform.chart_releases(component='redis', source='local', directory='/srv/charts') }}"
"""

RETURN = r"""
_value:
  description: The releases with their chart reference and probe URL.
  type: list
  elements: dict
  sample:
    - {name: valkey, namespace: openova-data, chart: valkey, version: 3.0.31, ref: /srv/charts/valkey-3.0.31.tgz,
       repo_url: "", chart_version: null, probe_url: null, missing: false}
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.openova.platform.plugins.module_utils.charts import ChartSourceError
from ansible_collections.openova.platform.plugins.module_utils.charts import chart_releases as _chart_releases


def chart_releases(releases, component, source="upstream", mirror="", directory="", defaults=None):
    """The releases with their chart reference for the source."""
    try:
        return _chart_releases(releases, component, source=source, mirror=mirror, directory=directory,
                               defaults=defaults)
    except ChartSourceError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule(object):
    def filters(self):
        return {"chart_releases": chart_releases}
