"""Why a matched value is not a credential: each filter has a name that the report can show.

A rule or keyword match says "a value sits where a credential would"; these filters say when
that value cannot be one: a placeholder (``xxxx``, ``<your-token>``, ``changeme``), a reference
to something else (``${VAR}``, ``os.environ[...]``), a documented example (AWS's
``AKIAIOSFODNN7EXAMPLE``, the Azure storage emulator key), a run of one character or a
sequence, too short or too low in entropy, ordinary words. Every filter is linear in the value
and needs no network. ``--show-filtered`` lists what each one dropped (``filtered_by``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources

# Documented example credentials (AWS docs, Azure Storage emulator/Azurite docs).
EXAMPLE_VALUES = frozenset({
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
})

_PLACEHOLDER_WORDS = (
    "changeme", "change_me", "change-me", "changeit", "placeholder", "example", "sample", "dummy",
    "your_", "your-", "yourtoken", "yoursecret", "yourkey", "yourpassword", "insert", "replace",
    "redacted", "removed", "notreal", "not_real", "not-a-real", "fake", "xxxx", "****", "....",
    "todo", "fixme", "tbd", "secret_here", "token_here", "key_here", "password_here", "here>",
    "enter_", "enter-", "put_your", "my_secret", "mysecret", "mypassword", "my_password", "lorem",
)
_PLACEHOLDER_EXACT = frozenset({
    "none", "null", "nil", "true", "false", "yes", "no", "on", "off", "undefined", "empty",
    "required", "optional", "default", "string", "str", "text", "bool", "boolean", "int", "number",
    "object", "any", "env", "secret", "secrets", "password", "passwd", "pass", "token", "key", "apikey",
    "api_key", "api-key", "auth", "bearer", "basic", "value", "test", "testing", "admin", "root",
    "user", "username", "guest", "public", "private", "hidden", "masked", "unset", "n/a", "na",
})
_REFERENCE = re.compile(
    r"^\$\{?[A-Za-z_]|^\$\(|^%[A-Za-z_(]|\{\{|\}\}|^<%|^#\{|^@\{|^\$\$|^env\(|^\(?process\.env"
    r"|^os\.(?:environ|getenv)|^(?:System\.getenv|getenv|ENV\[|Environment\.GetEnvironmentVariable)"
    r"|^secrets\.|^vars\.|^\{\w+\}$|^<[^>]{1,60}>$|^\[[^\]]{1,60}\]$|^%\w+%$|^\*+$|^ref\+|^vault:"
    r"|^(?:var|local|module|data)\.[a-z_]|^arn:aws:secretsmanager|^projects/[^/]+/secrets/|^sm://|^op://|^keyvault:|^@Microsoft\.KeyVault",
    re.I)
_CODE_FRAGMENT = re.compile(r"[\"'] ?\+ ?\w|\w ?\+ ?[\"']|\{\d+(?:,\d*)?\}|\(\?[:=!P<]|\\[dwsbDWS]|^\^|\$$")
_NUMBERISH = re.compile(r"^[\d.,:\- ]+$")
_PATHISH = re.compile(r"^(?:\.{0,2}/|~/|[A-Za-z]:\\|file:)[\w./\\-]*$")
_URL_NO_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^@\s]*$", re.I)
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+\.[\w.-]+$")
_SEQUENCES = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm")


@lru_cache(maxsize=1)
def words() -> frozenset[str]:
    """Common English and programming words (data/words.txt), for the dictionary-word filter."""
    text = resources.files("scanner.detect").joinpath("data/words.txt").read_text(encoding="utf-8")
    return frozenset(w.strip().lower() for w in text.split() if w.strip() and not w.startswith("#"))


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def is_repeated_or_sequential(value: str, max_unit: int = 16) -> bool:
    """One character dominating, a unit repeated (``abcabc``), or a run of consecutive characters."""
    lowered = value.lower()
    if len(set(lowered)) <= 2:
        return True
    if len(lowered) >= 8 and Counter(lowered).most_common(1)[0][1] >= 0.6 * len(lowered):
        return True  # AKIAAAAAAAAAAAAAAAAA, sk_live_000000...
    size = len(lowered)
    for unit in range(1, min(max_unit, size // 2) + 1):  # a short unit repeated (abcabcabc, 121212)
        # ``unit`` repeated is ``lowered`` exactly when ``lowered`` has period ``unit``.
        if lowered[unit:] == lowered[:size - unit]:
            return True
    if size >= 8:
        # 1234567890123..., abcdefgh...: at least 70% of the steps go up by one (or 9 -> 0).
        wanted = 0.7 * (size - 1)
        missed = 0
        for a, b in zip(lowered, lowered[1:], strict=False):
            if ord(b) - ord(a) not in (1, -9):
                missed += 1
                if size - 1 - missed < wanted:
                    break  # the steps left can no longer reach 70%
        else:
            return True
    stripped = re.sub(r"[^a-z0-9]", "", lowered)
    if len(stripped) >= 6:
        for seq in _SEQUENCES:
            if stripped in seq or stripped in seq[::-1]:
                return True
    return False


def segments_into_words(value: str) -> bool:
    """True when the letters of ``value`` split into dictionary words (``ThisIsNotASecret``, ``db_password``)."""
    parts = [p for p in re.split(r"[^A-Za-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", value)) if p]
    if not parts:
        return False
    vocabulary = words()
    for part in parts:
        lowered = part.lower()
        if lowered in vocabulary:
            continue
        # word break over the vocabulary (bounded: parts are short)
        if len(lowered) > 40:
            return False
        ok = [True] + [False] * len(lowered)
        for end in range(1, len(lowered) + 1):
            for start in range(max(0, end - 14), end):
                if ok[start] and (lowered[start:end] in vocabulary and (end - start > 1 or lowered[start:end] in "ai")):
                    ok[end] = True
                    break
        if not ok[-1]:
            return False
    return True


def placeholder_reason(value: str, *, words: bool = True) -> str | None:
    """The filter a value trips regardless of how long or random it is (placeholders, references, examples)."""
    stripped = value.strip()
    lowered = stripped.lower()
    if stripped in EXAMPLE_VALUES or "EXAMPLE" in stripped:
        return "example_key"
    if _REFERENCE.search(stripped):
        return "variable_reference"
    if lowered in _PLACEHOLDER_EXACT:
        return "placeholder"
    if words and any(word in lowered for word in _PLACEHOLDER_WORDS):
        return "placeholder"
    return None


@lru_cache(maxsize=4096)
def value_reason(value: str, *, min_length: int = 8, min_entropy: float = 2.5,
                 words_allowed: bool = False) -> str | None:
    """Name of the first filter that rejects ``value`` as a credential, or None to keep it.

    ``min_length``/``min_entropy`` depend on the kind: a password can be shorter and less random
    than an API token. ``words_allowed`` keeps values made of words (passphrases) when the
    context is strong (a ``password`` assignment), except single common words. A pure function
    of its arguments, remembered: the same values come back file after file (generated tables of
    digests, vendored copies), about ten calls per distinct value on a site-packages tree.
    """
    stripped = value.strip()
    reason = placeholder_reason(stripped)
    if reason:
        return reason
    if len(stripped) < min_length:
        return "too_short"
    if value != stripped or _CODE_FRAGMENT.search(stripped) or (not words_allowed and re.search(r"\s", stripped)):
        return "not_a_secret_value"  # ' + access_key + ', a regex such as ([0-9a-f]{64})
    if _NUMBERISH.match(stripped) or _PATHISH.match(stripped) or _URL_NO_USERINFO.match(stripped) \
            or _EMAIL.match(stripped):
        return "not_a_secret_value"
    if is_repeated_or_sequential(stripped):
        return "repeated_or_sequential"
    if entropy(stripped) < min_entropy:
        return "low_entropy"
    if stripped.isascii() and re.fullmatch(r"[A-Za-z_\-. ]+", stripped) and (
            stripped.lower() in words() or (not words_allowed and segments_into_words(stripped))):
        return "dictionary_word"
    if not words_allowed and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[._-][A-Za-z0-9]+)+", stripped) \
            and segments_into_words(stripped) and not re.search(r"\d", stripped):
        return "dictionary_word"  # an identifier such as db.password_field or some-config-name
    return None
