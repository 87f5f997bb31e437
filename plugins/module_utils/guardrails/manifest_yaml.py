# -*- coding: utf-8 -*-
# Copyright: OpenOva platform team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Manifests read the way kubectl reads them, with bounds.

kubectl turns YAML into JSON with sigs.k8s.io/yaml over go-yaml v2, and the
offline check must see the object the cluster will get, or a manifest could
pass here and be admitted differently there. So, as go-yaml v2 does:

- plain scalars resolve by go-yaml's table (``y``/``n``/``on``/``off`` are
  booleans, ``0o17``, ``0x1F``, ``1e3`` and ``1_000`` are numbers, ``1:30`` is a
  string, timestamps stay strings) and then as JSON would (a whole float is an
  integer; ``.inf`` and ``.nan`` cannot be JSON and fail);
- local and unknown tags (``!vendor-note hello``) are ignored: the node is
  read as its plain scalar, mapping or sequence, as kubectl does;
- merge keys ``<<`` apply in document order, so a merge after a key overrides
  it (``{a: 1, <<: {a: 2}}`` is ``a: 2``), unlike PyYAML;
- map keys become strings as in sigs.k8s.io/yaml; keys that differ in YAML
  but become the same string are refused, since the result is undefined there.

Bounds, each a clear error naming the file and line: the file size (checked
before reading), the nesting depth, the number of nodes, and alias expansion
(go-yaml's own rule, ``document contains excessive aliasing``, plus a cap on
the expanded node count), so a few hundred bytes of nested aliases fail in
milliseconds instead of expanding into gigabytes.

Pure: text in, Python objects out. No I/O."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import math
import re
import struct

try:
    import yaml
    _LOADER = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

MAX_DEPTH = 100           # nesting levels (Kubernetes objects use about 15, CRD schemas about 40)
MAX_NODES = 1000000       # nodes per document after alias expansion

TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, BINARY, MERGE = (
    TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "merge"))
RESOLVABLE = ("", STR, BOOL, INT, FLOAT, NULL, TIMESTAMP)

# go-yaml v2 resolve.go: the first character hints at what a plain scalar may be.
_HINT = {}
for _c in "+-":
    _HINT[_c] = "S"
for _c in "0123456789":
    _HINT[_c] = "D"
for _c in "yYnNtTfFoO~":
    _HINT[_c] = "M"
_HINT["."] = "."

_MAP = {}
for _value, _tag, _words in (
        (True, BOOL, ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")),
        (False, BOOL, ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")),
        (None, NULL, ("", "~", "null", "Null", "NULL")),
        (float("nan"), FLOAT, (".nan", ".NaN", ".NAN")),
        (float("inf"), FLOAT, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
        (float("-inf"), FLOAT, ("-.inf", "-.Inf", "-.INF")),
        ("<<", MERGE, ("<<",))):
    for _w in _words:
        _MAP[_w] = (_tag, _value)

_GO_INT = re.compile(r"^[+-]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_YAML_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_FLOAT = re.compile(r"^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$",
                       re.IGNORECASE)
_TIMESTAMP = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
                        r"(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]{1,9})?(?:Z|[+-][0-9]{2}:[0-9]{2})?)?$")
INT64 = (-(1 << 63), (1 << 63) - 1)
UINT64 = (1 << 64) - 1


class ManifestError(Exception):
    """A document that cannot be read the way kubectl would read it, or that
    is over a bound. ``line`` is 1-based when known."""

    def __init__(self, reason, line=None):
        super(ManifestError, self).__init__(reason)
        self.reason = reason
        self.line = line

    def __str__(self):
        return "%s (line %d)" % (self.reason, self.line) if self.line else self.reason


def _go_int(text):
    """strconv.ParseInt(text, 0, 64) then ParseUint: an int, or None."""
    if not _GO_INT.match(text):
        return None
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    lower = body.lower()
    if lower.startswith("0x"):
        value = int(body[2:], 16)
    elif lower.startswith("0o"):
        value = int(body[2:], 8)
    elif lower.startswith("0b"):
        value = int(body[2:], 2)
    elif len(body) > 1 and body.startswith("0"):
        value = int(body[1:], 8)
    else:
        value = int(body)
    value *= sign
    if INT64[0] <= value <= INT64[1] or 0 <= value <= UINT64:
        return value
    return None


def _go_float(text):
    if not _GO_FLOAT.match(text):
        return None
    try:
        return float(text)
    except ValueError:
        return None


def go_resolve(tag, value):
    """(resolved tag, Python value) of a scalar, as go-yaml v2's resolve()."""
    if tag not in RESOLVABLE:
        return tag, value
    resolved = None
    hint = _HINT.get(value[0]) if value else "N"
    if hint is not None and tag not in (STR, BINARY):
        if value in _MAP:
            resolved = _MAP[value]
        elif hint == ".":
            number = _go_float(value)
            if number is not None:
                resolved = (FLOAT, number)
        elif hint in "DS":
            if tag in ("", TIMESTAMP) and _TIMESTAMP.match(value):
                resolved = (TIMESTAMP, value)
            else:
                plain = value.replace("_", "")
                number = _go_int(plain)
                if number is not None:
                    resolved = (INT, number)
                elif _YAML_FLOAT.match(plain):
                    number = _go_float(plain)
                    if number is not None:
                        resolved = (FLOAT, number)
                elif plain.startswith("0b") or plain.startswith("-0b"):
                    digits = plain.split("0b", 1)[1]
                    if digits and set(digits) <= set("01"):
                        number = int(digits, 2) * (-1 if plain.startswith("-") else 1)
                        if INT64[0] <= number <= UINT64:
                            resolved = (INT, number)
    if resolved is None:
        resolved = (STR, value)
    rtag, out = resolved
    if tag in ("", rtag, STR, BINARY):
        return rtag, out
    if tag == FLOAT and rtag == INT:
        return FLOAT, float(out)
    raise ManifestError("cannot decode %s `%s` as a %s" % (_short(rtag), value, _short(tag)))


def _short(tag):
    return "!!" + tag[len(TAG):] if tag.startswith(TAG) else tag


def _json_number(value, line):
    """What a number becomes once kubectl has turned the document into JSON
    and the API machinery has read it back: whole numbers are integers."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ManifestError("%r cannot be represented in JSON; kubectl refuses the document" % value, line)
        if value == int(value) and INT64[0] <= int(value) <= INT64[1]:
            return int(value)
    return value


def _float32_text(value):
    """strconv.FormatFloat(v, 'g', -1, 32), which sigs.k8s.io/yaml uses for float keys."""
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    if math.isnan(value):
        return ".nan"
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = "%.*g" % (digits, single)
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            return text.replace("e+0", "e+").replace("e-0", "e-")
    return repr(single)


def _key_text(key, line):
    """A decoded map key as the string JSON needs (sigs.k8s.io/yaml)."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, str):
        return key
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _float32_text(key)
    raise ManifestError("unsupported map key %r: keys must be strings, numbers or booleans" % (key,), line)


# ---------------------------------------------------------------- composing
class _Node:
    __slots__ = ("kind", "tag", "value", "implicit", "line", "anchor")

    def __init__(self, kind, tag, value, implicit, line, anchor=None):
        self.kind = kind          # scalar | mapping | sequence | alias
        self.tag = tag or ""
        self.value = value        # str, list of nodes, or the aliased node
        self.implicit = implicit
        self.line = line
        self.anchor = anchor


def _event_codes():
    events = yaml.events
    return {events.ScalarEvent: 0, events.MappingStartEvent: 1, events.SequenceStartEvent: 2,
            events.MappingEndEvent: 3, events.SequenceEndEvent: 3, events.AliasEvent: 4,
            events.DocumentStartEvent: 5, events.DocumentEndEvent: 6,
            events.StreamStartEvent: 7, events.StreamEndEvent: 8}


_EVENTS = _event_codes() if HAS_YAML else {}


def _compose(text, max_depth, max_nodes):
    """Yield each document as a node tree (None for an empty one), from
    libyaml's event stream: no recursion, so no nesting can overflow a stack;
    depth and node count are bounded."""
    stack = []       # open collection nodes
    anchors = {}
    root = None
    count = 0
    parser = _LOADER(text)
    try:
        while True:
            event = parser.get_event()
            code = _EVENTS[type(event)]
            if code == 3:
                stack.pop()
                continue
            if code >= 5:
                if code == 5:
                    anchors, root, count = {}, None, 0
                elif code == 6:
                    yield root
                elif code == 8:
                    return
                continue
            line = event.start_mark.line + 1
            if code == 0:
                node = _Node("scalar", event.tag, event.value, event.implicit[0], line)
            elif code == 4:
                if event.anchor not in anchors:
                    raise ManifestError("unknown anchor '%s' referenced" % event.anchor, line)
                node = _Node("alias", "", anchors[event.anchor], False, line, event.anchor)
            else:
                node = _Node("mapping" if code == 1 else "sequence", event.tag, [], event.implicit, line)
            count += 1
            if count > max_nodes:
                raise ManifestError("more than %d nodes in one document; split the file or raise max_nodes"
                                    % max_nodes, line)
            if code != 4 and event.anchor:
                anchors[event.anchor] = node
            if stack:
                stack[-1].value.append(node)
            else:
                root = node
            if code in (1, 2):
                stack.append(node)
                if len(stack) > max_depth:
                    raise ManifestError("nested more than %d levels deep; raise max_depth if this is intended"
                                        % max_depth, line)
    finally:
        parser.dispose()


# ---------------------------------------------------------------- decoding
class _Decoder:
    """go-yaml v2's decoder (decode.go) over the composed nodes, into plain
    Python values, with its alias accounting."""

    def __init__(self, max_nodes, max_depth):
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.decode_count = 0
        self.alias_count = 0
        self.alias_depth = 0
        self.active = set()   # aliases being expanded (a cycle is an error)
        self.depth = 0

    def _count(self, node):
        self.decode_count += 1
        if self.alias_depth > 0:
            self.alias_count += 1
        if (self.alias_count > 100 and self.decode_count > 1000
                and float(self.alias_count) / self.decode_count > _allowed_alias_ratio(self.decode_count)):
            raise ManifestError("document contains excessive aliasing (%d of %d nodes come from aliases)"
                                % (self.alias_count, self.decode_count), node.line)
        if self.decode_count > self.max_nodes:
            raise ManifestError("more than %d nodes once aliases are expanded; raise max_nodes if this is intended"
                                % self.max_nodes, node.line)

    def decode(self, node):
        self._count(node)
        if node.kind == "alias":
            if id(node) in self.active:
                raise ManifestError("anchor '%s' value contains itself" % node.anchor, node.line)
            self.active.add(id(node))
            self.alias_depth += 1
            try:
                return self.decode(node.value)
            finally:
                self.alias_depth -= 1
                self.active.discard(id(node))
        if node.kind == "scalar":
            return self.scalar(node)
        self.depth += 1
        if self.depth > self.max_depth:
            raise ManifestError("nested more than %d levels deep once aliases are expanded" % self.max_depth,
                                node.line)
        try:
            if node.kind == "sequence":
                return [self.decode(child) for child in node.value]
            out, typed = {}, {}
            self.mapping_into(node, out, typed)
            return out
        finally:
            self.depth -= 1

    def scalar(self, node):
        tag = node.tag
        value = node.value
        if tag == "!" or (tag == "" and (not node.implicit or (value and value[0] not in _HINT))):
            return value  # quoted, the non-specific tag, or plain text no rule could turn into another type
        rtag, value = go_resolve(tag, value)
        if rtag == BINARY:
            try:
                return base64.b64decode("".join(node.value.split()), validate=True).decode("utf-8", "replace")
            except (ValueError, TypeError):
                raise ManifestError("!!binary value is not valid base64", node.line)
        if rtag == MERGE:
            return "<<"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _json_number(value, node.line)
        return value

    def mapping_into(self, node, out, typed):
        """Decode a mapping node into ``out`` (which may hold merged keys),
        in document order, as go-yaml's mapping()."""
        if node.kind != "mapping":
            raise ManifestError("map merge requires map or sequence of maps as the value", node.line)
        pairs = node.value
        for i in range(0, len(pairs) - 1, 2):
            key_node, value_node = pairs[i], pairs[i + 1]
            if key_node.kind == "scalar" and key_node.value == "<<" and (
                    (key_node.implicit and key_node.tag == "") or key_node.tag == MERGE):
                self.merge(value_node, out, typed)
                continue
            key = self.decode(key_node)
            if isinstance(key, (dict, list)):
                raise ManifestError("invalid map key: a mapping or sequence cannot be a key", key_node.line)
            text = _key_text(key, key_node.line)
            kind = (type(key).__name__, key)
            if text in typed and typed[text] != kind:
                raise ManifestError("keys %r and %r both become %r in JSON; which one wins is undefined"
                                    % (typed[text][1], key, text), key_node.line)
            typed[text] = kind
            out[text] = self.decode(value_node)

    def merge(self, node, out, typed):
        target = node.value if node.kind == "alias" else node
        if node.kind in ("mapping", "alias"):
            if target.kind != "mapping":
                raise ManifestError("map merge requires map or sequence of maps as the value", node.line)
            self._merge_one(node, out, typed)
        elif node.kind == "sequence":
            for child in reversed(node.value):  # earlier maps take precedence
                inner = child.value if child.kind == "alias" else child
                if inner.kind != "mapping":
                    raise ManifestError("map merge requires map or sequence of maps as the value", child.line)
                self._merge_one(child, out, typed)
        else:
            raise ManifestError("map merge requires map or sequence of maps as the value", node.line)

    def _merge_one(self, node, out, typed):
        # Counted like go-yaml's unmarshal of the merged node (an alias too).
        self._count(node)
        if node.kind == "alias":
            if id(node) in self.active:
                raise ManifestError("anchor '%s' value contains itself" % node.anchor, node.line)
            self.active.add(id(node))
            self.alias_depth += 1
            try:
                self._count(node.value)
                self.mapping_into(node.value, out, typed)
            finally:
                self.alias_depth -= 1
                self.active.discard(id(node))
        else:
            self.mapping_into(node, out, typed)


def _allowed_alias_ratio(decode_count):
    """go-yaml v2's allowedAliasRatio: 99% of small documents may come from
    aliases, falling to 10% for documents of 4 million nodes."""
    low, high = 400000, 4000000
    if decode_count <= low:
        return 0.99
    if decode_count >= high:
        return 0.10
    return 0.99 - 0.89 * (float(decode_count - low) / (high - low))


def load_documents(text, max_depth=MAX_DEPTH, max_nodes=MAX_NODES):
    """Every document of a YAML (or JSON) stream as kubectl would build it.

    Returns ``(documents, error)``: the documents read before any error (empty
    documents are None), and a ManifestError or None. A syntax error is a
    ManifestError too, with its line."""
    documents = []
    try:
        for node in _compose(text, max_depth, max_nodes):
            documents.append(None if node is None else _Decoder(max_nodes, max_depth).decode(node))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return documents, ManifestError("malformed YAML: %s" % problem, mark.line + 1 if mark else None)
    except ManifestError as exc:
        return documents, exc
    return documents, None
