"""Data-driven rules: the built-in catalog (``data/catalog.toml``) and user files (``--rules FILE``).

Hundreds of services publish token formats; keeping them as data (one entry: id, provider, kind,
regex, keywords, description, source) keeps each format reviewable against its source and lets a
user add their own in the same shape. A rule file is TOML (``[[rules]]`` tables) or YAML (a
``rules:`` list). Every regex is compiled and checked here, so a bad file is one clear error
before the scan, never a traceback mid-scan.

User rule files reach detection worker processes through ``CREDREACH_RULES`` (paths separated by
``os.pathsep``), which the CLI sets: workers are fresh interpreters and read the same files.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tomllib

from scanner.detect.rules import RULES, Rule, _rule

RULES_ENV = "CREDREACH_RULES"
_REQUIRED = ("id", "provider", "kind", "regex")
_KNOWN = {"id", "provider", "kind", "regex", "keywords", "description", "source", "rotate", "flags",
          "validate", "min_entropy"}
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}]\)[+*{]")


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


def _b64url_json(part: str) -> object:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded))


def _valid_jwt(value: str) -> bool:
    """A JWT whose header and payload decode to JSON objects and whose header names an algorithm."""
    parts = value.split(".")
    if len(parts) != 3:
        return False
    try:
        header, payload = _b64url_json(parts[0]), _b64url_json(parts[1])
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header and isinstance(payload, dict)


def _valid_base64_jwt(value: str) -> bool:
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=False).decode("ascii").strip()
    except (ValueError, UnicodeDecodeError):
        return False
    return _valid_jwt(decoded)


VALIDATORS: dict[str, Callable[[str], bool]] = {"jwt": _valid_jwt, "base64_jwt": _valid_base64_jwt}


def _parse(path: Path) -> list[dict[str, object]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RuleFileError(f"{path}: cannot read rule file ({exc.strerror or exc})") from None
    try:
        if path.suffix.lower() in (".yml", ".yaml"):
            import yaml

            data = yaml.safe_load(raw.decode("utf-8"))
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
        raise RuleFileError(f"{path}: not a valid rule file ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - yaml.YAMLError and kin: one clear message
        raise RuleFileError(f"{path}: not a valid rule file ({type(exc).__name__})") from None
    rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules, list):
        raise RuleFileError(f"{path}: expected a list of rules under `rules` ([[rules]] in TOML)")
    return rules


def _build(path: Path, index: int, entry: object) -> tuple[Rule, str | None, float | None]:
    where = f"{path}: rule {index + 1}"
    if not isinstance(entry, dict):
        raise RuleFileError(f"{where}: expected a table of fields")
    missing = [f for f in _REQUIRED if not isinstance(entry.get(f), str) or not entry.get(f)]
    if missing:
        raise RuleFileError(f"{where}: missing or empty field(s) {', '.join(missing)}")
    where = f"{path}: rule `{entry['id']}`"
    unknown = set(entry) - _KNOWN
    if unknown:
        raise RuleFileError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    regex = str(entry["regex"])
    if _NESTED_QUANTIFIER.search(regex):
        raise RuleFileError(f"{where}: nested quantifier in regex (may backtrack exponentially)")
    flags = 0
    for letter in str(entry.get("flags", "")):
        flags |= {"i": re.I, "s": re.S, "m": re.M}.get(letter, -1)
        if flags < 0:
            raise RuleFileError(f"{where}: unknown flag `{letter}` (use i, s, m)")
    try:
        compiled = re.compile(regex, flags)
    except re.error as exc:
        raise RuleFileError(f"{where}: invalid regex ({exc})") from None
    if "secret" not in compiled.groupindex:
        raise RuleFileError(f"{where}: the regex needs a named group `secret`")
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise RuleFileError(f"{where}: keywords must be a list of non-empty strings")
    validate = entry.get("validate")
    if validate is not None and validate not in VALIDATORS:
        raise RuleFileError(f"{where}: unknown validator `{validate}` (known: {', '.join(VALIDATORS)})")
    min_entropy = entry.get("min_entropy")
    if min_entropy is not None and not isinstance(min_entropy, (int, float)):
        raise RuleFileError(f"{where}: min_entropy must be a number")
    rule = _rule(str(entry["id"]), str(entry["provider"]), str(entry["kind"]), regex, tuple(keywords),
                 str(entry.get("description", "") or f"{entry['kind']} ({entry['id']})"),
                 str(entry.get("rotate", "")), flags)
    return rule, (str(validate) if validate else None), (float(min_entropy) if min_entropy is not None else None)


def load_rule_file(path: str | Path) -> tuple[Rule, ...]:
    """Rules from one TOML/YAML file, validated; raises :class:`RuleFileError` with a clear message."""
    path = Path(path)
    built = [_build(path, i, entry) for i, entry in enumerate(_parse(path))]
    ids = [r.id for r, _, _ in built]
    duplicate = next((i for i in ids if ids.count(i) > 1), None)
    if duplicate:
        raise RuleFileError(f"{path}: rule id `{duplicate}` appears twice")
    for rule, validate, min_entropy in built:
        if validate:
            _VALIDATE[rule.id] = VALIDATORS[validate]
        if min_entropy is not None:
            _MIN_ENTROPY[rule.id] = min_entropy
    return tuple(r for r, _, _ in built)


_VALIDATE: dict[str, Callable[[str], bool]] = {}
_MIN_ENTROPY: dict[str, float] = {}


def validator(rule_id: str) -> Callable[[str], bool] | None:
    return _VALIDATE.get(rule_id)


def min_entropy(rule_id: str) -> float | None:
    return _MIN_ENTROPY.get(rule_id)


@lru_cache(maxsize=1)
def builtin_catalog() -> tuple[Rule, ...]:
    data = resources.files("scanner.detect").joinpath("data/catalog.toml")
    with resources.as_file(data) as path:
        return load_rule_file(path)


def user_rule_paths() -> tuple[str, ...]:
    return tuple(p for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p)


@lru_cache(maxsize=8)
def _user_rules(paths: tuple[str, ...]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for path in paths:
        rules.extend(load_rule_file(path))
    return tuple(rules)


def active_rules(extra_paths: Iterable[str] = ()) -> tuple[Rule, ...]:
    """Provider rules, then the built-in catalog, then user rules (``CREDREACH_RULES`` and ``extra_paths``).

    An id already taken by an earlier rule is skipped (a user cannot silently replace a built-in
    rule; they can add one with another id).
    """
    return _combined(user_rule_paths() + tuple(extra_paths))


@lru_cache(maxsize=8)
def _combined(paths: tuple[str, ...]) -> tuple[Rule, ...]:
    combined: list[Rule] = []
    seen: set[str] = set()
    for rule in (*RULES, *builtin_catalog(), *_user_rules(paths)):
        if rule.id in seen:
            continue
        seen.add(rule.id)
        combined.append(rule)
    return tuple(combined)
