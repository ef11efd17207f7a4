"""A small INI reader that keeps line and column numbers (configparser drops them).

Covers what AWS shared config files and ``.pypirc`` use: ``[section]`` headers, ``key = value``
or ``key: value`` lines, ``#``/``;`` comment lines, and indented continuation lines (AWS nested
sub-sections such as ``s3 =`` followed by indented settings, which we keep but do not interpret).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION = re.compile(r"^\s*\[\s*(?P<name>[^\]]*?)\s*\]\s*(?:[#;].*)?$")
_PAIR = re.compile(r"^(?P<key>[^\s=:#;][^=:]*?)\s*[=:]\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class IniValue:
    value: str
    line: int
    column: int
    """1-based column of the first character of the value."""


@dataclass
class IniSection:
    name: str
    line: int
    values: dict[str, IniValue] = field(default_factory=dict)

    def get(self, key: str) -> IniValue | None:
        return self.values.get(key.lower())


def parse_ini(text: str) -> tuple[list[IniSection], list[int]]:
    """Sections in file order, and the line numbers of lines that made no sense (for a warning).

    Keys are lower-cased (AWS and distutils treat them case-insensitively). A value's
    trailing `` # comment`` is kept: AWS does not strip inline comments either.
    """
    sections: list[IniSection] = []
    current: IniSection | None = None
    bad: list[int] = []
    # Split on "\n" only: str.splitlines() also breaks at \x1c-\x1e, \x85, \u2028 ..., which would
    # shift every later line number away from what an editor (and every other reporter) shows.
    for number, raw in enumerate((line.rstrip("\r") for line in text.split("\n")), start=1):
        stripped = raw.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if raw[0] in " \t" and current is not None and current.values:
            continue  # continuation / nested sub-section line
        section = _SECTION.match(raw)
        if section:
            current = IniSection(section.group("name"), number)
            sections.append(current)
            continue
        pair = _PAIR.match(raw.lstrip())
        if pair is None or current is None:
            bad.append(number)
            continue
        indent = len(raw) - len(raw.lstrip())
        key = pair.group("key").strip().lower()
        value = pair.group("value")
        column = indent + pair.start("value") + 1
        current.values[key] = IniValue(value, number, column)
    return sections, bad
