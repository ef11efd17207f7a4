"""The one-pass matcher and the linear detect-secrets stand-ins give exactly the answers they replace.

* ``multimatch``: Hyperscan and the pure-``re`` fallback report the same matches as running every
  rule's own regex with ``finditer``, on real files of the installed packages and on strings
  generated from each rule's pattern (ASCII and not), and the candidates are never fewer than the
  rules that match.
* ``ds_speedups``: our ``is_indirect_reference``, ``is_line_allowlisted`` and Shannon entropy give
  detect-secrets' answers on real lines, on random lines built from the characters that matter,
  and on the line shape that made detect-secrets' own filter take seconds (at lengths where the
  original still finishes).
"""

from __future__ import annotations

import logging
import random
import re
import string
from pathlib import Path

import detect_secrets
import pytest
from detect_secrets.filters import allowlist, heuristic
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
from detect_secrets.util.code_snippet import get_code_snippet
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.detect import ds_speedups, multimatch
from scanner.detect.catalog import active_rules

RULES = active_rules()
PATTERNS = [(rule.id, rule.pattern) for rule in RULES]
needs_hyperscan = pytest.mark.skipif(not multimatch.available(), reason="no hyperscan wheel here")


def _real_texts(limit: int = 400) -> list[str]:
    """Source files of installed packages (nobody here wrote them): code, docs, data."""
    roots = [Path(detect_secrets.__file__).parent, Path(string.__file__).parent / "email",
             Path(re.__file__).parent.parent / "json", Path(pytest.__file__).parent]
    texts: list[str] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".txt", ".json", ".cfg", ".toml", ".md", ".rst"}:
                texts.append(path.read_bytes().decode("utf-8", "replace"))
            if len(texts) >= limit:
                return texts
    return texts


def _expected(text: str) -> list[multimatch.Match]:
    return [multimatch.Match(rule_id, m.start(), m.end())
            for rule_id, pattern in PATTERNS for m in pattern.finditer(text)]


@pytest.fixture(scope="module")
def re_matcher() -> multimatch.MultiMatcher:
    return multimatch.MultiMatcher(PATTERNS, engine="re")


@pytest.fixture(scope="module")
def hs_matcher() -> multimatch.MultiMatcher:
    if not multimatch.available():
        pytest.skip("no hyperscan wheel here")
    return multimatch.MultiMatcher(PATTERNS, engine="hyperscan")


# A few real-looking credentials in context, so the real files are not all negatives.
_PLANTED = [
    "export GITHUB_TOKEN=ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u\n",
    "aws_access_key_id = AKIA" + "Z7RQ4MTBW2ZY5XVN\naws_secret_access_key = "
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq8w3Jd9Pa\n",
    'DATABASE_URL="postgres://app:Sup3r-S3cret@db.internal:5432/app"\n',
    "slack: xoxb-" + "1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx\n",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "-----END RSA PRIVATE KEY-----\n",
]


def test_engines_agree_with_finditer_on_real_files(re_matcher: multimatch.MultiMatcher,
                                                    hs_matcher: multimatch.MultiMatcher) -> None:
    texts = _real_texts()
    assert len(texts) > 100
    planted_rules: set[str] = set()
    for i, text in enumerate(texts):
        if i % 7 == 0:
            text = text + "\n" + _PLANTED[i % len(_PLANTED)]
        expected = _expected(text)
        planted_rules.update(m.rule_id for m in expected)
        assert re_matcher.matches(text) == expected
        assert hs_matcher.matches(text) == expected
        truly = {m.rule_id for m in expected}
        assert truly <= hs_matcher.candidates(text)
        assert truly <= re_matcher.candidates(text)
    assert len(planted_rules) >= 4, "the sample holds matches of several rules"


@needs_hyperscan
def test_hyperscan_prunes_most_rules_on_ordinary_text(hs_matcher: multimatch.MultiMatcher) -> None:
    text = Path(heuristic.__file__).read_text()
    assert text.isascii()
    assert len(hs_matcher.candidates(text)) < len(RULES) // 4
    assert hs_matcher.engine == "hyperscan"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                                    HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_engines_agree_on_strings_generated_from_each_rule(data: st.DataObject,
                                                           re_matcher: multimatch.MultiMatcher,
                                                           hs_matcher: multimatch.MultiMatcher) -> None:
    rule_id, pattern = data.draw(st.sampled_from(PATTERNS))
    inner = data.draw(st.from_regex(pattern, fullmatch=True))
    before = data.draw(st.sampled_from(["", "x = ", "\n", 'key: "', "é ", "\t\t`"]))
    after = data.draw(st.sampled_from(["", "\n", '"', " # note", "ß"]))
    text = before + inner + after
    expected = _expected(text)
    assert re_matcher.matches(text) == expected
    assert hs_matcher.matches(text) == expected
    assert {m.rule_id for m in expected} <= hs_matcher.candidates(text)


@needs_hyperscan
def test_a_pattern_hyperscan_cannot_take_is_listed_and_still_matched(caplog: pytest.LogCaptureFixture) -> None:
    patterns = [("quoted-twice", re.compile(r"(?P<q>['\"])secret_[a-z]{4}(?P=q)")),
                ("plain", re.compile(r"\bghx_[0-9a-f]{8}\b"))]
    with caplog.at_level(logging.DEBUG, logger="credreach.multimatch"):
        matcher = multimatch.MultiMatcher(patterns, engine="hyperscan")
    assert set(matcher.unsupported) == {"quoted-twice"}
    assert any("quoted-twice" in record.getMessage() for record in caplog.records)
    text = "a = 'secret_abcd' and b = \"secret_wxyz' and ghx_0123abcd"
    assert [(m.rule_id, text[m.start:m.end]) for m in matcher.matches(text)] == [
        ("quoted-twice", "'secret_abcd'"), ("plain", "ghx_0123abcd")]
    assert matcher.candidates("nothing here") == frozenset()


def test_fallback_says_it_is_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="credreach.multimatch"):
        matcher = multimatch.MultiMatcher([("x", re.compile("abc"))], engine="re")
    assert matcher.engine == "re"
    assert matcher.candidates("xxabcxx") == frozenset({"x"})
    assert matcher.candidates("xxabxx") == frozenset()


def test_required_literals_are_contained_in_every_match() -> None:
    assert multimatch.required_literals(re.compile(r"\b(?P<secret>ghp_[0-9a-zA-Z]{36})\b")) == ("ghp_",)
    assert set(multimatch.required_literals(re.compile(r"(?:AKIA|ASIA)[A-Z]{16}")) or ()) == {"AKIA", "ASIA"}
    assert multimatch.required_literals(re.compile(r"(?i)password\s*=\s*\S+")) is None
    for _, pattern in PATTERNS:
        literals = multimatch.required_literals(pattern)
        for match in pattern.finditer("\n".join(_PLANTED)):
            assert literals is None or any(lit in match.group() for lit in literals)


@needs_hyperscan
def test_compiled_database_survives_export_and_preload(hs_matcher: multimatch.MultiMatcher) -> None:
    compiled = hs_matcher.export()
    assert compiled is not None and compiled.database
    loaded = multimatch.MultiMatcher(PATTERNS, engine="hyperscan", compiled=compiled)
    text = "".join(_PLANTED)
    assert loaded.candidates(text) == hs_matcher.candidates(text)
    assert loaded.matches(text) == _expected(text)


# --- detect-secrets stand-ins ------------------------------------------------------------------

def _redos_line(blanks: int, body: str) -> str:
    """The shape of gitleaks' padded test cases: a quoted token, blanks, a trailing comment."""
    return "\t\t`" + body + "`," + " " * blanks + "// gitleaks:allow"


_BODIES = ['"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"',
           'TokenIssuer = "eyJhbGciOiJSUzI1NiJ9.eyJhenAiOiJiYXIifQ.SO4qjRJPYItkpGGpCDfEhaUfdthO8L9b"',
           'curl -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc" "http://127.0.0.1:8080/api?x=1"',
           "JWT := eyJhbGciOieeeiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0",
           "secret = get_secret(name)", "password = request.headers['x']", "key != os.environ[k]"]


@pytest.mark.parametrize("blanks", [0, 1, 12, 60])
@pytest.mark.parametrize("body", _BODIES)
def test_indirect_reference_matches_detect_secrets_on_the_redos_shape(blanks: int, body: str) -> None:
    line = _redos_line(blanks, body)
    assert ds_speedups.is_indirect_reference(line) == heuristic.is_indirect_reference(line)


def test_indirect_reference_matches_detect_secrets_on_real_and_random_lines() -> None:
    lines = [line for text in _real_texts(150) for line in text.split("\n") if len(line) <= 300]
    assert len(lines) > 5000
    rng = random.Random(7)
    alphabet = ":=!([])\x0b \t\u00a0ab_.-1é\"'"
    lines += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 18))) for _ in range(30000)]
    lines += ["x" * 1001 + " = f(a)", "x = f(a)" + " " * 993]  # around detect-secrets' 1,000 bound
    mismatches = [line for line in lines
                  if ds_speedups.is_indirect_reference(line) != heuristic.is_indirect_reference(line)]
    assert mismatches == []
    assert any(heuristic.is_indirect_reference(line) for line in lines)


def test_allowlist_stand_in_matches_detect_secrets() -> None:
    cases = ['x = "hunter2"  # pragma: allowlist secret', "x = 'hunter2' // pragma: allowlist secret",
             "pw = 'x' /* pragma: allowlist secret */", "# pragma: allowlist nextline secret", "pw = 'x'",
             "pw = 'x' # pragma allowlist secret", "   " * 50 + "nothing", "<!-- pragma: allowlist secret -->"]
    for filename in ("a.py", "b.yaml", "c.go", "d"):
        for i in range(len(cases)):
            for j in range(len(cases)):
                lines = [cases[i], cases[j]]
                snippet = get_code_snippet(lines, 2)
                assert (ds_speedups.is_line_allowlisted(filename, cases[j], snippet)
                        == allowlist.is_line_allowlisted(filename, cases[j], snippet)), (filename, lines)


def test_entropy_is_bit_for_bit_detect_secrets() -> None:
    rng = random.Random(11)
    plugins = [Base64HighEntropyString(), HexHighEntropyString()]
    alphabets = [string.hexdigits, string.ascii_letters + string.digits + "+/=-_", "ab", string.digits, "é€x"]
    for _ in range(20000):
        data = "".join(rng.choice(rng.choice(alphabets)) for _ in range(rng.randrange(1, 70)))
        for plugin in plugins:
            assert ds_speedups.shannon_entropy(plugin, data) == ds_speedups._ORIGINAL_ENTROPY(plugin, data)


def test_install_swaps_only_the_listed_filters() -> None:
    class Settings:
        filters: dict[str, dict[str, object]] = {"detect_secrets.filters.heuristic.is_indirect_reference": {},
                   "detect_secrets.filters.allowlist.is_line_allowlisted": {},
                   "detect_secrets.filters.heuristic.is_sequential_string": {}}

    ds_speedups.install(Settings)
    assert set(Settings.filters) == {"scanner.detect.ds_speedups.is_indirect_reference",
                                     "scanner.detect.ds_speedups.is_line_allowlisted",
                                     "detect_secrets.filters.heuristic.is_sequential_string"}


@needs_hyperscan
def test_non_ascii_text_gets_the_literal_answer_in_one_pass(hs_matcher: multimatch.MultiMatcher,
                                                           re_matcher: multimatch.MultiMatcher) -> None:
    """Text with a non-ASCII character is answered from a database of the required literals (UTF-8
    bytes): the same candidates as one containment test per literal."""
    assert hs_matcher._lit_db is not None
    for i, text in enumerate(_real_texts()[:150]):
        text = "naïve café — " + text + "\n" + _PLANTED[i % len(_PLANTED)]
        assert hs_matcher.candidates(text) == re_matcher.candidates(text)
        assert hs_matcher.matches(text) == _expected(text)
    restored = multimatch.MultiMatcher(PATTERNS, engine="hyperscan", compiled=hs_matcher.export())
    sample = "ü " + _PLANTED[0]
    assert restored.candidates(sample) == re_matcher.candidates(sample)
