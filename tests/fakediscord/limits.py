"""Discord's size rules for bots, enforced whether or not the OpenAPI spec is present.

Each checker returns Discord's nested error tree ({} when the body is fine); the caller
wraps a non-empty tree into a 400 with code 50035.
"""

from __future__ import annotations

from typing import Any

from ._util import field_error, merge_errors

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
SELECT_OPTION_TEXT_MAX = 100
PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
MODAL_INPUTS_MAX = 5
INPUT_LABEL_MAX = 45
INPUT_PLACEHOLDER_MAX = 100
INPUT_VALUE_MAX = 4000
LABEL_DESCRIPTION_MAX = 100
V2_COMPONENTS_MAX = 40
V2_TEXT_MAX = 4000
CHOICES_MAX = 25
IS_COMPONENTS_V2 = 1 << 15

SELECT_TYPES = {3, 5, 6, 7, 8}

Path = list[str | int]


class _Errors:
    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        merge_errors(self.tree, path, field_error(code, message))

    def max_len(self, path: Path, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def between(self, path: Path, value: Any, low: int, high: int) -> None:
        if value is None or not isinstance(value, str | list):
            return
        if not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def required(self, path: Path, value: Any) -> bool:
        if value is None or value == "":
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
            return False
        return True

    def required_text(self, path: Path, value: Any) -> bool:
        """Like `required`, after Discord trims the text: "  " counts as missing."""
        return self.required(path, value.strip() if isinstance(value, str) else value)


# ------------------------------------------------------------------------- messages


def check_message(body: dict[str, Any], prefix: Path | None = None) -> dict[str, Any]:
    """Content, embeds and components of a message create/edit or interaction response."""
    errs = _Errors()
    p: Path = list(prefix or [])
    errs.max_len([*p, "content"], body.get("content"), CONTENT_MAX)
    embeds = body.get("embeds") or []
    if isinstance(embeds, list):
        _check_embeds(errs, p, embeds)
    components = body.get("components") or []
    if isinstance(components, list) and components:
        flags = body.get("flags") or 0
        if isinstance(flags, int) and flags & IS_COMPONENTS_V2:
            _check_v2(errs, p, body, components)
        else:
            _check_rows(errs, [*p, "components"], components)
        _check_custom_ids(errs, [*p, "components"], components)
    return errs.tree


def embed_size(embed: dict[str, Any]) -> int:
    """Characters that count toward Discord's 6000 total."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    for field in embed.get("fields") or []:
        total += len(field.get("name") or "") + len(field.get("value") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    return total


def _check_embeds(errs: _Errors, p: Path, embeds: list[Any]) -> None:
    if len(embeds) > EMBEDS_MAX:
        errs.add(
            [*p, "embeds"], "BASE_TYPE_MAX_LENGTH", f"Must be {EMBEDS_MAX} or fewer in length."
        )
    total = 0
    for i, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        e: Path = [*p, "embeds", i]
        errs.max_len([*e, "title"], embed.get("title"), EMBED_TITLE_MAX)
        errs.max_len([*e, "description"], embed.get("description"), EMBED_DESCRIPTION_MAX)
        fields = embed.get("fields") or []
        if len(fields) > EMBED_FIELDS_MAX:
            errs.add(
                [*e, "fields"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {EMBED_FIELDS_MAX} or fewer in length.",
            )
        for j, field in enumerate(fields):
            f: Path = [*e, "fields", j]
            if errs.required_text([*f, "name"], field.get("name")):
                errs.max_len([*f, "name"], field.get("name"), EMBED_FIELD_NAME_MAX)
            if errs.required_text([*f, "value"], field.get("value")):
                errs.max_len([*f, "value"], field.get("value"), EMBED_FIELD_VALUE_MAX)
        footer = embed.get("footer")
        if isinstance(footer, dict):
            errs.max_len([*e, "footer", "text"], footer.get("text"), EMBED_FOOTER_MAX)
        author = embed.get("author")
        if isinstance(author, dict):
            errs.max_len([*e, "author", "name"], author.get("name"), EMBED_AUTHOR_MAX)
        total += embed_size(embed)
    if total > EMBED_TOTAL_MAX:
        errs.add(
            [*p, "embeds"],
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
        )


def _check_rows(errs: _Errors, p: Path, rows: list[Any]) -> None:
    if len(rows) > ROWS_MAX:
        errs.add(p, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {ROWS_MAX} in length.")
    for i, row in enumerate(rows):
        _check_row(errs, [*p, i], row)


def _check_row(errs: _Errors, p: Path, row: Any) -> None:
    if not isinstance(row, dict) or row.get("type") != 1:
        errs.add([*p, "type"], "COMPONENT_TYPE_INVALID", "Top-level components must be action rows")
        return
    children = row.get("components") or []
    if not children:
        errs.add([*p, "components"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
        return
    selects = [c for c in children if isinstance(c, dict) and c.get("type") in SELECT_TYPES]
    if (selects and len(children) > 1) or len(children) > ROW_BUTTONS_MAX:
        errs.add(
            [*p, "components"],
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    for j, child in enumerate(children):
        _check_interactive(errs, [*p, "components", j], child)


def _check_interactive(errs: _Errors, p: Path, comp: Any) -> None:
    if not isinstance(comp, dict):
        return
    kind = comp.get("type")
    if kind == 2:
        style = comp.get("style")
        if style == 5:
            errs.required([*p, "url"], comp.get("url"))
            if comp.get("custom_id") is not None:
                errs.add(
                    [*p, "custom_id"],
                    "BUTTON_COMPONENT_LINK_CUSTOM_ID_INVALID",
                    "A link button cannot have a custom_id",
                )
        elif style != 6:
            if errs.required([*p, "custom_id"], comp.get("custom_id")):
                errs.between([*p, "custom_id"], comp.get("custom_id"), 1, CUSTOM_ID_MAX)
            if comp.get("url") is not None:
                errs.add(
                    [*p, "url"],
                    "BUTTON_COMPONENT_URL_INVALID",
                    "Only link buttons can have a url",
                )
        errs.max_len([*p, "label"], comp.get("label"), BUTTON_LABEL_MAX)
    elif kind in SELECT_TYPES:
        if errs.required([*p, "custom_id"], comp.get("custom_id")):
            errs.between([*p, "custom_id"], comp.get("custom_id"), 1, CUSTOM_ID_MAX)
        errs.max_len([*p, "placeholder"], comp.get("placeholder"), PLACEHOLDER_MAX)
        options = comp.get("options")
        if kind == 3:
            if not options or len(options) > SELECT_OPTIONS_MAX:
                errs.add(
                    [*p, "options"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length."
                )
            values: set[str] = set()
            for k, option in enumerate(options or []):
                o: Path = [*p, "options", k]
                if errs.required([*o, "label"], option.get("label")):
                    errs.max_len([*o, "label"], option.get("label"), SELECT_OPTION_TEXT_MAX)
                if errs.required([*o, "value"], option.get("value")):
                    errs.max_len([*o, "value"], option.get("value"), SELECT_OPTION_TEXT_MAX)
                errs.max_len([*o, "description"], option.get("description"), SELECT_OPTION_TEXT_MAX)
                if option.get("value") in values:
                    errs.add(
                        [*o, "value"],
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select component option values must be unique",
                    )
                values.add(option.get("value"))
        low = comp.get("min_values", 1)
        high = comp.get("max_values", 1)
        if isinstance(low, int) and not 0 <= low <= 25:
            errs.add([*p, "min_values"], "NUMBER_TYPE_MAX", "Must be between 0 and 25.")
        if isinstance(high, int) and not 1 <= high <= 25:
            errs.add([*p, "max_values"], "NUMBER_TYPE_MAX", "Must be between 1 and 25.")
        if kind == 3 and isinstance(high, int) and options and high > len(options):
            errs.add(
                [*p, "max_values"],
                "BASE_TYPE_MAX",
                f"max_values must be less than or equal to {len(options)}",
            )


def _walk(components: list[Any], p: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every component with its path, nested rows, sections and containers included."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for i, comp in enumerate(components):
        if not isinstance(comp, dict):
            continue
        here: Path = [*p, i]
        found.append((here, comp))
        if isinstance(comp.get("components"), list):
            found.extend(_walk(comp["components"], [*here, "components"]))
        for key in ("accessory", "component"):
            if isinstance(comp.get(key), dict):
                found.append(([*here, key], comp[key]))
    return found


def _check_custom_ids(errs: _Errors, p: Path, components: list[Any]) -> None:
    seen: set[str] = set()
    for path, comp in _walk(components, p):
        cid = comp.get("custom_id")
        if cid is None:
            continue
        if cid in seen:
            errs.add(
                [*path, "custom_id"],
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(cid)


def _check_v2(errs: _Errors, p: Path, body: dict[str, Any], components: list[Any]) -> None:
    if body.get("content"):
        errs.add(
            [*p, "content"],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'content' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    if body.get("embeds"):
        errs.add(
            [*p, "embeds"],
            "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
            "The 'embeds' field cannot be used when using MessageFlags.IS_COMPONENTS_V2",
        )
    everything = _walk(components, [*p, "components"])
    if len(everything) > V2_COMPONENTS_MAX:
        errs.add(
            [*p, "components"],
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {V2_COMPONENTS_MAX} or fewer in length.",
        )
    text = sum(len(c.get("content") or "") for _, c in everything if c.get("type") == 10)
    if text > V2_TEXT_MAX:
        errs.add(
            [*p, "components"],
            "MAX_COMPONENT_CONTENT_LENGTH_EXCEEDED",
            f"The total length of text displays exceeds {V2_TEXT_MAX}",
        )
    for path, comp in everything:
        if comp.get("type") == 1:
            _check_row(errs, path, comp)
        elif comp.get("type") == 2 and path[-1] == "accessory":
            _check_interactive(errs, path, comp)


# --------------------------------------------------------------------------- modals


def check_modal(data: dict[str, Any], prefix: Path | None = None) -> dict[str, Any]:
    errs = _Errors()
    p: Path = list(prefix or [])
    if errs.required([*p, "title"], data.get("title")):
        errs.max_len([*p, "title"], data.get("title"), MODAL_TITLE_MAX)
    if errs.required([*p, "custom_id"], data.get("custom_id")):
        errs.between([*p, "custom_id"], data.get("custom_id"), 1, CUSTOM_ID_MAX)
    rows = data.get("components") or []
    if not 1 <= len(rows) <= MODAL_INPUTS_MAX:
        errs.add(
            [*p, "components"],
            "BASE_TYPE_BAD_LENGTH",
            f"Must be between 1 and {MODAL_INPUTS_MAX} in length.",
        )
    for i, row in enumerate(rows):
        r: Path = [*p, "components", i]
        kind = row.get("type")
        if kind == 1:
            for j, child in enumerate(row.get("components") or []):
                _check_input(errs, [*r, "components", j], child, labelled=False)
        elif kind == 18:
            if errs.required([*r, "label"], row.get("label")):
                errs.max_len([*r, "label"], row.get("label"), INPUT_LABEL_MAX)
            errs.max_len([*r, "description"], row.get("description"), LABEL_DESCRIPTION_MAX)
            child = row.get("component") or {}
            if child.get("type") == 4:
                _check_input(errs, [*r, "component"], child, labelled=True)
            else:
                _check_interactive(errs, [*r, "component"], child)
    _check_custom_ids(errs, [*p, "components"], rows)
    return errs.tree


def _check_input(errs: _Errors, p: Path, comp: dict[str, Any], *, labelled: bool) -> None:
    if errs.required([*p, "custom_id"], comp.get("custom_id")):
        errs.between([*p, "custom_id"], comp.get("custom_id"), 1, CUSTOM_ID_MAX)
    if not labelled and errs.required([*p, "label"], comp.get("label")):
        errs.max_len([*p, "label"], comp.get("label"), INPUT_LABEL_MAX)
    errs.max_len([*p, "placeholder"], comp.get("placeholder"), INPUT_PLACEHOLDER_MAX)
    errs.max_len([*p, "value"], comp.get("value"), INPUT_VALUE_MAX)
    for key, low in (("min_length", 0), ("max_length", 1)):
        value = comp.get(key)
        if isinstance(value, int) and not low <= value <= INPUT_VALUE_MAX:
            errs.add([*p, key], "NUMBER_TYPE_MAX", f"Must be between {low} and {INPUT_VALUE_MAX}.")


# ------------------------------------------------------------------------ autocomplete


def check_choices(data: dict[str, Any], prefix: Path | None = None) -> dict[str, Any]:
    errs = _Errors()
    p: Path = list(prefix or [])
    choices = data.get("choices") or []
    if len(choices) > CHOICES_MAX:
        errs.add(
            [*p, "choices"], "BASE_TYPE_MAX_LENGTH", f"Must be {CHOICES_MAX} or fewer in length."
        )
    for i, choice in enumerate(choices):
        if errs.required([*p, "choices", i, "name"], choice.get("name")):
            errs.between([*p, "choices", i, "name"], choice.get("name"), 1, 100)
        errs.max_len([*p, "choices", i, "value"], choice.get("value"), 100)
    return errs.tree
