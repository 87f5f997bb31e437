# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The validation kit every validator uses (tenant, traffic, service, guard-rail
options): ``Problems`` collects (field, message) pairs and raises one SpecError;
the rules for Kubernetes names, label values, quantities (parsed like
``resource.Quantity``), Go durations, CIDR blocks, whole numbers and lengths;
and ``normalize``, which checks a value against an option table and fills its
defaults. Pure: no I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import functools
import ipaddress
import re
from fractions import Fraction

from ansible_collections.openova.platform.plugins.module_utils.errors import SpecError


class Problems:
    """Collects (field, message) pairs; ``raise_if_any`` raises one SpecError
    that lists them all, so that nothing is written until the input is clean."""

    def __init__(self, subject=None):
        self.items = []
        self.subject = subject

    def add(self, field, message):
        self.items.append((field, message))

    def extend(self, pairs):
        self.items.extend(pairs)

    def __len__(self):
        return len(self.items)

    def __bool__(self):
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def raise_if_any(self):
        if self.items:
            raise SpecError(self.items, subject=self.subject)


# ---------------------------------------------------------------- names
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253


def is_dns1123_label(value, max_len=LABEL_MAX):
    """A DNS-1123 label: lower-case letters, digits and '-', at most ``max_len`` characters."""
    return isinstance(value, str) and len(value) <= max_len and DNS1123_LABEL.match(value) is not None


def is_dns1123_subdomain(value, max_len=SUBDOMAIN_MAX):
    return isinstance(value, str) and len(value) <= max_len and DNS1123_SUBDOMAIN.match(value) is not None


def is_dns1035_label(value, max_len=LABEL_MAX):
    """A DNS-1035 label: like DNS-1123 but starting with a letter (Service and port names)."""
    return isinstance(value, str) and len(value) <= max_len and DNS1035_LABEL.match(value) is not None


def is_label_value(value):
    return isinstance(value, str) and len(value) <= LABEL_MAX and LABEL_VALUE.match(value) is not None


def check_name(problems, field, value, max_len=LABEL_MAX, kind="DNS-1123 label"):
    """Add a problem unless ``value`` is a DNS-1123 label (``kind="DNS-1035 label"`` or
    ``"DNS-1123 subdomain"`` for the others); True when it is one."""
    test = {"DNS-1123 label": is_dns1123_label, "DNS-1035 label": is_dns1035_label,
            "DNS-1123 subdomain": is_dns1123_subdomain}[kind]
    if test(value, max_len):
        return True
    rule = ("lower-case letters, digits, '-' and '.'" if kind == "DNS-1123 subdomain"
            else "lower-case letters, digits and '-', starting with a letter" if kind == "DNS-1035 label"
            else "lower-case letters, digits and '-', starting and ending with a letter or digit")
    problems.add(field, "%r is not a %s of at most %d characters (%s)" % (value, kind, max_len, rule))
    return False


def check_label_value(problems, field, value):
    if is_label_value(value):
        return True
    problems.add(field, "%r is not a label value (at most 63 letters, digits, '-', '_' and '.', starting and "
                 "ending with a letter or digit)" % (value,))
    return False


def check_length(problems, field, value, max_len, min_len=0):
    """Strings, lists and dicts: at least ``min_len`` and at most ``max_len`` long."""
    try:
        size = len(value)
    except TypeError:
        return True
    if size > max_len:
        problems.add(field, "is %d long; at most %d is allowed" % (size, max_len))
        return False
    if size < min_len:
        problems.add(field, "is %d long; at least %d is needed" % (size, min_len))
        return False
    return True


# ---------------------------------------------------------------- numbers
def is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def check_int(problems, field, value, minimum=None, maximum=None):
    """A whole number (not a bool) within [minimum, maximum]; True when it is."""
    if not is_int(value):
        problems.add(field, "%r is not a whole number" % (value,))
        return False
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        if maximum is None:
            bounds = ">= %d" % minimum
        elif minimum is None:
            bounds = "<= %d" % maximum
        else:
            bounds = "from %d to %d" % (minimum, maximum)
        problems.add(field, "%r is out of range; use a whole number %s" % (value, bounds))
        return False
    return True


# ---------------------------------------------------------------- quantities
# Kubernetes' resource.Quantity: <sign><number><suffix>, where the suffix is a binary SI
# suffix (Ki..Ei), a decimal SI suffix (n, u, m, "", k, M, G, T, P, E) or a decimal
# exponent (e3, E-2). The API server clamps larger values to 2^63-1 silently, so a
# quantity above that is refused here.
_QUANTITY = re.compile(r"^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(.*)$")
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")
_BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
_DECIMAL = {"n": Fraction(1, 10 ** 9), "u": Fraction(1, 10 ** 6), "m": Fraction(1, 1000), "": 1, "k": 10 ** 3,
            "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12, "P": 10 ** 15, "E": 10 ** 18}
QUANTITY_MAX = 2 ** 63 - 1
QUANTITY_HINT = "use for example '2', '500m', '1.5', '4Gi' or '1e3'"


def parse_quantity(text):
    """The exact value of a Kubernetes quantity, as a Fraction; ValueError with the reason
    when it is not one.

    >>> parse_quantity("500m"), parse_quantity("1Ki"), parse_quantity("1e3")
    (Fraction(1, 2), Fraction(1024, 1), Fraction(1000, 1))
    """
    if is_int(text):
        text = str(text)
    if not isinstance(text, str):
        raise ValueError("%r is not a Kubernetes quantity (a string or a whole number); %s" % (text, QUANTITY_HINT))
    return _parse_quantity(text)


@functools.lru_cache(maxsize=1024)
def _parse_quantity(text):
    """parse_quantity() of a string; remembered, since a batch of tenants repeats a few
    quantities thousands of times (a Fraction is immutable, a ValueError is raised anew)."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError("%r is not a Kubernetes quantity; %s" % (text, QUANTITY_HINT))
    sign, number, suffix = match.groups()
    value = Fraction(number if not number.endswith(".") else number[:-1])
    if suffix in _BINARY:
        value *= _BINARY[suffix]
    elif suffix in _DECIMAL:
        value *= _DECIMAL[suffix]
    elif _EXPONENT.match(suffix):
        exponent = int(_EXPONENT.match(suffix).group(1))
        if abs(exponent) > 100:
            raise ValueError("%r has an exponent beyond what Kubernetes stores; %s" % (text, QUANTITY_HINT))
        value *= Fraction(10) ** exponent
    else:
        raise ValueError("%r is not a Kubernetes quantity: unknown suffix %r; use one of Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E "
                         "or an exponent such as e3" % (text, suffix))
    return -value if sign == "-" else value


def quantity_problem(value, minimum=0, maximum=QUANTITY_MAX):
    """None when ``value`` is a quantity within [minimum, maximum] (None bounds are open),
    else the reason.

    >>> quantity_problem("2 cores")
    "'2 cores' is not a Kubernetes quantity; use for example '2', '500m', '1.5', '4Gi' or '1e3'"
    """
    try:
        amount = parse_quantity(value)
    except ValueError as exc:
        return str(exc)
    if minimum is not None and amount < minimum:
        if amount < 0 and minimum >= 0:
            return "%r is negative; quotas and limits must be zero or more" % (value,)
        return "%r is below the minimum %s" % (value, minimum)
    if maximum is not None and amount > maximum:
        return "%r is larger than Kubernetes can store (%d)" % (value, maximum)
    return None


def check_quantity(problems, field, value, minimum=0, maximum=QUANTITY_MAX):
    reason = quantity_problem(value, minimum, maximum)
    if reason:
        problems.add(field, reason)
        return False
    return True


def quantity_le(smaller, larger):
    """True when quantity ``smaller`` <= ``larger``; None when either does not parse."""
    try:
        return parse_quantity(smaller) <= parse_quantity(larger)
    except ValueError:
        return None


def check_not_above(problems, field, value, limit_field, limit):
    """Add a problem when quantity ``value`` is above quantity ``limit`` (for example a
    default above the maximum); both are assumed checked already."""
    if quantity_le(value, limit) is False:
        problems.add(field, "%r is above %s %r" % (value, limit_field, limit))
        return False
    return True


# ---------------------------------------------------------------- durations
# Go durations, as the Istio CRDs check them: one or more number+unit pairs.
DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(text):
    """``"2s"`` -> 2.0, ``"1m30s"`` -> 90.0, ``"250ms"`` -> 0.25; None when it does not parse."""
    if not isinstance(text, str) or not DURATION.match(text):
        return None
    return sum(float(num) * _UNIT_SECONDS[unit] for num, unit in _DURATION_PART.findall(text))


def check_duration(problems, field, value, minimum=0.001):
    """A Go duration of at least ``minimum`` seconds; None passes (the option is unset)."""
    if value is None:
        return True
    seconds = duration_seconds(value)
    if seconds is None:
        problems.add(field, "%r is not a duration; use a number with a unit, for example '2s' or '250ms'" % (value,))
        return False
    if seconds < minimum:
        problems.add(field, "%r is shorter than the minimum %gms" % (value, minimum * 1000))
        return False
    return True


# ---------------------------------------------------------------- networks
def parse_cidr(value):
    """An ``ipaddress`` network from a CIDR block with no host bits set; ValueError otherwise."""
    if not isinstance(value, str) or "/" not in value:
        raise ValueError("%r is not a CIDR block, for example '10.20.0.0/16'" % (value,))
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        raise ValueError("%r is not a CIDR block, for example '10.20.0.0/16' (%s)" % (value, exc)) from exc


def check_cidr(problems, field, value):
    try:
        parse_cidr(value)
    except ValueError as exc:
        problems.add(field, str(exc))
        return False
    return True


# ---------------------------------------------------------------- option tables
_TYPES = {"str": str, "int": int, "float": (int, float), "bool": bool, "list": list, "dict": dict, "raw": object}
_INT_TEXT = re.compile(r"^-?[0-9]+$")
_NUMBER_TEXT = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _fallback(opt):
    """The default of a rejected value, so that later rules still have data to check."""
    if opt["type"] == "dict" and "options" in opt:
        return normalize({}, opt["options"], "", Problems())
    return copy.deepcopy(opt.get("default"))


def normalize(value, options, path, problems):
    """A copy of ``value`` (a dict) with defaults filled and every key checked against
    ``options`` (an option table in Ansible argument-spec form, with descriptions).
    Unknown keys, wrong types, missing required keys and bad choices go to ``problems``."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.add(path or "options", "must be a mapping, got %s" % type(value).__name__)
        return {}
    out = {}

    def at(key):
        return "%s.%s" % (path, key) if path else str(key)

    for key in sorted(set(value) - set(options), key=str):
        problems.add(at(key), "unknown key; supported keys are %s" % ", ".join(sorted(options)))
    for key, opt in options.items():
        field = at(key)
        given = value.get(key)
        if given is None:
            if opt.get("required"):
                problems.add(field, "is required")
                continue
            given = copy.deepcopy(opt.get("default"))
            if given is None and "options" in opt and opt["type"] == "dict":
                given = {}
            if given is None:
                out[key] = None
                continue
        expected = _TYPES[opt["type"]]
        if opt["type"] == "int" and isinstance(given, str) and _INT_TEXT.match(given):
            given = int(given)
        if opt["type"] == "float" and isinstance(given, str) and _NUMBER_TEXT.match(given.strip()):
            given = float(given)
        if not isinstance(given, expected) or (opt["type"] in ("int", "float") and isinstance(given, bool)):
            problems.add(field, "must be of type %s, got %r" % (opt["type"], given))
            out[key] = _fallback(opt)
            continue
        if "choices" in opt and opt["type"] == "list":
            bad = [i for i, item in enumerate(given) if item not in opt["choices"]]
            for i in bad:
                problems.add("%s[%d]" % (field, i), "%r is not one of %s" % (given[i], ", ".join(opt["choices"])))
            if bad:
                out[key] = _fallback(opt)
                continue
        elif "choices" in opt and given not in opt["choices"]:
            problems.add(field, "%r is not one of %s" % (given, ", ".join(opt["choices"])))
            out[key] = _fallback(opt)
            continue
        if opt["type"] == "dict" and "options" in opt:
            given = normalize(given, opt["options"], field, problems)
        elif opt["type"] == "list" and opt.get("elements") == "dict" and "options" in opt:
            given = [normalize(item, opt["options"], "%s[%d]" % (field, i), problems)
                     for i, item in enumerate(given)]
        elif opt["type"] == "list" and opt.get("elements") == "str":
            for i, item in enumerate(given):
                if not isinstance(item, str):
                    problems.add("%s[%d]" % (field, i), "must be a string, got %r" % (item,))
        out[key] = given
    return out
