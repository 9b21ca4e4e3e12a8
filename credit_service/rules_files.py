"""Rules files: how one is read, which keys it may hold, and which code reads each one.

The catalogs and every area keep their rules in YAML files under ``catalogs/``; this
module is the part all of them share, so it sits in the kernel (the areas' definitions
and the calendar rules import it; it imports no area).

Every rules file (``publicity.yaml``, ``repair.yaml``, ...) is read through a marshmallow
schema. Each key of the schema says, with ``read_by(...)`` in its metadata, the attribute
of the loaded rules that carries its value and the source files (under the package) that
read that attribute. Two kinds of fault follow from that declaration:

- an **unknown** key is in the file but not in the schema: the loader refuses the first
  one it meets, ``flask catalogs check`` lists them all;
- an **unused** key is in the schema but no declared file reads its attribute, or it
  declares no reader at all: a setting a regulator could edit to no effect (issue #15:
  two list deadlines were loaded and never read).

Reading is checked on the source itself, so a declaration cannot outlive the code it
names: a Python file reads ``name`` when it contains an attribute access ``x.name`` (the
loader that fills the attribute passes it as a keyword or declares it as a field, neither
of which counts); a template reads it when it contains ``.name``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from credit_service.errors import CatalogError
from credit_service.workdays import parse_period

PACKAGE = Path(__file__).resolve().parent
READ_BY = "read_by"
_TEMPLATE_ATTRIBUTE = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)")


def load_rules_file(path: Path, schema: Schema) -> dict[str, Any]:
    """A rules file read and validated by ``schema``.

    :raises CatalogError: naming the file and the first key at fault.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return schema.load(raw if isinstance(raw, dict) else {})
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError.in_file(path, f"cannot be read as YAML: {exc}") from exc
    except ValidationError as exc:
        key, message = next(iter(exc.messages.items()))
        raise CatalogError.in_file(path, f"key '{key}': {message}") from exc


def read_by(attribute: str, *files: str) -> dict[str, Any]:
    """Field metadata: the key's value is ``attribute`` of the loaded rules, read in
    ``files`` (paths under ``credit_service/``)."""
    if not files:
        raise ValueError(f"read_by({attribute!r}) names no file that reads it")
    return {READ_BY: (attribute, files)}


class Period(fields.String):
    """An ISO 8601 period in whole years and months (P3M, P1Y, P1Y6M)."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            parse_period(text)
        except ValueError as exc:
            raise ValidationError(
                "Must be an ISO 8601 period in whole years/months, e.g. P3M or P1Y."
            ) from exc
        return text


def workdays(attribute: str, *files: str, minimum: int = 1) -> fields.Integer:
    """A required count of working days, read as ``attribute`` in ``files``."""
    return fields.Integer(
        required=True, validate=validate.Range(min=minimum), metadata=read_by(attribute, *files)
    )


def _inner_schema(field: fields.Field) -> Schema | None:
    """The schema of a nested section or of each entry of a list of sections."""
    if isinstance(field, fields.List):
        field = field.inner
    if isinstance(field, fields.Nested):
        return field.schema
    return None


def _key(name: str, field: fields.Field) -> str:
    return field.data_key or name


def declared_keys(schema: Schema, prefix: str = "") -> Iterator[tuple[str, fields.Field]]:
    """Every key a reader must be declared for, as a dotted path: a section is walked into
    unless it declares a reader of its own (then it is read as a whole)."""
    for name, field in schema.fields.items():
        path = f"{prefix}{_key(name, field)}"
        inner = _inner_schema(field)
        if inner is not None and READ_BY not in field.metadata:
            yield from declared_keys(inner, f"{path}.")
        else:
            yield path, field


def unknown_keys(schema: Schema, raw: Any, prefix: str = "") -> list[str]:
    """The keys of ``raw`` (a rules file as read from YAML) that ``schema`` does not know,
    with the position of list entries as the loaders name them, e.g. ``rules.2.when.listd``."""
    if not isinstance(raw, Mapping):
        return []
    by_key = {_key(name, field): field for name, field in schema.fields.items()}
    found: list[str] = []
    for key, value in raw.items():
        path = f"{prefix}{key}"
        field = by_key.get(str(key))
        inner = _inner_schema(field) if field is not None else None
        if field is None:
            found.append(path)
        elif inner is not None and isinstance(field, fields.List) and isinstance(value, list):
            for index, entry in enumerate(value):
                found += unknown_keys(inner, entry, f"{path}.{index}.")
        elif inner is not None:
            found += unknown_keys(inner, value, f"{path}.")
    return found


def unused_keys(schema: Schema) -> list[str]:
    """The declared keys that nothing reads: no reader declared, or none of the declared
    files reads the attribute."""
    unused = []
    for path, field in declared_keys(schema):
        attribute, files = field.metadata.get(READ_BY, (None, ()))
        if attribute is None or not any(attribute in _attributes_read(f) for f in files):
            unused.append(path)
    return unused


@cache
def _attributes_read(relative: str) -> frozenset[str]:
    """The attribute names a source file reads (empty if the file does not exist)."""
    path = PACKAGE / relative
    if not path.is_file():
        return frozenset()
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return frozenset(_TEMPLATE_ATTRIBUTE.findall(text))
    return frozenset(
        node.attr
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)
    )
