"""``Schema.dump`` for the public list's hot answers, without marshmallow's per-field
machinery.

A public search page of 20 entries is about 800 field serializations, and marshmallow's
way to each (attribute lookup, defaults, hooks) took a quarter of the page's time
(docs/performance.md, sixth session). The views behind these schemas
(``dishonesty.public``) build plain dicts, so ``compile_dump`` reads a plan off the
schema once: which declared fields, under which keys, each converted by the field's own
``_serialize`` (or kept, when it already has the type that would return unchanged). A
field it cannot dump exactly as marshmallow would (a method, a default, a dump hook,
another attribute) is refused at compile time, so the schema stays the one contract and the
OpenAPI document, and tests compare both dumps.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import marshmallow as ma

Dump = Callable[[Any], Any]

# the value types each field returns unchanged from its ``_serialize``
_KEPT: dict[type[ma.fields.Field], type] = {
    ma.fields.String: str,
    ma.fields.Integer: int,
    ma.fields.Boolean: bool,
}
_SCALARS = (*_KEPT, ma.fields.Date, ma.fields.DateTime)


def compile_dump(schema: ma.Schema) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function that dumps a dict as ``schema.dump`` would (a key the dict lacks is
    left out; None stays None).

    :raises TypeError: a field or hook this module cannot dump exactly as marshmallow.
    """
    if schema.many:
        raise TypeError(f"{type(schema).__name__} dumps many: compile it for one")
    return _dump_of(schema)


def _dump_of(schema: ma.Schema) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """``compile_dump`` for one object of ``schema``, whatever its ``many``."""
    if any(schema._hooks.get(hook) for hook in ("pre_dump", "post_dump")):  # noqa: SLF001
        raise TypeError(f"{type(schema).__name__} has dump hooks")
    if type(schema).get_attribute is not ma.Schema.get_attribute:
        raise TypeError(f"{type(schema).__name__} reads attributes its own way")
    plan = [
        (name, field.data_key or name, _field_dump(field))
        for name, field in schema.dump_fields.items()
    ]

    def dump(value: Mapping[str, Any]) -> dict[str, Any]:
        return {
            key: None if value[name] is None else convert(value[name])
            for name, key, convert in plan
            if name in value
        }

    return dump


def _field_dump(field: ma.fields.Field) -> Dump:
    if field.attribute is not None or field.dump_default is not ma.missing:
        raise TypeError(f"field {field.name} reads another attribute or has a default")
    if type(field) is ma.fields.Nested:  # many: the field's or its schema's (marshmallow's rule)
        inner = _dump_of(field.schema)
        many = field.many or field.schema.many
        return (lambda values: [inner(v) for v in values]) if many else inner
    if type(field) is ma.fields.List:
        item = _field_dump(field.inner)
        return lambda values: [None if v is None else item(v) for v in values]
    if type(field) not in _SCALARS:
        raise TypeError(f"field {field.name} is a {type(field).__name__}")
    kept = None if getattr(field, "as_string", False) else _KEPT.get(type(field))

    def convert(value: Any) -> Any:
        if type(value) is kept:
            return value
        return field._serialize(value, field.name, None)  # noqa: SLF001

    return convert
