"""Request-body validation against Discord's official OpenAPI spec.

The spec travels with the emulator (`discord-api-spec/` beside this file: Discord's
MIT-licensed `openapi.json`, its LICENSE and the commit it came from). A missing or
unreadable spec is an error, never a silent skip: without it a dozen checks would switch
off unnoticed.

The spec is loaded once per process and each operation's schema is compiled once: the
referenced component schemas are copied into a small local `$defs`, snowflakes also accept
integers (discord.py sends some ids as ints), and two rewrites keep validation fast
without changing what is accepted — `oneOf` lists of constants become `enum`, and unions
discriminated by their `type` field check only the branch the body names (`x-union`).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from ._util import merge_errors

DEFAULT_SPEC = Path(__file__).with_name("discord-api-spec") / "openapi.json"
SNOWFLAKE = {
    "anyOf": [
        {"type": "string", "pattern": "^(0|[1-9][0-9]*)$"},
        {"type": "integer", "minimum": 0},
    ]
}


class SpecUnavailable(RuntimeError):
    """Discord's OpenAPI spec is missing or unreadable: the emulator refuses to run without."""


class SpecValidator:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            with path.open(encoding="utf-8") as fh:
                spec = json.load(fh)
            self._paths: dict[str, Any] = spec["paths"]
            self._schemas: dict[str, Any] = spec["components"]["schemas"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise SpecUnavailable(
                f"Discord's OpenAPI spec could not be read from {path} ({exc!r}). The emulator "
                "validates every request body against it; restore the file from git "
                "(tests/fakediscord/discord-api-spec/) rather than running without it."
            ) from exc
        self._schemas["SnowflakeType"] = SNOWFLAKE
        self._compiled: dict[tuple[str, str], Draft202012Validator | None] = {}
        self._results: dict[tuple[str, str, str], dict[str, Any]] = {}

    def knows(self, template: str, method: str) -> bool:
        return method.lower() in self._paths.get(template, {})

    def validate(self, template: str, method: str, body: Any) -> dict[str, Any]:
        """Discord's error tree for `body` ({} when valid or when the route has no schema)."""
        validator = self._validator(template, method.lower())
        if validator is None:
            return {}
        raw = json.dumps(body, sort_keys=True, separators=(",", ":"))
        key = (template, method, raw)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        tree: dict[str, Any] = {}
        for error in validator.iter_errors(body):
            error = _deepest(error)
            path: list[str | int] = list(error.absolute_path)
            code = "SPEC_" + str(error.validator).upper()
            merge_errors(tree, path, {"_errors": [{"code": code, "message": error.message[:300]}]})
        if len(self._results) > 2048:  # bodies repeat a lot in benchmarks; keep it bounded
            self._results.clear()
        self._results[key] = tree
        return tree

    def _validator(self, template: str, method: str) -> Draft202012Validator | None:
        key = (template, method)
        if key in self._compiled:
            return self._compiled[key]
        operation = self._paths.get(template, {}).get(method) or {}
        content = (operation.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema")
        validator = None if schema is None else _Validator(self._localise(schema))
        self._compiled[key] = validator
        return validator

    # -- schema rewriting ---------------------------------------------------------------

    def _localise(self, schema: dict[str, Any]) -> dict[str, Any]:
        needed: set[str] = set()
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if k == "$ref" and isinstance(v, str):
                        name = v.rsplit("/", 1)[1]
                        if name not in needed:
                            needed.add(name)
                            stack.append(self._schemas[name])
                    else:
                        stack.append(v)
            elif isinstance(node, list):
                stack.extend(node)
        root: dict[str, Any] = self._rewrite(schema)
        root["$defs"] = {name: self._rewrite(self._schemas[name]) for name in needed}
        return root

    def _discriminator(self, ref: str) -> list[Any] | None:
        """The `type` values a union branch accepts, if it pins them with an enum."""
        target = self._schemas[ref.rsplit("/", 1)[1]]
        prop = (target.get("properties") or {}).get("type") or {}
        values = prop.get("enum")
        if "type" in (target.get("required") or []) and values:
            return list(values)
        return None

    def _rewrite(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self._rewrite(x) for x in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out[k] = "#/$defs/" + v.rsplit("/", 1)[1]
                continue
            if k in ("oneOf", "anyOf") and isinstance(v, list) and v:
                if all(
                    isinstance(b, dict)
                    and "const" in b
                    and set(b) <= {"const", "title", "description"}
                    for b in v
                ):
                    out["enum"] = [b["const"] for b in v]
                    continue
                if len(v) > 1 and all(isinstance(b, dict) and set(b) == {"$ref"} for b in v):
                    found = [self._discriminator(b["$ref"]) for b in v]
                    values = [x for group in found if group is not None for x in group]
                    if None not in found and len(set(map(repr, values))) == len(values):
                        out["x-union"] = {
                            json.dumps(val): self._rewrite(b)
                            for group, b in zip(found, v, strict=True)
                            for val in group or ()
                        }
                        continue
            if k == "allOf" and "allOf" in out:
                out["allOf"] = [*self._rewrite(v), *out["allOf"]]
                continue
            out[k] = self._rewrite(v)
        return out


def _union(validator: Any, branches: dict[str, Any], instance: Any, schema: Any) -> Any:
    """`x-union`: a union discriminated by its `type` field — check only the branch the
    body names instead of trying every branch as oneOf/anyOf would."""
    if not isinstance(instance, dict):
        yield ValidationError(f"{instance!r} is not of type 'object'")
        return
    branch = branches.get(json.dumps(instance.get("type")))
    if branch is None:
        allowed = [json.loads(k) for k in branches]
        yield ValidationError(f"{instance.get('type')!r} is not one of {allowed}", path=["type"])
        return
    yield from validator.descend(instance, branch)


_VALID_REFS: set[tuple[str, str]] = set()


def _ref(validator: Any, ref: str, instance: Any, schema: Any) -> Any:
    """`$ref`, remembering sub-objects already found valid: bots resend the same buttons,
    selects and options over and over, and re-checking them dominates the cost."""
    if not isinstance(instance, dict | list):
        yield from validator._validate_reference(ref=ref, instance=instance)
        return
    key = (ref, json.dumps(instance, sort_keys=True, separators=(",", ":")))
    if key in _VALID_REFS:
        return
    failed = False
    for error in validator._validate_reference(ref=ref, instance=instance):
        failed = True
        yield error
    if not failed:
        if len(_VALID_REFS) > 20_000:
            _VALID_REFS.clear()
        _VALID_REFS.add(key)


_Validator = validators.extend(Draft202012Validator, {"x-union": _union, "$ref": _ref})


def _deepest(error: ValidationError) -> ValidationError:
    """For a failed oneOf/anyOf, the branch error deepest in the body — "footer.text is too
    long" rather than "footer is not valid under any of the given schemas"."""
    while error.context:
        candidates = [
            e for e in error.context if not (e.validator == "type" and e.validator_value == "null")
        ]
        if not candidates:
            break
        error = max(candidates, key=lambda e: len(e.absolute_path))
    return error


@cache
def load(path: Path) -> SpecValidator:
    return SpecValidator(path)


def default_validator() -> SpecValidator:
    """The spec carried beside the emulator; raises SpecUnavailable when it can't be read."""
    return load(DEFAULT_SPEC)
