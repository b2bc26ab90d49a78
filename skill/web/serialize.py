"""ask-sdk's DefaultSerializer with its per-request bookkeeping done once (docs/performance.md).

Turning a request's JSON into ask_sdk_model objects, and the response back into JSON, was the
largest part of the endpoint's own time. For every nested object the SDK re-parses the type
string ("list[...]", "dict(str, ...)"), imports and looks up the class by name, rebuilds the
class's attribute map, scans it linearly for unknown keys, calls the model's ``__init__`` with
every argument defaulted, and parses the request timestamp with dateutil's general parser.

`EnvelopeSerializer` gives the same results -- the same classes, the same attributes (unknown
keys included, set last as the SDK does), the same discriminators, primitives and dates, the
same SerializationException on bad input, the same JSON out -- but works out each type
string and class once per process:

- each type string gets one converter function, and each model class a small generated
  builder that sets the fields the SDK's loop would set;
- a model is built from a copy of what its ``__init__`` leaves in a fresh instance (checked
  to be plain immutable values when the plan is made; otherwise the SDK's own code builds it);
- a value that already has the field's primitive type is used as it is (the SDK's
  ``str(value)`` returns the same object); anything else goes through the SDK's own method;
- Alexa's timestamps (``2019-03-21T17:38:56Z``, optionally with up to six fractional digits)
  become the datetime dateutil would give (its zone for "Z", asked of dateutil once: tzutc,
  or tzlocal on a machine whose local zone is named UTC); any other form goes to dateutil;
- serializing a model reads its fields from a cached (attribute, JSON key) list.

Anything that is not a JSON object where a model is expected goes to the SDK's own code
unchanged. If a future ask-sdk-core lacks the private methods this relies on, the plain
DefaultSerializer is used instead.
"""
from __future__ import annotations

import json
import os
import re
import threading
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, Callable

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from dateutil.tz import UTC, tzlocal

_LIST = re.compile(r"list\[(.*)\]")          # the SDK's own patterns
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
_ALEXA_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z\Z")
_SDK = "_DefaultSerializer__"
_NEEDED = ("deserialize", "deserialize_model", "deserialize_primitive", "deserialize_datetime",
           "load_class_from_name", "get_obj_by_discriminator")
_IMMUTABLE = (type(None), str, int, float, bool, bytes, Enum, datetime, date)

_MISSING = object()
# Field kinds in a model plan.
_PRIMITIVE, _OTHER = 0, 1


_zulu: list = []


def _zulu_tz() -> Any:
    """The tzinfo dateutil gives a "...Z" time on this machine: tzutc(), or tzlocal() where the
    local zone is called UTC (dateutil's rule). None if it is anything else (then dateutil
    parses every timestamp). Asked once per process."""
    if not _zulu:
        from dateutil.parser import parse
        winter, summer = (parse(f"2000-{m}-01T00:00:00Z").tzinfo for m in ("01", "07"))
        same = (type(winter) is type(summer) and type(winter) in (type(UTC), tzlocal)
                and all(parse(f"2000-{m}-01T00:00:00Z").utcoffset() == timedelta(0)
                        for m in ("01", "07")))
        _zulu.append((UTC if type(winter) is type(UTC) else winter) if same else None)
    return _zulu[0]


def parse_alexa_time(text: str) -> datetime | None:
    """The datetime dateutil gives for Alexa's timestamp form, or None for any other form."""
    m = _ALEXA_TIME.match(text)
    tz = _zulu_tz() if m is not None else None
    if tz is None:
        return None
    year, month, day, hour, minute, second, fraction = m.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second),
                        int(fraction.ljust(6, "0")) if fraction else 0, tzinfo=tz)
    except ValueError:          # 2019-02-30, 25:00...: dateutil decides (and raises)
        return None


class _Plan:
    """What deserializing and serializing one model class needs, worked out once."""

    __slots__ = ("cls", "template", "fields", "out", "usable")

    def __init__(self, cls: type, primitives: tuple):
        types = cls.deserialized_types
        attribute_map = getattr(cls, "attribute_map", {})
        attribute_map.update({k: k for k in types.keys() if k not in attribute_map})  # as the SDK
        self.cls = cls
        self.fields = {}
        for name, key in attribute_map.items():
            ftype = types[name]
            native = DefaultSerializer.NATIVE_TYPES_MAPPING.get(ftype) if isinstance(ftype, str) else None
            if native in primitives:
                self.fields[key] = (name, _PRIMITIVE, native, ftype)
            else:
                self.fields[key] = (name, _OTHER, None, ftype)
        self.out = tuple((name, attribute_map[name]) for name in types)
        # One JSON key per attribute (always so in ask_sdk_model); otherwise the SDK's code.
        self.usable = len(set(attribute_map.values())) == len(attribute_map)
        self.template = None
        if (cls.__new__ is object.__new__ and cls.__setattr__ is object.__setattr__
                and not hasattr(cls, "__slots__")):
            try:
                fresh = vars(cls())
            except Exception:     # the SDK would fail the same way, when it gets there
                fresh = None
            if fresh is not None and all(isinstance(v, _IMMUTABLE) for v in fresh.values()):
                self.template = dict(fresh)



class EnvelopeSerializer(DefaultSerializer):
    """Same results as DefaultSerializer; type strings and class plans cached."""

    def __init__(self) -> None:
        self._kinds: dict[str, tuple[str, Any]] = {}
        self._classes: dict[str, Any] = {}
        self._plans: dict[type, _Plan] = {}
        self._convs: dict[str, Callable[[Any], Any]] = {}
        self._builders: dict[type, Callable[[dict], Any]] = {}
        self._lock = threading.Lock()

    def _memo(self, table: dict, key: Any, make: Callable[[Any], Any]) -> Any:
        """table[key], made by make(key) the first time (a failure is not remembered)."""
        value = table.get(key)
        if value is None:
            value = make(key)
            with self._lock:
                table[key] = value
        return value

    # The SDK calls these through name-mangled attributes; overriding them here is what
    # makes its own deserialize() use the cached versions.
    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        return self._memo(self._classes, class_name, lambda name: (
            DefaultSerializer._DefaultSerializer__load_class_from_name(self, name)))

    def _kind(self, obj_type: str) -> tuple[str, Any]:
        return self._kinds.get(obj_type) or self._memo(self._kinds, obj_type, self._parse_kind)

    def _parse_kind(self, obj_type: str) -> tuple[str, Any]:
        if obj_type.startswith("list["):
            m = _LIST.match(obj_type)
            if m is None:
                kind = ("empty_list", None)
            elif "," in m.group(1):
                kind = ("list_of", tuple(t.strip() for t in m.group(1).split(",")))
            else:
                kind = ("list", m.group(1).strip())
        elif obj_type.startswith("dict("):
            m = _DICT.match(obj_type)
            kind = ("empty_dict", None) if m is None else ("dict", m.group(2))
        elif obj_type in self.NATIVE_TYPES_MAPPING:
            kind = ("type", self.NATIVE_TYPES_MAPPING[obj_type])
        else:   # raises SerializationException for an unknown class, as the SDK does
            kind = ("type", self._DefaultSerializer__load_class_from_name(obj_type))
        return kind

    def _plan(self, cls: type) -> _Plan:
        return self._memo(self._plans, cls, lambda c: _Plan(c, self.PRIMITIVE_TYPES))

    # ----- converters: one function per type string, made once
    def _converter(self, obj_type: str) -> Callable[[Any], Any]:
        """payload (not None) -> value, for a type string, exactly as the SDK converts it."""
        return self._memo(self._convs, obj_type, self._make_converter)

    def _make_converter(self, obj_type: str) -> Callable[[Any], Any]:
        generic = self._DefaultSerializer__deserialize
        tag, arg = self._kind(obj_type)
        if tag != "type":                         # containers: the SDK's own rules, cached
            return lambda payload: generic(payload, obj_type)
        cls = arg
        if cls in self.PRIMITIVE_TYPES:
            primitive = self._DefaultSerializer__deserialize_primitive
            return lambda payload: payload if type(payload) is cls else primitive(payload, cls)
        if cls == object:
            return lambda payload: payload
        if cls == date or cls == datetime:
            moment = self._DefaultSerializer__deserialize_datetime
            return lambda payload: moment(payload, cls)
        model = self._DefaultSerializer__deserialize_model
        if (isinstance(cls, type) and not issubclass(cls, Enum) and hasattr(cls, "deserialized_types")
                and not hasattr(cls, "get_real_child_model")):
            builders = self._builders
            build = self._builder
            return lambda payload: ((builders.get(cls) or build(cls))(payload)
                                    if type(payload) is dict else model(payload, cls))
        return lambda payload: model(payload, cls)

    def _builder(self, cls: type) -> Callable[[dict], Any]:
        """dict -> model for one class: generated code that does what the SDK's loop does."""
        return self._memo(self._builders, cls, self._compile)

    def _compile(self, cls: type) -> Callable[[dict], Any]:
        plan = self._plan(cls)
        if plan.template is None or not plan.usable:
            sdk = DefaultSerializer._DefaultSerializer__deserialize_model
            return lambda payload: sdk(self, payload, cls)
        generic = self._DefaultSerializer__deserialize
        ns: dict[str, Any] = {
            "_new": object.__new__, "_cls": cls, "_template": plan.template, "_M": _MISSING,
            "_known": frozenset(plan.fields), "_setattr": setattr, "_Error": SerializationException,
            "_primitive": self._DefaultSerializer__deserialize_primitive}
        lines = ["def build(payload):",
                 "    try:",
                 "        model = _new(_cls)",
                 "        d = model.__dict__",
                 "        d.update(_template)",
                 "        n = 0"]
        for i, (key, (name, kind, native, ftype)) in enumerate(plan.fields.items()):
            ns[f"k{i}"] = key
            lines += [f"        v = payload.get(k{i}, _M)",
                      "        if v is not _M:",
                      "            n += 1"]
            if kind == _PRIMITIVE:
                ns[f"p{i}"] = native
                lines.append(f"            if v is not None and type(v) is not p{i}: v = _primitive(v, p{i})")
            else:
                try:
                    ns[f"c{i}"] = self._converter(ftype)
                except Exception:      # a type this SDK cannot load: fail when it is used
                    ns[f"c{i}"] = (lambda t: lambda payload: generic(payload, t))(ftype)
                lines.append(f"            if v is not None: v = c{i}(v)")
            lines.append(f"            d[{name!r}] = v")
        lines += ["        if n != len(payload):       # unknown keys, set last as the SDK does",
                  "            for key in [k for k in payload if k not in _known]:",
                  "                _setattr(model, key, payload[key])",
                  "        return model",
                  "    except _Error:",
                  "        raise",
                  "    except Exception as e:",
                  "        raise _Error(str(e))"]
        exec(compile("\n".join(lines), f"<deserialize {cls.__name__}>", "exec"), ns)
        return ns["build"]

    # ----- the SDK's entry points, now using the converters
    def _DefaultSerializer__deserialize(self, payload: Any, obj_type: Any) -> Any:
        if payload is None:
            return None
        if isinstance(obj_type, str):
            tag, arg = self._kind(obj_type)
            if tag == "type":
                obj_type = arg
            elif tag == "list":
                return [self._DefaultSerializer__deserialize(p, arg) for p in payload]
            elif tag == "dict":
                return {k: self._DefaultSerializer__deserialize(v, arg) for k, v in payload.items()}
            elif tag == "list_of":
                return [self._DefaultSerializer__deserialize(p, t) for p, t in zip(payload, arg)]
            elif tag == "empty_list":
                return []
            else:
                return {}
        if obj_type in self.PRIMITIVE_TYPES:
            return self._DefaultSerializer__deserialize_primitive(payload, obj_type)
        if obj_type == object:
            return payload
        if obj_type == date or obj_type == datetime:
            return self._DefaultSerializer__deserialize_datetime(payload, obj_type)
        return self._DefaultSerializer__deserialize_model(payload, obj_type)

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        parsed = parse_alexa_time(payload) if type(payload) is str else None
        if parsed is None:
            return DefaultSerializer._DefaultSerializer__deserialize_datetime(self, payload, obj_type)
        return parsed.date() if obj_type is date else parsed

    def _DefaultSerializer__deserialize_model(self, payload: Any, obj_type: Any) -> Any:
        if not isinstance(payload, dict):
            return DefaultSerializer._DefaultSerializer__deserialize_model(self, payload, obj_type)
        try:
            if issubclass(obj_type, Enum):
                return obj_type(payload)
            if not hasattr(obj_type, "deserialized_types"):
                return payload
            if hasattr(obj_type, "get_real_child_model"):
                obj_type = self._DefaultSerializer__get_obj_by_discriminator(payload, obj_type)
            build = self._builders.get(obj_type) or self._builder(obj_type)
        except Exception as e:
            raise SerializationException(str(e))
        return build(payload)

    def serialize(self, obj: Any) -> Any:
        kind = type(obj)
        if obj is None or kind is str or kind is int or kind is bool or kind is float:
            return obj
        if kind is dict:
            return {key: self.serialize(val) for key, val in obj.items()}
        if kind is list:
            return [self.serialize(sub) for sub in obj]
        if (hasattr(kind, "deserialized_types") and not isinstance(obj, self.PRIMITIVE_TYPES)
                and not isinstance(obj, (tuple, datetime, date, Enum, dict, list))):
            plan = self._plans.get(kind) or self._plan(kind)
            out = {}
            for name, key in plan.out:
                value = getattr(obj, name)
                if value is not None:
                    out[key] = self.serialize(value)
            return out
        if getattr(kind, "json_ready", False):    # JSON made once and shared (an APL document:
            return obj                             # skill/voice/screens.JsonReady), as it is
        return DefaultSerializer.serialize(self, obj)


def deserialize_parsed(serializer: DefaultSerializer, obj: Any, obj_type: Any) -> Any:
    """`serializer.deserialize` for JSON the caller has already parsed: the SDK's public method
    takes a string and would parse the same body a second time."""
    inner = getattr(serializer, _SDK + "deserialize", None)
    if callable(inner):
        return inner(obj, obj_type)
    return serializer.deserialize(json.dumps(obj), obj_type)


def envelope_serializer() -> DefaultSerializer:
    """EnvelopeSerializer, or the SDK's own if its internals are not what this relies on."""
    if all(callable(getattr(DefaultSerializer, _SDK + name, None)) for name in _NEEDED):
        return EnvelopeSerializer()
    return DefaultSerializer()


# --------------------------------------------------------------------------- JSON text out

#: Marks where a shared document goes in the text (process-random, so no text of a response
#: can contain it; written as a JSON string, then replaced by the document's own text).
_MARK = "\x00json-ready-" + os.urandom(16).hex()


def _text_of(obj: Any) -> str:
    """A JSON-ready object's text, written once: it is shared and never changed."""
    text = obj.__dict__.get("_json_text")
    if text is None:
        text = obj._json_text = json.dumps(obj, ensure_ascii=False)
    return text


def _marked(node: Any, shared: list) -> Any:
    """`node` with each JSON-ready object in it replaced by a mark (containers on the way to
    one are copied; nothing is changed in place)."""
    kind = type(node)
    if kind is dict or kind is list:
        items = node.items() if kind is dict else enumerate(node)
        out = None
        for key, value in items:
            if type(value) in (str, int, bool, float) or value is None:
                continue
            new = _marked(value, shared)
            if new is not value:
                if out is None:
                    out = dict(node) if kind is dict else list(node)
                out[key] = new
        return node if out is None else out
    if getattr(kind, "json_ready", False):
        shared.append(node)
        return f"{_MARK}:{len(shared) - 1}"
    return node


def dumps(payload: Any) -> str:
    """`json.dumps(payload, ensure_ascii=False)`, the same text, but each JSON-ready object in
    it (an APL document or datasource, skill/voice/screens.JsonReady: about 9 KB on a screen
    device's response) written from the text it was given the first time it was sent."""
    response = payload.get("response") if type(payload) is dict else None
    if type(response) is not dict or not response.get("directives"):
        # Screens travel as directives: a response without any has no shared document
        # (and if one had, json.dumps would still write it right, only not from its text).
        return json.dumps(payload, ensure_ascii=False)
    shared: list = []
    marked = _marked(payload, shared)
    text = json.dumps(marked, ensure_ascii=False)
    for n, obj in enumerate(shared):
        text = text.replace(json.dumps(f"{_MARK}:{n}", ensure_ascii=False), _text_of(obj), 1)
    return text
