# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Chart sources of the platform's Helm releases: a component's release list and chart
settings become chart references (upstream repository, OCI mirror or local directory);
the answers of the source probes become messages that name the component, the chart,
the source and the variable that fixes it. Used by the chart_releases and
chart_source_errors filters (the internal _helm_release role)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re


class ChartSourceError(ValueError):
    """A release list or chart setting that cannot be resolved."""


RELEASE_DEFAULTS = {"chart": "", "repo": "", "version": "", "values": {}, "namespace_labels": {}, "secrets": [],
                    "crds": []}


def _strip(url):
    return re.sub(r"/+$", "", url or "")


def _registry_probe(oci_url):
    """A registry answers on /v2/ (200, or 401 when it wants a login)."""
    return "https://%s/v2/" % re.sub(r"^oci://", "", oci_url).split("/")[0]


def local_candidates(directory, chart, version):
    """The local layouts, first match wins."""
    base = _strip(directory)
    return ["%s/%s-%s.tgz" % (base, chart, version), "%s/%s-%s" % (base, chart, version), "%s/%s" % (base, chart)]


def hint(component, source, chart, version):
    out = ""
    if source == "oci":
        out += ("check that %s_chart_mirror (or openova_chart_mirror) is a registry that holds %s:%s, "
                % (component, chart, version))
    if source == "local":
        out += "put %s-%s.tgz into %s_chart_dir (or openova_chart_dir), " % (chart, version, component)
    return out + ("set %s_chart_source (or openova_chart_source) to 'oci' with openova_chart_mirror, or to 'local' "
                  "with openova_chart_dir for air-gapped installs; openova_chart_unreachable=skip reports and "
                  "continues without this component" % component)


def resolve(release, component, source, mirror, directory, exists=os.path.exists):
    """One release with its chart reference for `source`; `exists` checks local paths."""
    rel = dict(release)
    chart, version, repo = rel["chart"], str(rel["version"]), rel["repo"]
    oci_repo = repo.startswith("oci://")
    rel.update(version=version, ref="", repo_url="", chart_version=version, probe_url=None, missing=False,
               hint=hint(component, source, chart, version),
               secrets=[dict({"namespace": rel["namespace"]}, **secret) for secret in rel["secrets"]])
    if source == "upstream":
        rel["source_desc"] = "upstream " + repo
        rel["ref"] = "%s/%s" % (_strip(repo), chart) if oci_repo else chart
        rel["repo_url"] = "" if oci_repo else repo
        rel["probe_url"] = _registry_probe(repo) if oci_repo else _strip(repo) + "/index.yaml"
    elif source == "oci":
        rel["source_desc"] = "OCI mirror " + mirror
        rel["ref"] = "%s/%s" % (_strip(mirror), chart)
        rel["probe_url"] = _registry_probe(mirror)
    else:
        rel["source_desc"] = "local directory " + directory
        found = [c for c in local_candidates(directory, chart, version) if exists(c)]
        rel["ref"] = found[0] if found else ""
        rel["missing"] = not found
        rel["chart_version"] = None  # a local chart is what it is; helm refuses --version for a path
    return rel


def chart_releases(releases, component, source="upstream", mirror="", directory="", defaults=None):
    if not isinstance(releases, list) or not all(isinstance(r, dict) for r in releases):
        raise ChartSourceError("chart_releases expects a list of releases (dicts)")
    if source not in ("upstream", "oci", "local"):
        raise ChartSourceError("component '%s': %s_chart_source must be upstream, oci or local, not '%s'"
                               % (component, component, source))
    out = []
    for index, release in enumerate(releases):
        rel = dict(RELEASE_DEFAULTS, **{k: v for k, v in (defaults or {}).items() if v not in (None, "")})
        rel.update(release)
        missing = [k for k in ("name", "namespace", "chart", "version") if not rel.get(k)]
        if source == "upstream" and not rel.get("repo"):
            missing.append("repo")
        if missing:
            raise ChartSourceError("component '%s': release %d (%s) has no %s" % (
                component, index, rel.get("name") or "unnamed", ", ".join(missing)))
        out.append(resolve(rel, component, source, mirror, directory))
    return out


def chart_source_errors(releases, component, probes=None, timeout=5):
    """One message per release whose source did not answer: a missing local chart, or a
    probe (the registered results of ansible.builtin.uri over the probe URLs) that did not
    answer 200 or 401."""
    answers = {}
    for result in probes or []:
        if isinstance(result, dict) and not result.get("skipped"):
            answers[result.get("item")] = result
    errors = []
    for rel in releases:
        if rel.get("missing"):
            chart, version = rel["chart"], rel["version"]
            folder = rel["source_desc"].split(" ", 2)[-1]
            why = "no %s-%s.tgz, %s-%s/ or %s/ in %s" % (chart, version, chart, version, chart, folder)
        elif rel.get("probe_url") and answers.get(rel["probe_url"], {}).get("status", -1) not in (200, 401):
            answer = answers.get(rel["probe_url"], {})
            why = "%s did not answer within %ss (%s)" % (rel["probe_url"], timeout,
                                                         str(answer.get("msg") or "no response")[:160])
        else:
            continue
        errors.append({"release": rel["name"], "chart": rel["chart"], "version": rel["version"],
                       "reason": why, "hint": rel["hint"],
                       "message": "component '%s': chart '%s' %s from %s is unreachable: %s" % (
                           component, rel["chart"], rel["version"], rel["source_desc"], why)})
    return errors
