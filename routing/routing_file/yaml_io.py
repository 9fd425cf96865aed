"""YAML as managers write it, read without the YAML 1.1 surprises, and written back tidily.

PyYAML follows YAML 1.1, where `NO` (Norway) and `ON` (Ontario) are booleans, `070`
(a New Jersey ZIP prefix) is the octal number 56 and `2026-12-20` is a date object.
Routing files are full of such codes, so the loader here knows only `true`/`false` as
booleans, plain decimals as numbers, and leaves everything else as text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

from .errors import RoutingFileError

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        # YAML quietly keeps the last of two equal keys; in a routing file that hides
        # a half-edited item, so say where it is instead.
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, str | int | float | bool) and key in seen:
                    raise ConstructorError(
                        None,
                        None,
                        f"key '{key}' appears twice in one mapping",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# No leading zeros, no signs-only, no underscores: "070" and "0800" stay text.
_Loader.add_implicit_resolver(_INT, re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT,
    re.compile(r"^-?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+][0-9]+)?$"),
    list("-.0123456789"),
)


def read_yaml(text: str, *, source: str) -> Any:
    """The document in `text`; RoutingFileError with the line when it is not valid YAML."""
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
        problem = " ".join(part for part in (exc.context, exc.problem) if part)
        raise RoutingFileError(
            [f"{where}: not valid YAML: {problem} (check the indentation and brackets there)"]
        ) from exc
    except yaml.YAMLError as exc:
        raise RoutingFileError([f"{source}: not valid YAML: {exc}"]) from exc


class Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line: `{max_open: 25, max_per_day: 10}`."""


class FlowList(list):  # type: ignore[type-arg]
    """A list written on one line: `[US, CA]`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as people write them by hand.
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_str(value)


_Dumper.add_representer(
    Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)
_Dumper.add_representer(
    FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)
_Dumper.add_representer(str, _represent_str)


def write_yaml(data: Any) -> str:
    """Block style, except what was wrapped in Flow/FlowList; keys in the order given."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def fits_on_line(value: Any, room: int) -> bool:
    """Whether `value` written in flow style takes at most `room` characters."""
    text = yaml.dump(value, Dumper=_Dumper, width=1_000_000, default_flow_style=True)
    return len(text.strip().removesuffix("...").strip()) <= room
