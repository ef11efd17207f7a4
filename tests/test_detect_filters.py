"""False alarms stay low (issue 14.3, 13.1): each filter names itself, behind --show-filtered.

Placeholders, references, documented example keys, repeated or sequential runs, short or
low-entropy values and ordinary words are not credentials: not reported, not registered with the
redactor (so ordinary words in paths and kinds stay as they are), and listed with the filter that
dropped them when the user asks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.detect.filters import value_reason
from scanner.pipeline import ScanOptions, collect


def scan_json(path: Path, *extra: str) -> dict[str, object]:
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(path), "--offline", "-f", "json", *extra],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize(("value", "reason"), [
    ("xxxxxxxxxxxxxxxx", "placeholder"), ("<your-token>", "variable_reference"), ("${DB_PASSWORD}", "variable_reference"),
    ("changeme", "placeholder"), ("AKIAIOSFODNN7EXAMPLE", "example_key"),
    ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==", "example_key"),
    ("abcabcabcabcabc", "repeated_or_sequential"), ("1234567890", "not_a_secret_value"),
    ("abcdefghijkl", "repeated_or_sequential"), ("abc", "too_short"), ("postgres", "dictionary_word"),
    ("ThisIsNotASecret", "dictionary_word"), ("/etc/ssl/private", "not_a_secret_value"),
])
def test_filter_names_why(value: str, reason: str) -> None:
    assert value_reason(value) == reason


def test_random_values_pass_the_filters() -> None:
    assert value_reason("q7Vd2LmX9pRt4ZwK8sNb3Hc6") is None
    assert value_reason("Tr0ub4dor&3xQ", min_length=6, min_entropy=1.9, words_allowed=True) is None


def test_show_filtered_lists_each_drop_with_its_filter_and_no_value(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("API_KEY=changeme\nDB_PASSWORD=${DB_PASSWORD}\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
                                   "SERVICE_TOKEN=aaaaaaaaaaaaaaaaaaaa\n")
    plain = scan_json(tmp_path)
    assert plain["credentials"] == [] and "filtered" not in plain
    shown = scan_json(tmp_path, "--show-filtered")
    reasons = {(f["location"]["line"], f["filtered_by"]) for f in shown["filtered"]}
    assert {(1, "placeholder"), (2, "variable_reference"), (3, "example_key"), (4, "repeated_or_sequential")} <= reasons
    assert "AKIAIOSFODNN7EXAMPLE" not in json.dumps(shown)


def test_ordinary_words_are_not_registered_with_the_redactor(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    (config / "secret_token.py").write_text('password = "password"\nsecret = "secret"\nDB = "postgres"\n'
                                            'db_password = "postgres"\n')
    (config / "real.env").write_text("DB_PASSWORD=Zq8!vR2#mK5pL\n")
    report = scan_json(tmp_path)
    paths = [loc["path"] for c in report["credentials"] for loc in c["locations"]]
    assert len(report["credentials"]) == 1 and paths[0].endswith("real.env")
    assert "****" not in json.dumps(report["scan"])


def test_filtered_hits_are_not_credentials_in_the_pipeline(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("db:\n  password: postgres\n  token: xxxxxxxxxxxxxxxxxxxx\n")
    sink = collect(ScanOptions(roots=(str(tmp_path),), offline=True, show_filtered=True))
    assert sink.hits == []
    assert {f.filtered_by for f in sink.filtered} >= {"dictionary_word", "placeholder"}
    unkept = collect(ScanOptions(roots=(str(tmp_path),), offline=True))
    assert unkept.filtered == [] and unkept.filtered_count == sink.filtered_count == len(sink.filtered)


def _repeated_or_sequential_as_first_written(value: str, max_unit: int = 16) -> bool:
    """The filter as first written (unit strings built and compared, every step counted): the
    faster period/early-exit form in scanner.detect.filters must answer exactly the same."""
    import re as _re
    from collections import Counter as _Counter

    from scanner.detect.filters import _SEQUENCES

    lowered = value.lower()
    if len(set(lowered)) <= 2:
        return True
    if len(lowered) >= 8 and _Counter(lowered).most_common(1)[0][1] >= 0.6 * len(lowered):
        return True
    for unit in range(1, min(max_unit, len(lowered) // 2) + 1):
        whole, _ = divmod(len(lowered), unit)
        if (lowered[:unit] * (whole + 1))[:len(lowered)] == lowered and whole >= 2:
            return True
    if len(lowered) >= 8:
        steps = sum(1 for a, b in zip(lowered, lowered[1:], strict=False) if ord(b) - ord(a) in (1, -9))
        if steps >= 0.7 * (len(lowered) - 1):
            return True
    stripped = _re.sub(r"[^a-z0-9]", "", lowered)
    return len(stripped) >= 6 and any(stripped in seq or stripped in seq[::-1] for seq in _SEQUENCES)


_UNITS = st.text(alphabet="ab1290xyzXY", min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(st.one_of(
    st.text(alphabet="abc0123456789", max_size=40),
    st.builds(lambda unit, n, noise: ((unit * 40)[:n] + noise), _UNITS, st.integers(0, 40),
              st.text(alphabet="q7", max_size=2)),
    st.builds(lambda start, n, flips: "".join(
        "z" if i in flips else str((start + i) % 10) for i in range(n)), st.integers(0, 9), st.integers(0, 30),
        st.sets(st.integers(0, 30), max_size=8)),
), st.sampled_from([4, 16]))
def test_repeated_or_sequential_answers_as_first_written(value: str, max_unit: int) -> None:
    from scanner.detect.filters import is_repeated_or_sequential

    assert is_repeated_or_sequential(value, max_unit) == _repeated_or_sequential_as_first_written(value, max_unit)
