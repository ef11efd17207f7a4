"""What every credential-store parser shares: the file being parsed and how to report from it.

A parser gets a :class:`StoreFile` (path, decoded text, store name, sink) and calls
:meth:`StoreFile.emit` for each credential it understands, with the exact line and column of the
value. Parsers never raise on bad input: they call :meth:`StoreFile.warn` and move on, and the
dispatcher in :mod:`scanner.sources.stores` catches anything they missed.

Messages never quote file content: YAML and JSON errors are reduced to "problem at line N" because
their default text echoes the offending line, which may hold the secret.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from scanner.detect.rules import classify_token  # noqa: F401  (re-exported for the parsers)
from scanner.model import Hit, Location, SourceKind
from scanner.sources.base import Sink
from scanner.sources.files import display_path

Position = tuple[int | None, int | None]
"""1-based (line, column), or (None, None) when the value could not be located."""

NOWHERE: Position = (None, None)


class StoreFormatError(Exception):
    """A store file that does not parse; the message is safe to show (no file content)."""


@dataclass
class StoreFile:
    path: str
    """Absolute path of the file; becomes ``Location.path``."""
    store: str
    text: str
    sink: Sink
    hits: int = 0
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        for i, ch in enumerate(self.text):
            if ch == "\n":
                starts.append(i + 1)
        self._line_starts = starts

    # --- positions -----------------------------------------------------------------------
    def position(self, offset: int) -> Position:
        """1-based line and column of a character offset in the text."""
        if offset < 0:
            return NOWHERE
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """Character offset of a 1-based (line, column)."""
        return self._line_starts[line - 1] + column - 1

    def find(self, needle: str, start: int = 0) -> Position:
        """Position of the first occurrence of ``needle`` at or after ``start`` (an offset)."""
        if not needle:
            return NOWHERE
        index = self.text.find(needle, start)
        if index < 0:
            # JSON may escape "/" as "\/"; try the escaped spelling before giving up.
            escaped = needle.replace("/", "\\/")
            index = self.text.find(escaped, start) if escaped != needle else -1
        return self.position(index) if index >= 0 else NOWHERE

    def find_json_string(self, value: str, after_key: str | None = None, start: int = 0) -> Position:
        """Position (of the first character inside the quotes) of a JSON string value.

        ``after_key`` narrows the search to the occurrence following ``"key"`` so that the same
        value under two keys points at the right one.
        """
        if after_key is not None:
            key_at = self.text.find(json.dumps(after_key), start)
            if key_at >= 0:
                start = key_at
        encoded = json.dumps(value)[1:-1]
        pos = self.find(encoded, start)
        if pos == NOWHERE and start:
            pos = self.find(encoded, 0)
        return pos

    # --- reporting -----------------------------------------------------------------------
    def emit(self, provider: str, kind: str, secret: str, position: Position, *,
             profile: str | None = None, companions: Mapping[str, str] | None = None,
             specific: bool = True, filtered_by: str | None = None) -> None:
        """Report one credential; with ``filtered_by`` (a false-alarm filter's name) it is listed only
        under ``--show-filtered`` and not counted as a hit."""
        if not secret:
            return
        line, column = position
        location = Location(path=display_path(self.path), line=line, column=column, source=SourceKind.HOME,
                            store=self.store, profile=profile)
        clean = {k: v for k, v in (companions or {}).items() if v}
        self.sink.hit(Hit(provider=provider, kind=kind, secret=secret, location=location,
                          rule=f"store:{self.store}", companions=clean, specific=specific,
                          filtered_by=filtered_by))
        if filtered_by is None:
            self.hits += 1

    def warn(self, message: str) -> None:
        self.sink.warn(f"{self.path}: {message}")


# --- token classification ------------------------------------------------------------------

# --- JSON and YAML helpers -------------------------------------------------------------------

def load_json(store_file: StoreFile) -> Any:
    try:
        return json.loads(store_file.text)
    except json.JSONDecodeError as exc:
        raise StoreFormatError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (RecursionError, ValueError):
        raise StoreFormatError("not valid JSON") from None


def load_json_object(store_file: StoreFile) -> dict[str, Any]:
    """The store's JSON document, which must be an object (most CLI credential files are)."""
    data = load_json(store_file)
    if not isinstance(data, dict):
        raise StoreFormatError("expected a JSON object")
    return data


def yaml_error(exc: yaml.YAMLError) -> StoreFormatError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or "syntax error"
    where = f" at line {mark.line + 1}" if mark is not None else ""
    return StoreFormatError(f"not valid YAML ({problem}{where})")


YamlPath = tuple[Any, ...]


def load_yaml(store_file: StoreFile) -> tuple[Any, dict[YamlPath, Position]]:
    """The YAML document and the 1-based position of every scalar, keyed by its path.

    PyYAML's node tree keeps marks; we compose once for positions and construct the value with
    the safe loader (no tags that build Python objects).
    """
    try:
        node = yaml.compose(store_file.text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(store_file.text)
    except yaml.YAMLError as exc:
        raise yaml_error(exc) from None
    except (RecursionError, ValueError):
        raise StoreFormatError("not valid YAML") from None
    positions: dict[YamlPath, Position] = {}
    if node is not None:
        for path, scalar in _walk_nodes(node, (), set()):
            # From the character index, not mark.line: YAML also breaks lines at U+0085/U+2028/U+2029,
            # which editors and every other position credreach reports do not.
            quoted = 1 if scalar.style in ("'", '"') else 0  # point inside the quotes, at the value
            positions[path] = store_file.position(scalar.start_mark.index + quoted)
    return data, positions


def _walk_nodes(node: yaml.Node, path: YamlPath, seen: set[int]) -> Iterator[tuple[YamlPath, yaml.ScalarNode]]:
    """Scalars with their paths. Each collection node is entered once: YAML aliases share nodes,
    and following every alias of a "billion laughs" document would take exponential time."""
    if isinstance(node, yaml.ScalarNode):
        yield path, node
        return
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _walk_nodes(child, (*path, index), seen)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            yield from _walk_nodes(value_node, (*path, key), seen)


def as_str(value: Any) -> str:
    """A scalar as text ('' for missing, containers and booleans)."""
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()
