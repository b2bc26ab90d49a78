"""ask-sdk's DefaultSerializer with its per-request bookkeeping done once (docs/performance.md).

Turning a request's JSON into ask_sdk_model objects was a third of the endpoint's time. For
every nested object the SDK re-parses the type string ("list[...]", "dict(str, ...)"),
imports and looks up the class by name, rebuilds the class's attribute map and scans it
linearly for unknown keys. `EnvelopeSerializer` keeps the SDK's algorithm and its results --
the same classes, the same attributes (unknown keys included), the same discriminators, the
same primitives and dates (still parsed by the SDK's own method, i.e. dateutil), the same
SerializationException on bad input -- but resolves each type string and class plan once per
process. Anything that is not a JSON object where a model is expected goes to the SDK's own
code unchanged. If a future ask-sdk-core lacks the private methods this relies on, the
plain DefaultSerializer is used instead.
"""
from __future__ import annotations

import re
import threading
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

_LIST = re.compile(r"list\[(.*)\]")          # the SDK's own patterns
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")
_SDK = "_DefaultSerializer__"
_NEEDED = ("deserialize", "deserialize_model", "deserialize_primitive", "deserialize_datetime",
           "load_class_from_name", "get_obj_by_discriminator")


class EnvelopeSerializer(DefaultSerializer):
    """Same results as DefaultSerializer; type strings and class plans cached."""

    def __init__(self) -> None:
        self._kinds: dict[str, tuple[str, Any]] = {}
        self._classes: dict[str, Any] = {}
        self._plans: dict[type, tuple[tuple[tuple[str, str, Any], ...], frozenset]] = {}
        self._lock = threading.Lock()

    # The SDK calls these through name-mangled attributes; overriding them here is what
    # makes its own deserialize() use the cached versions.
    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:
        cls = self._classes.get(class_name)
        if cls is None:
            cls = DefaultSerializer._DefaultSerializer__load_class_from_name(self, class_name)
            with self._lock:
                self._classes[class_name] = cls
        return cls

    def _kind(self, obj_type: str) -> tuple[str, Any]:
        kind = self._kinds.get(obj_type)
        if kind is not None:
            return kind
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
        with self._lock:
            self._kinds[obj_type] = kind
        return kind

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
            plan = self._plans.get(obj_type)
            if plan is None:
                types = obj_type.deserialized_types
                attribute_map = getattr(obj_type, "attribute_map", {})
                attribute_map.update({k: k for k in types.keys() if k not in attribute_map})
                plan = (tuple((name, key, types[name]) for name, key in attribute_map.items()),
                        frozenset(attribute_map.values()))
                with self._lock:
                    self._plans[obj_type] = plan
            fields, known = plan
            model = obj_type()
            for name, key, field_type in fields:
                if key in payload:
                    setattr(model, name, self._DefaultSerializer__deserialize(payload[key], field_type))
            for extra in [key for key in payload if key not in known]:
                setattr(model, extra, payload[extra])
            return model
        except Exception as e:
            raise SerializationException(str(e))


def deserialize_parsed(serializer: DefaultSerializer, obj: Any, obj_type: Any) -> Any:
    """`serializer.deserialize` for JSON the caller has already parsed: the SDK's public method
    takes a string and would parse the same body a second time."""
    inner = getattr(serializer, _SDK + "deserialize", None)
    if callable(inner):
        return inner(obj, obj_type)
    import json
    return serializer.deserialize(json.dumps(obj), obj_type)


def envelope_serializer() -> DefaultSerializer:
    """EnvelopeSerializer, or the SDK's own if its internals are not what this relies on."""
    if all(callable(getattr(DefaultSerializer, _SDK + name, None)) for name in _NEEDED):
        return EnvelopeSerializer()
    return DefaultSerializer()
