# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's exception tree, and the one function that turns any of them
into ``fail_json`` arguments. Lower layers raise these ``from`` the original
error; only module shells call :func:`fail_kwargs`. No I/O here."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class OpenovaError(Exception):
    """Base class: ``msg`` is one line a user can act on."""

    def __init__(self, msg, **details):
        super(OpenovaError, self).__init__(msg)
        self.msg = msg
        self.details = details


class SpecError(OpenovaError):
    """Input that fails validation. ``problems`` is a list of (field path, message)."""

    def __init__(self, problems, subject=None):
        self.problems = list(problems)
        prefix = "%s: " % subject if subject else ""
        lines = ["%s%s: %s" % (prefix, field, message) for field, message in self.problems]
        msg = lines[0] if len(lines) == 1 else "%d problems in the input; nothing was written:\n- %s" % (
            len(lines), "\n- ".join(lines))
        super(SpecError, self).__init__(msg, problems=[{"field": f, "message": m} for f, m in self.problems])


class ConnectionFailed(OpenovaError):
    """The API server cannot be reached, or the kubeconfig cannot be used."""


class ApiError(OpenovaError):
    """The API server refused a request. ``status`` is the HTTP status code."""

    def __init__(self, msg, status=None, reason=None, causes=None):
        super(ApiError, self).__init__(msg, status=status, reason=reason, causes=causes or [])
        self.status = status
        self.reason = reason
        self.causes = causes or []


class Forbidden(ApiError):
    """403: the credentials lack a permission."""


class Conflict(ApiError):
    """409 from server-side apply: another field manager owns fields we set."""


class MissingKind(OpenovaError):
    """The API server does not serve a kind (usually a CRD that is not installed)."""


class WaitTimeout(OpenovaError):
    """A wait ran out of time; ``details['last']`` holds the last object seen."""


def fail_kwargs(exc):
    """Arguments for ``module.fail_json`` from any OpenovaError."""
    kwargs = {"msg": exc.msg}
    kwargs.update({k: v for k, v in exc.details.items() if v not in (None, [], {})})
    return kwargs
