"""Generate the sans-IO layer of selectel-objects from its API description.

    uv run python scripts/generate_objects.py           # rewrite _generated/
    uv run python scripts/generate_objects.py --check   # exit 1 with a diff if it is stale

Input: ``packages/selectel-objects/api/swift.toml`` (the format is described at its top).
Output: ``packages/selectel-objects/src/selectel_objects/_protocol/_generated/`` --
``models.py`` (attrs result types and their readers), ``operations.py`` (``build_<op>_request`` /
``parse_<op>_response``), ``errors.py`` (status -> exception class). The steps are
load (parse and validate into plain dataclasses, every problem collected) -> render (string
templates) -> ``ruff format``; the output folder is wiped before writing.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parent.parent
DESCRIPTION = ROOT / "packages" / "selectel-objects" / "api" / "swift.toml"
OUTPUT = (
    ROOT / "packages" / "selectel-objects" / "src" / "selectel_objects" / "_protocol" / "_generated"
)

HEADER_TYPES = {"str", "int", "float", "bool", "etag", "http_date", "meta"}
JSON_TYPES = {"str", "int", "etag", "iso_date"}
PARAM_TYPES = {"str", "int", "http_date", "flag", "meta"}
METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE", "COPY"}
# Path placeholders and how each is URL-encoded.
PATH_PARAMS = {
    "container": "quote_container",
    "object_name": "quote_object",
    "upload_path": "quote_object",
}
RESERVED = {"storage_url", "headers", "body", *PATH_PARAMS}
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
CLASS_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*$")

# Python type and reader expression per field type ({h}: header names, {k}: json key).
FIELD_PY = {
    "str": "str | None",
    "int": "int | None",
    "float": "float | None",
    "bool": "bool",
    "etag": "str | None",
    "http_date": "datetime | None",
    "meta": "dict[str, str]",
    "iso_date": "datetime | None",
}
#: ``{v}`` is the header's value (or ``None``) from ``h``, the headers by lower-case name.
HEADER_READER = {
    "str": "_codec.text({v})",
    "int": "_codec.to_int({v})",
    "float": "_codec.to_float({v})",
    "bool": "_codec.to_bool({v})",
    "etag": "_codec.to_etag({v})",
    "http_date": "_codec.to_http_date({v})",
}
#: ``{v}`` is a local holding the item's value. A listing has up to 10 000 items a page, so
#: the checks are inline (``type() is``: JSON gives exact types, and a bool is no int).
JSON_READER = {
    "str": "{v} if type({v}) is str else None",
    "int": "{v} if type({v}) is int else None",
    "etag": "_codec.to_etag({v}) if type({v}) is str else None",
    "iso_date": "_codec.to_iso_date({v})",
}
PARAM_PY = {
    "str": "str | None",
    "int": "int | None",
    "http_date": "datetime | None",
    "flag": "bool",
}


class DescriptionError(Exception):
    """The description is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid API description:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    doc: str
    headers: tuple[str, ...] = ()
    prefix: str = ""
    key: str = ""
    required: bool = False
    secret: bool = False


@dataclass(frozen=True)
class Model:
    name: str
    doc: str
    source: str
    fields: tuple[Field, ...]
    when_key: str = ""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    doc: str
    header: str = ""
    query: str = ""
    value: str = ""
    prefix: str = ""
    remove_prefix: str = ""


@dataclass(frozen=True)
class Operation:
    name: str
    doc: str
    method: str
    path: str
    root: bool
    success: tuple[int, ...]
    params: tuple[Param, ...]
    fixed_query: tuple[tuple[str, str], ...]
    fixed_headers: tuple[tuple[str, str], ...]
    response: str  # "", "model", "list" or "json"
    models: tuple[str, ...]


@dataclass(frozen=True)
class Description:
    error_default: str
    error_server: str
    error_status: tuple[tuple[int, str], ...]
    models: tuple[Model, ...]
    operations: tuple[Operation, ...]


# ----------------------------------------------------------------------------- load


def load(path: Path) -> Description:
    """Parse and validate a description; raise :class:`DescriptionError` with every problem."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    problems: list[str] = []
    description = _parse(raw, problems)
    if problems:
        raise DescriptionError(problems)
    return description


def _str(
    table: Mapping[str, Any], key: str, where: str, problems: list[str], default: str | None = None
) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        problems.append(f"{where}: '{key}' must be a string")
        return ""
    return value


def _parse(raw: Mapping[str, Any], problems: list[str]) -> Description:
    errors = raw.get("errors", {})
    status: list[tuple[int, str]] = []
    for code, cls in errors.get("status", {}).items():
        if not (code.isdigit() and 100 <= int(code) <= 599) or not CLASS_NAME.match(str(cls)):
            problems.append(f"errors.status: {code!r} = {cls!r} is not 'NNN' = 'ClassName'")
        else:
            status.append((int(code), cls))
    models = tuple(
        _parse_model(name, table, problems) for name, table in raw.get("models", {}).items()
    )
    known = {m.name: m for m in models}
    operations = tuple(
        _parse_operation(name, table, known, problems)
        for name, table in raw.get("operations", {}).items()
    )
    for name in ("default", "server"):
        if not CLASS_NAME.match(str(errors.get(name, ""))):
            problems.append(f"errors: '{name}' must name an exception class")
    return Description(
        error_default=str(errors.get("default", "")),
        error_server=str(errors.get("server", "")),
        error_status=tuple(status),
        models=models,
        operations=operations,
    )


def _parse_model(name: str, table: Mapping[str, Any], problems: list[str]) -> Model:
    where = f"models.{name}"
    if not CLASS_NAME.match(name):
        problems.append(f"{where}: a model name is a CapWords class name")
    source = _str(table, "source", where, problems)
    if source not in {"headers", "json"}:
        problems.append(f"{where}: source must be 'headers' or 'json'")
    types = HEADER_TYPES if source == "headers" else JSON_TYPES
    fields: list[Field] = []
    for raw in table.get("fields", []):
        fname = str(raw.get("name", ""))
        fwhere = f"{where}.{fname or '?'}"
        ftype = str(raw.get("type", ""))
        if not IDENTIFIER.match(fname):
            problems.append(f"{fwhere}: field name must be a lower_case identifier")
        if ftype not in types:
            problems.append(f"{fwhere}: type {ftype!r} is not one of {sorted(types)}")
        header = raw.get("header", ())
        headers = (header,) if isinstance(header, str) else tuple(header)
        field = Field(
            name=fname,
            type=ftype,
            doc=str(raw.get("doc", "")),
            headers=headers,
            prefix=str(raw.get("prefix", "")),
            key=str(raw.get("key", "")),
            required=bool(raw.get("required", False)),
            secret=bool(raw.get("secret", False)),
        )
        if source == "headers" and ftype == "meta" and not field.prefix:
            problems.append(f"{fwhere}: a meta field needs a prefix")
        elif source == "headers" and ftype != "meta" and not field.headers:
            problems.append(f"{fwhere}: needs header = ...")
        elif source == "json" and not field.key:
            problems.append(f"{fwhere}: needs key = ...")
        if field.required and (source != "json" or ftype != "str"):
            problems.append(f"{fwhere}: only JSON str fields can be required")
        fields.append(field)
    if len({f.name for f in fields}) != len(fields):
        problems.append(f"{where}: duplicate field names")
    return Model(
        name,
        _str(table, "doc", where, problems),
        source,
        tuple(fields),
        str(table.get("when_key", "")),
    )


def _parse_operation(
    name: str, table: Mapping[str, Any], models: Mapping[str, Model], problems: list[str]
) -> Operation:
    where = f"operations.{name}"
    if not IDENTIFIER.match(name):
        problems.append(f"{where}: an operation name is a lower_case identifier")
    method = _str(table, "method", where, problems)
    if method not in METHODS:
        problems.append(f"{where}: method {method!r} is not one of {sorted(METHODS)}")
    path = _str(table, "path", where, problems)
    for placeholder in re.findall(r"\{([^}]*)\}", path):
        if placeholder not in PATH_PARAMS:
            problems.append(f"{where}: unknown path placeholder {{{placeholder}}}")
    success = table.get("success", [])
    if not success or not all(isinstance(s, int) and 100 <= s <= 399 for s in success):
        problems.append(f"{where}: success must list 1xx-3xx statuses")
    params: list[Param] = []
    for raw in table.get("params", []):
        pname = str(raw.get("name", ""))
        pwhere = f"{where}.{pname or '?'}"
        param = Param(
            name=pname,
            type=str(raw.get("type", "")),
            doc=str(raw.get("doc", "")),
            header=str(raw.get("header", "")),
            query=str(raw.get("query", "")),
            value=str(raw.get("value", "")),
            prefix=str(raw.get("prefix", "")),
            remove_prefix=str(raw.get("remove_prefix", "")),
        )
        if not IDENTIFIER.match(pname) or pname in RESERVED:
            problems.append(f"{pwhere}: not a usable parameter name")
        if param.type not in PARAM_TYPES:
            problems.append(f"{pwhere}: type {param.type!r} is not one of {sorted(PARAM_TYPES)}")
        if param.type == "meta":
            if not param.prefix or param.header or param.query:
                problems.append(f"{pwhere}: a meta parameter has a prefix and no header/query")
        elif bool(param.header) == bool(param.query):
            problems.append(f"{pwhere}: give exactly one of header = ... or query = ...")
        if param.type == "flag" and not param.value:
            problems.append(f"{pwhere}: a flag needs the value it sends")
        if param.query and param.type in {"http_date"}:
            problems.append(f"{pwhere}: {param.type} is for headers only")
        params.append(param)
    if len({p.name for p in params}) != len(params):
        problems.append(f"{where}: duplicate parameter names")
    response_table = table.get("response", {})
    response = ""
    wanted: tuple[str, ...] = ()
    if "model" in response_table:
        response, wanted = "model", (str(response_table["model"]),)
    elif "list" in response_table:
        response, wanted = "list", tuple(str(m) for m in response_table["list"])
    elif response_table.get("json"):
        response = "json"
    elif response_table:
        problems.append(
            f"{where}: response is {{model = ...}}, {{list = [...]}} or {{json = true}}"
        )
    for model in wanted:
        expected = "headers" if response == "model" else "json"
        if model not in models:
            problems.append(f"{where}: unknown model {model!r}")
        elif models[model].source != expected:
            problems.append(f"{where}: {model} is not a {expected} model")
    if response == "list" and any(not models[m].when_key for m in wanted[:-1] if m in models):
        problems.append(f"{where}: every listed model but the last needs a when_key")
    return Operation(
        name=name,
        doc=_str(table, "doc", where, problems),
        method=method,
        path=path,
        root=table.get("base", "storage") == "root",
        success=tuple(success),
        params=tuple(params),
        fixed_query=tuple((str(k), str(v)) for k, v in table.get("fixed_query", {}).items()),
        fixed_headers=tuple((str(k), str(v)) for k, v in table.get("fixed_headers", {}).items()),
        response=response,
        models=wanted,
    )


# ----------------------------------------------------------------------------- render


def _header(source: str) -> str:
    return (
        f"# Generated by scripts/generate_objects.py from {source}.\n"
        "# Do not edit: change the description and run the generator.\n"
    )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def render(description: Description, source: str) -> dict[str, str]:
    """The generated modules (file name -> unformatted source)."""
    return {
        "__init__.py": _render_init(source),
        "errors.py": _render_errors(description, source),
        "models.py": _render_models(description, source),
        "operations.py": _render_operations(description, source),
    }


def _render_init(source: str) -> str:
    return (
        _header(source)
        + '"""Sans-IO layer of selectel-objects: models, request builders, response parsers.\n\n'
        "Pure functions and values only: no transport, credential or Django import.\n"
        '"""\n'
    )


def _render_errors(d: Description, source: str) -> str:
    classes = sorted({d.error_default, d.error_server, *(cls for _, cls in d.error_status)})
    table = "".join(f"        {code}: {cls},\n" for code, cls in d.error_status)
    return (
        _header(source) + '"""Which exception class an HTTP status raises."""\n\n'
        "from __future__ import annotations\n\n"
        "from collections.abc import Mapping\n"
        "from types import MappingProxyType\n\n"
        f"from selectel_objects.errors import {', '.join(classes)}\n\n"
        '__all__ = ["STATUS_ERRORS", "error_class"]\n\n'
        "STATUS_ERRORS: Mapping[int, type[ObjectStorageError]] = MappingProxyType(\n"
        f"    {{\n{table}    }}\n)\n\n\n"
        "def error_class(status: int) -> type[ObjectStorageError]:\n"
        '    """The exception class for an unexpected ``status``."""\n'
        "    known = STATUS_ERRORS.get(status)\n"
        "    if known is not None:\n"
        "        return known\n"
        f"    return {d.error_server} if status >= 500 else {d.error_default}\n"
    )


def _field_line(field: Field) -> str:
    # A required field is always there: its type says so.
    py = FIELD_PY[field.type].removesuffix(" | None") if field.required else FIELD_PY[field.type]
    if field.required:
        default = ""
    elif field.type == "meta":
        default = "attrs.field(factory=dict)"
    elif field.type == "bool":
        default = "False"
    else:
        default = "None"
    if field.secret:
        default = (
            f"attrs.field(default={default}, repr=False)" if default else "attrs.field(repr=False)"
        )
    return f"    {field.name}: {py}" + (f" = {default}\n" if default else "\n")


def _field_source(model: Model, field: Field) -> str:
    if field.doc:
        return field.doc
    if field.type == "meta":
        return f"``{field.prefix}*`` with lower-case keys."
    if model.source == "json":
        return f"JSON ``{field.key}``."
    return " or ".join(f"``{h}``" for h in field.headers) + "."


def _header_value(names: Sequence[str]) -> str:
    """An expression for the first of the headers ``names`` present in ``h``, or ``None``."""
    first, *rest = names
    fallback = f", {_header_value(rest)}" if rest else ""
    return f"h.get({first.lower()!r}{fallback})"


def _render_model(model: Model) -> str:
    attrs_doc = "".join(f"        {f.name}: {_field_source(model, f)}\n" for f in model.fields)
    # A listing page holds up to 10 000 JSON items: their models keep a __dict__ that the
    # reader fills in one step (no __init__), and dates are parsed when first read.
    listed = model.source == "json"
    out = (
        "@attrs.frozen(kw_only=True, slots=False)\n" if listed else "@attrs.frozen(kw_only=True)\n"
    ) + f'class {model.name}:\n    """{model.doc}\n\n    Attributes:\n{attrs_doc}    """\n\n'
    out += "".join(_field_line(f) for f in model.fields)
    lazy = [f for f in model.fields if listed and f.type == "iso_date"]
    if lazy:
        out += (
            "\n    if not TYPE_CHECKING:  # hidden from type checkers: no attribute is Any\n\n"
            "        def __getattr__(self, name: str) -> Any:\n"
            "            # Only reached for a date the reader left as text.\n"
            f"            if name in {tuple(f.name for f in lazy)!r}:\n"
            "                return _codec.parse_lazy_date(self, name)\n"
            "            raise AttributeError(name)\n"
        )
    reader = _snake(model.name)
    if model.source == "headers":
        out += (
            f"\n\ndef {reader}_from_headers(headers: Mapping[str, str]) -> {model.name}:\n"
            f'    """The :class:`{model.name}` in response headers (any case)."""\n'
            "    h = _codec.lowered(headers)\n"
            f"    return {model.name}(\n"
        )
        mapped = [h.lower() for f in model.fields for h in f.headers]
        for f in model.fields:
            if f.type == "meta":
                prefix = f.prefix.lower()
                skip = tuple(h for h in mapped if h.startswith(prefix))
                expr = f"_codec.meta_from_headers(h, {prefix!r}, {skip!r})"
            else:
                expr = HEADER_READER[f.type].format(v=_header_value(f.headers))
            out += f"        {f.name}={expr},\n"
    else:
        out += (
            f"\n\ndef {reader}_from_json(item: Mapping[str, Any]) -> {model.name}:\n"
            f'    """The :class:`{model.name}` in one item of a JSON listing."""\n'
        )
        out += "".join(f"    {f.name} = item.get({f.key!r})\n" for f in model.fields)
        out += "".join(
            f"    if type({f.name}) is not str:\n"
            f"        {f.name} = _codec.json_required_str(item, {f.key!r})\n"
            for f in model.fields
            if f.required
        )
        out += f"    entry = _new({model.name})\n"
        out += '    _set(\n        entry,\n        "__dict__",\n        {\n'
        for f in model.fields:
            if f.type == "iso_date":
                out += f"            {_codec_lazy_key(f.name)!r}: {f.name},\n"
            else:
                expr = f.name if f.required else JSON_READER[f.type].format(v=f.name)
                out += f"            {f.name!r}: {expr},\n"
        return out + "        },\n    )\n    return entry\n"
    return out + "    )\n"


def _codec_lazy_key(name: str) -> str:
    """Where a JSON model keeps a date's text until it is read (see codec.parse_lazy_date)."""
    return f"_{name}_text"


def _render_models(d: Description, source: str) -> str:
    names = []
    for m in d.models:
        names += [m.name, f"{_snake(m.name)}_from_{m.source}"]
    exports = "".join(f'    "{n}",\n' for n in sorted(names))
    body = "\n\n".join(_render_model(m) for m in d.models)
    return (
        _header(source) + '"""Result types, and how each is read from headers or JSON."""\n\n'
        "from __future__ import annotations\n\n"
        "from collections.abc import Mapping\n"
        "from datetime import datetime\n"
        "from typing import TYPE_CHECKING, Any\n\n"
        "import attrs\n\n"
        "from selectel_objects._protocol import codec as _codec\n\n"
        f"__all__ = [\n{exports}]\n\n"
        "_new = object.__new__\n_set = object.__setattr__\n\n\n"
        f"{body}"
    )


def _param_field(p: Param) -> str:
    if p.type == "meta":
        value = "str | None" if p.remove_prefix else "str"
        return f"    {p.name}: Mapping[str, {value}] | None = None\n"
    default = "False" if p.type == "flag" else "None"
    return f"    {p.name}: {PARAM_PY[p.type]} = {default}\n"


def _param_code(p: Param) -> str:
    v = f"o.{p.name}"
    if p.type == "meta":
        remove = repr(p.remove_prefix) if p.remove_prefix else "None"
        return f"    _codec.put_meta(out, {p.prefix!r}, {v}, {remove})\n"
    if p.type == "flag":
        target = (
            f"out[{p.header!r}] = {p.value!r}"
            if p.header
            else f"query.append(({p.query!r}, {p.value!r}))"
        )
        return f"    if {v}:\n        {target}\n"
    value = {
        "str": f"_codec.encode_value({v}, {p.name!r})" if p.header else v,
        "int": f"str(int({v}))",
        "http_date": f"_codec.format_http_date({v})",
    }[p.type]
    target = f"out[{p.header!r}] = {value}" if p.header else f"query.append(({p.query!r}, {value}))"
    return f"    if {v} is not None:\n        {target}\n"


def _param_doc(p: Param) -> str:
    where = f"``{p.header}`` header" if p.header else f"``{p.query}`` query parameter"
    if p.type == "meta":
        where = f"``{p.prefix}<key>`` headers" + (
            "; ``None`` removes a key" if p.remove_prefix else ""
        )
    elif p.type == "flag":
        where = f"sends {where} ``{p.value}`` when true"
    text = f"{p.doc.rstrip('.')} ({where})." if p.doc else f"{where[0].upper()}{where[1:]}."
    return f"        {p.name}: {text}\n"


def _path_expr(path: str) -> str:
    if "{" not in path:
        return repr(path)
    return (
        'f"'
        + re.sub(r"\{([^}]*)\}", lambda m: f"{{{PATH_PARAMS[m.group(1)]}({m.group(1)})}}", path)
        + '"'
    )


def _options_class(op: Operation) -> str:
    return "".join(part.capitalize() for part in op.name.split("_")) + "Options"


def _options_default(op: Operation) -> str:
    return f"_{op.name.upper()}_DEFAULTS"


def _render_options(op: Operation) -> str:
    name = _options_class(op)
    attrs_doc = "".join(_param_doc(p) for p in op.params)
    attrs_doc += "        headers: Extra headers; they replace generated ones of the same name.\n"
    return (
        "@attrs.frozen(kw_only=True)\n"
        f"class {name}:\n"
        f'    """What :func:`build_{op.name}_request` sends besides the path; all optional.\n\n'
        f'    Attributes:\n{attrs_doc}    """\n\n'
        + "".join(_param_field(p) for p in op.params)
        + "    headers: Mapping[str, str] | None = None\n\n\n"
        f"{_options_default(op)} = {name}()\n\n\n"
    )


def _render_parser(op: Operation, models: Mapping[str, Model]) -> str:
    if op.response == "model":
        model = op.models[0]
        return (
            f"\n\ndef parse_{op.name}_response(headers: Mapping[str, str]) -> {model}:\n"
            f'    """The :class:`{model}` in the answer to :func:`build_{op.name}_request`."""\n'
            f"    return {_snake(model)}_from_headers(headers)\n"
        )
    if op.response == "json":
        return (
            f"\n\ndef parse_{op.name}_response(body: bytes) -> dict[str, Any]:\n"
            f'    """The JSON document answered to :func:`build_{op.name}_request`."""\n'
            f'    return _codec.json_object(body, "{op.name.replace("_", " ")} answer")\n'
        )
    if op.response != "list":
        return ""
    union = " | ".join(op.models)
    *keyed, fallback = op.models
    choice = "".join(
        f"{_snake(m)}_from_json(item) if {models[m].when_key!r} in item else " for m in keyed
    )
    return (
        f"\n\ndef parse_{op.name}_response(body: bytes) -> list[{union}]:\n"
        f'    """The items of one page answered to :func:`build_{op.name}_request`."""\n'
        "    return [\n"
        f"        {choice}{_snake(fallback)}_from_json(item)\n"
        f'        for item in _codec.json_items(body, "{op.name.replace("_", " ")}")\n'
        "    ]\n"
    )


def _success_name(statuses: Sequence[int]) -> str:
    return "_SUCCESS_" + "_".join(str(s) for s in statuses)


def _render_operation(op: Operation, models: Mapping[str, Model]) -> str:
    path_params = re.findall(r"\{([^}]*)\}", op.path)
    options = _options_class(op)
    path = _path_expr(op.path)
    url = path if op.root else f"_codec.relative_url({path}, query)"
    signature = "".join(f"    {p}: str,\n" for p in path_params)
    signature += f"    options: {options} | None = None,\n"
    args_doc = "".join(
        f"        {p}: The {p.replace('_', ' ')}; URL-encoded here.\n" for p in path_params
    )
    args_doc += f"        options: See :class:`{options}`; ``None`` sends none.\n"
    body = f"    o = {_options_default(op)} if options is None else options\n"
    if not op.root:
        fixed = ", ".join(f"({k!r}, {v or None!r})" for k, v in op.fixed_query)
        body += f"    query: list[tuple[str, str | None]] = [{fixed}]\n"
    body += f"    out: dict[str, str] = {dict(op.fixed_headers)!r}\n"
    body += "".join(_param_code(p) for p in op.params)
    success = ", ".join(str(s) for s in op.success)
    where = (
        "; the URL is a path on the account URL's host"
        if op.root
        else "; the URL is relative to the account URL"
    )
    return (
        _render_options(op) + f"def build_{op.name}_request(\n{signature}) -> HttpRequest:\n"
        f'    """{op.doc}\n\n    ``{op.method} {op.path or "/"}``{where}; success: {success}.\n\n'
        f'    Args:\n{args_doc}    """\n'
        f"{body}"
        "    return HttpRequest(\n"
        f"        method={op.method!r},\n"
        f"        url={url},\n"
        "        headers=Headers(out).merged(o.headers),\n"
        f"        expected={_success_name(op.success)},\n"
        f"        operation={op.name!r},\n"
        + ("        root=True,\n" if op.root else "")
        + "    )\n"
    ) + _render_parser(op, models)


def _render_operations(d: Description, source: str) -> str:
    models = {m.name: m for m in d.models}
    names = []
    used_models: set[str] = set()
    for op in d.operations:
        names += [f"build_{op.name}_request", _options_class(op)]
        if op.response:
            names.append(f"parse_{op.name}_response")
        used_models.update(op.models)
    readers = sorted(f"{_snake(m.name)}_from_{m.source}" for m in d.models if m.name in used_models)
    model_imports = sorted([*used_models, *readers])
    uses_datetime = any(p.type == "http_date" for op in d.operations for p in op.params)
    uses_any = any(op.response == "json" for op in d.operations)
    quoters = sorted(
        {PATH_PARAMS[p] for op in d.operations for p in re.findall(r"\{([^}]*)\}", op.path)}
    )
    exports = "".join(f'    "{n}",\n' for n in sorted(names))
    # Success status sets are built once, not per request.
    successes = sorted({tuple(op.success) for op in d.operations})
    constants = "".join(
        f"{_success_name(s)} = frozenset({{{', '.join(str(x) for x in s)}}})\n" for s in successes
    )
    imports = "from collections.abc import Mapping\n"
    if uses_datetime:
        imports += "from datetime import datetime\n"
    if uses_any:
        imports += "from typing import Any\n"
    imports += "\nimport attrs\n"
    return (
        _header(source)
        + '"""One ``build_<op>_request`` per Swift operation, and ``parse_<op>_response`` for\n'
        'those that answer with a result."""\n\n'
        "from __future__ import annotations\n\n"
        f"{imports}\n"
        "from selectel_objects._protocol import codec as _codec\n"
        "from selectel_objects._protocol.http import Headers, HttpRequest\n"
        f"from selectel_objects._protocol.names import {', '.join(quoters)}\n\n"
        f"from .models import {', '.join(model_imports)}\n\n"
        f"__all__ = [\n{exports}]\n\n{constants}\n\n"
        + "\n\n".join(_render_operation(op, models) for op in d.operations)
    )


# ----------------------------------------------------------------------------- format, write, check


def format_python(sources: Mapping[str, str]) -> dict[str, str]:
    """``sources`` formatted by ``ruff format`` with the repository's settings."""
    formatted = {}
    for name, text in sources.items():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                "format",
                "--config",
                str(ROOT / "pyproject.toml"),
                "--stdin-filename",
                name,
                "-",
            ],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if result.returncode != 0:
            raise RuntimeError(f"ruff format failed on generated {name}:\n{result.stderr}")
        formatted[name] = result.stdout
    return formatted


def generate(description_path: Path = DESCRIPTION) -> dict[str, str]:
    """The formatted output for a description file."""
    source = (
        description_path.resolve().relative_to(ROOT).as_posix()
        if description_path.resolve().is_relative_to(ROOT)
        else description_path.name
    )
    return format_python(render(load(description_path), source))


def write(output: Path, files: Mapping[str, str]) -> None:
    """Replace the generated modules in ``output`` by ``files``."""
    output.mkdir(parents=True, exist_ok=True)
    for stale in output.glob("*.py"):
        stale.unlink()
    for name, text in files.items():
        (output / name).write_text(text, encoding="utf-8")


def diff(output: Path, files: Mapping[str, str]) -> str:
    """A unified diff from what is in ``output`` to ``files``; empty when they are equal."""
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in sorted(output.glob("*.py"))}
    lines: list[str] = []
    for name in sorted(set(on_disk) | set(files)):
        lines += difflib.unified_diff(
            on_disk.get(name, "").splitlines(keepends=True),
            files.get(name, "").splitlines(keepends=True),
            f"committed/{name}",
            f"generated/{name}",
        )
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="fail with a diff if the output is stale"
    )
    parser.add_argument("--description", type=Path, default=DESCRIPTION)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    try:
        files = generate(args.description)
    except DescriptionError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.check:
        changes = diff(args.output, files)
        if changes:
            sys.stdout.write(changes)
            print(
                f"\n{args.output} is stale: run `uv run python scripts/generate_objects.py`",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output} is current")
        return 0
    write(args.output, files)
    print(f"wrote {len(files)} modules to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
