"""The fast path finds exactly what the exact path finds, and parallel runs equal serial runs.

The fast path (scanner/detect/prefilter.py) only hands detect-secrets the lines its plugins can
flag; the exact path (CREDREACH_NO_FAST_PATH=1) hands it every line. Both must report the same
findings (kind, secret fingerprint, line, column) on a corpus of true and false positives, on
generated text, and through the real CLI, serially and with worker processes.
No speed is asserted here; bench/ measures speed.
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.detect import ds_plugins, multimatch, prefilter
from scanner.detect.engine import detect
from scanner.model import Location, SourceKind
from scanner.pipeline import ScanOptions, collect
from scanner.redact import fingerprint
from scanner.sources.base import Document
from tests.conftest import run_credreach

DATA = Path(__file__).parent / "data" / "fastpath"
_RNG = random.Random(20240611)
_ALNUM = string.ascii_letters + string.digits


def _rand(alphabet: str, n: int) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _b64url(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


# Token-shaped values, assembled at run time from a prefix and seeded random characters.
VALUES: dict[str, str] = {
    "GITHUB": "ghp_" + _rand(_ALNUM, 36),
    "AWS_ID": "AKIA" + _rand(string.ascii_uppercase + "234567", 16),
    "AWS_SECRET": _rand(_ALNUM + "/+", 40),
    "STRIPE": "sk_" + "live_" + _rand(_ALNUM, 24),
    "SLACK": "xoxb-" + _rand(string.digits, 10) + "-" + _rand(string.digits, 13) + "-" + _rand(_ALNUM, 24),
    "WORD": "Hunter2" + _rand(string.ascii_lowercase, 6),
    "WORD2": "Corr3ct" + _rand(string.ascii_lowercase, 8),
    "B64": _rand(_ALNUM + "+/", 44),
    "B64_2": _rand(_ALNUM + "-_", 32),
    "HEX": _rand("0123456789abcdef", 32),
    "OPENAI": "sk-" + _rand(_ALNUM, 20) + "T3Blbk" + "FJ" + _rand(_ALNUM, 20),
    "PYPI": "pypi-" + "AgEIcHlwaS5vcmc" + _rand(_ALNUM, 80),
    "JWT": _b64url({"alg": "HS256", "typ": "JWT"}) + "." + _b64url({"sub": "fake", "iat": 1}) + "."
           + _rand(_ALNUM + "-_", 43),
    "GITLAB": "glpat-" + _rand(_ALNUM, 20),
    "SENDGRID": "SG." + _rand(_ALNUM, 22) + "." + _rand(_ALNUM, 43),
    "TWILIO_AC": "AC" + _rand("0123456789abcdef", 32),
    "TWILIO_SK": "SK" + _rand("0123456789abcdef", 32),
    "MAILCHIMP": _rand("0123456789abcdef", 32) + "-us12",
    "TELEGRAM": _rand(string.digits, 9) + ":" + _rand(_ALNUM, 35),
    "DISCORD": "M" + _rand(_ALNUM, 23) + "." + _rand(_ALNUM, 6) + "." + _rand(_ALNUM, 27),
    "AZURE": _rand(_ALNUM + "+/", 86) + "==",
    "ARTIFACTORY": "AKC" + _rand(_ALNUM, 60),
    "SQUARE": "sq0csp-" + _rand(_ALNUM, 43),
    "IBM_IAM": _rand(_ALNUM + "_-", 44),
    "IBM_COS": _rand("0123456789abcdef", 48),
    "SOFTLAYER": _rand(string.ascii_lowercase + string.digits, 64),
    "CLOUDANT_PW": _rand("0123456789abcdef", 64),
    "CLOUDANT_KEY": _rand(string.ascii_lowercase, 24),
    "NPM": "npm_" + _rand(_ALNUM, 36),
    "NPM_UUID": "6f1c2d3e-4b5a-4c6d-8e7f-" + _rand("0123456789abcdef", 12),
    "PRIVATE_KEY": "-----BEGIN " + "RSA PRIVATE KEY-----\n"
                   + "\n".join(_rand(_ALNUM + "+/", 64) for _ in range(6))
                   + "\n-----END " + "RSA PRIVATE KEY-----",
}


def _render(template: str) -> str:
    return re.sub(r"\{\{([A-Z0-9_]+)\}\}", lambda m: VALUES[m.group(1)], template)


@pytest.fixture(scope="module")
def corpus() -> dict[str, str]:
    files = {path.name.removesuffix(".tmpl"): _render(path.read_text(encoding="utf-8"))
             for path in sorted(DATA.glob("*.tmpl"))}
    assert len(files) >= 10
    return files


def _document(name: str, text: str) -> Document:
    return Document(text, Location(path=name, line=None, column=None, source=SourceKind.WORKSPACE),
                    len(text.encode()))


def _findings(name: str, text: str, fast: bool) -> list[tuple[str, str, int | None, int | None, str]]:
    return [(h.kind, fingerprint(h.secret), h.location.line, h.location.column, h.rule)
            for h in detect(_document(name, text), fast=fast) if h.filtered_by is None]


def _filtered(name: str, text: str, fast: bool) -> list[tuple[str, str, int | None, int | None, str, str]]:
    return [(h.kind, fingerprint(h.secret), h.location.line, h.location.column, h.rule, h.filtered_by)
            for h in detect(_document(name, text), fast=fast) if h.filtered_by is not None]


def test_every_plugin_has_a_prefilter() -> None:
    """A plugin without finders would silently fall back to scanning every line."""
    for gate in ds_plugins.gates():
        assert gate.ascii_finders is not None, type(gate.plugin).__name__


def test_keyword_literals_cover_detect_secrets_keywords() -> None:
    from detect_secrets.plugins.keyword import DENYLIST

    for keyword in DENYLIST:
        # Every spelling the keyword regex accepts contains one of the prefilter's literals.
        spellings = {keyword.replace("_?", "_"), keyword.replace("_?", "")}
        for spelling in spellings:
            assert any(lit in spelling for lit in prefilter._KEYWORD_LITERALS), keyword


def test_ignorecase_specials_are_complete() -> None:
    """The characters re.I folds onto an ASCII letter although lower() does not (all of Unicode)."""
    letter = re.compile("[a-z]", re.IGNORECASE)
    specials = []
    for code in range(128, 0x110000):
        char = chr(code)
        if letter.fullmatch(char) and not (len(char.lower()) == 1 and char.lower() in string.ascii_lowercase):
            specials.append(char)
    assert tuple(specials) == prefilter._IGNORECASE_SPECIALS


def test_corpus_same_findings_fast_and_exact(corpus: dict[str, str]) -> None:
    total = 0
    for name, text in corpus.items():
        fast = _findings(name, text, fast=True)
        exact = _findings(name, text, fast=False)
        assert fast == exact, name
        assert _filtered(name, text, fast=True) == _filtered(name, text, fast=False), name
        total += len(fast)
    assert total >= 60  # the corpus is not trivially empty


def test_corpus_true_positives_are_found(corpus: dict[str, str]) -> None:
    found = {(name, kind) for name, text in corpus.items() for kind, *_ in _findings(name, text, fast=True)}
    kinds = {kind for _, kind in found}
    for expected in ("private_key", "jwt", "secret_keyword", "high_entropy_string", "basic_auth_url",
                     "discord_bot_token", "telegram_bot_token", "azure_storage_key", "square_oauth_secret",
                     "mailchimp_api_key", "ibm_cloud_iam_key", "ibm_cos_hmac", "softlayer_credentials",
                     "cloudant_credentials", "artifactory_credentials"):
        assert expected in kinds, expected
    # re.IGNORECASE folds "ſ" onto "s": detect-secrets flags `ſecret = ...` and `paſſword = ...`
    # (lines 2 and 3), and so must the prefilter, although "ſ".lower() is not "s".
    unicode_lines = {line for kind, _, line, _, _ in _findings("unicode.txt", corpus["unicode.txt"], fast=True)
                     if kind == "secret_keyword"}
    assert {2, 3} <= unicode_lines


def test_corpus_false_positives_stay_filtered(corpus: dict[str, str]) -> None:
    text = corpus["settings.py"]
    lines = {line for _, _, line, _, _ in _findings("settings.py", text, fast=True)}
    numbered = {n: t for n, t in enumerate(text.split("\n"), start=1)}
    for number, line in numbered.items():
        if any(marker in line for marker in ("allowlist secret", "${SECRET_KEY}", "{{ secret }}",
                                             "os.environ", "123e4567", "abcdefghijklmnop")):
            assert number not in lines, line
    assert numbered and 23 not in lines  # the line after "allowlist nextline"


_FRAGMENTS = [
    "password", "secret", "api_key", "Key", "token", "pwd", "aws", "ſecret", "İ", "ı", "K",
    " = ", ": ", ":=", "==", "=>", "(", ")", "[", "]", ";", ",", " ", "\t", "\r", '"', "'", "`", "@",
    "${X}", "://", "user:pw@", "AKIA", "ghp_", "xoxb-", "sk_live_", "eyJ", "SG.", "AccountKey=",
    "T3BlbkFJ", "PRIVATE KEY", "-us1", "cl_key", "sl_api_key", "ibm_iam_key", "AKC", "AP1",
    "# pragma: allowlist secret", "0123456789abcdef", "deadbeefcafe", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI",
    "Zm9vYmFyYmF6cXV4cXV1eHF1dXVxdXV4eHh4eHh4", "\n", "\n", "\n",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60), st.sampled_from(["a.py", "b.yaml", "c.go", "d"]))
def test_generated_text_same_findings(fragments: list[str], filename: str) -> None:
    text = "".join(fragments)
    fast = [(s.type, s.secret_value, s.line_number) for s in ds_plugins.raw_secrets(text, filename, True)]
    exact = [(s.type, s.secret_value, s.line_number) for s in ds_plugins.raw_secrets(text, filename, False)]
    assert fast == exact


def _workspace(root: Path, corpus: dict[str, str], copies: int) -> Path:
    for i in range(copies):
        sub = root / f"pkg{i:03d}"
        sub.mkdir(parents=True)
        for name, text in corpus.items():
            (sub / name).write_text(text, encoding="utf-8", newline="")
    return root


def _report(root: Path, env: dict[str, str]) -> dict:
    # HOME outside the scanned root: the reach map a run writes under HOME must not be scanned next time.
    run = run_credreach("scan", str(root), "--offline", "--format", "json", "--no-reach-map", cwd=root,
                        env={"HOME": str(root.parent / "no-home"), **env}, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    report = run.json()
    report["scan"].pop("duration_seconds", None)
    return report


def test_cli_parallel_serial_and_exact_give_identical_reports(tmp_path: Path, corpus: dict[str, str]) -> None:
    root = _workspace(tmp_path / "ws", corpus, copies=40)
    parallel = _report(root, {"CREDREACH_WORKERS": "2", "CREDREACH_PARALLEL_MIN_BYTES": "0"})
    serial = _report(root, {"CREDREACH_WORKERS": "1"})
    exact = _report(root, {"CREDREACH_WORKERS": "2", "CREDREACH_PARALLEL_MIN_BYTES": "0",
                           "CREDREACH_NO_FAST_PATH": "1"})
    assert parallel["credentials"], "the corpus yields credentials"
    assert parallel["scan"]["files_scanned"] == 40 * len(corpus)
    assert json.dumps(parallel, sort_keys=True) == json.dumps(serial, sort_keys=True)
    assert json.dumps(exact, sort_keys=True) == json.dumps(serial, sort_keys=True)


def test_progress_reported_from_parent_in_order_with_workers(tmp_path: Path, corpus: dict[str, str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = _workspace(tmp_path / "ws", corpus, copies=30)
    monkeypatch.setenv("CREDREACH_WORKERS", "2")
    monkeypatch.setenv("CREDREACH_PARALLEL_MIN_BYTES", "0")
    calls: list[tuple[int, int]] = []
    sink = collect(ScanOptions(roots=(str(root),), offline=True), progress=lambda f, b: calls.append((f, b)))
    assert len(calls) == sink.files == 30 * len(corpus)
    assert calls == sorted(calls) and calls[-1] == (sink.files, sink.bytes)
    assert [f for f, _ in calls] == list(range(1, sink.files + 1))

    monkeypatch.setenv("CREDREACH_WORKERS", "1")
    serial = collect(ScanOptions(roots=(str(root),), offline=True))
    assert [(h.kind, h.secret, h.location) for h in sink.hits] == \
        [(h.kind, h.secret, h.location) for h in serial.hits]


# --- the Hyperscan finder pass (prefilter.FinderDatabase) ------------------------------------------

needs_hyperscan = pytest.mark.skipif(multimatch.wanted_hyperscan() is None,
                                     reason="no hyperscan wheel here, or CREDREACH_MATCHER=re")


def _flagged_lines(text: str, filename: str) -> set[tuple[int, str]]:
    """(line, plugin class) of every raw finding of detect-secrets' own exact line loop."""
    by_type = {gate.plugin.secret_type: type(gate.plugin).__name__ for gate in ds_plugins.gates()}
    return {(s.line_number, by_type[s.type]) for s in ds_plugins.raw_secrets(text, filename, False)}


def _marked_lines_by_plugin(text: str) -> set[tuple[int, str]]:
    """(line, plugin class) of every line the finder pass marks for a plugin."""
    gates = ds_plugins.gates()
    names = {gate.index: type(gate.plugin).__name__ for gate in gates}
    marks = prefilter.marked_lines(text, gates)
    return {(line, names[i]) for line, (_, indices) in marks.items() for i in indices}


@needs_hyperscan
def test_hyperscan_finder_pass_marks_every_line_a_plugin_flags(corpus: dict[str, str]) -> None:
    gates = ds_plugins.gates()
    assert prefilter.finder_database(gates).available
    names = {gate.index: type(gate.plugin).__name__ for gate in gates}
    checked = 0
    for filename, text in corpus.items():
        if not text.isascii():
            continue
        marks = prefilter.marked_lines(text, gates)
        marked = {(line, names[i]) for line, (_, indices) in marks.items() for i in indices}
        flagged = _flagged_lines(text, filename)
        assert flagged <= marked, (filename, sorted(flagged - marked))
        checked += len(flagged)
    assert checked > 20, "the corpus holds findings of many plugins"


@needs_hyperscan
def test_hyperscan_finder_pass_marks_fewer_lines_than_the_literal_finders(corpus: dict[str, str]) -> None:
    """The plugins' own regexes (AWS' ``aws...key...'40 chars'``, the keyword list) replace the short
    literals ("aws", "key") that mark most lines of cloud SDK code."""
    gates = ds_plugins.gates()
    text = "".join(f"    response = client.aws_key_{i}(keys=['a', 'b'], passthrough=True)\n" for i in range(200))
    fast = prefilter.marked_lines(text, gates)
    literal = prefilter.marked_lines(text, gates, use_hyperscan=False)
    assert sum(len(v[1]) for v in fast.values()) < sum(len(v[1]) for v in literal.values()) / 2
    assert ds_plugins.raw_secrets(text, "a.py", True) == ds_plugins.raw_secrets(text, "a.py", False)


def test_newline_check_reads_the_translated_byte_sets() -> None:
    assert prefilter._may_match_newline(rb"[\x00-\x7f]")
    assert prefilter._may_match_newline(rb"\x41[\x09-\x0d]")
    assert not prefilter._may_match_newline(rb"[\x00-\x09\x0b-\x7f]{3,}\x61")


@needs_hyperscan
def test_a_finder_match_across_lines_marks_each_line() -> None:
    """Artifactory's regex starts with ``\\s``: a match may begin on the previous line's newline."""
    gates = ds_plugins.gates()
    index = next(g.index for g in gates if type(g.plugin).__name__ == "ArtifactoryDetector")
    text = "first line\nAKC" + "a1B2c3D4e5F6g7H8i9" + " tail\nlast\n"
    marks = prefilter.marked_lines(text, gates)
    assert index in marks[2][1]
    assert marks[2][0] == text.index("AKC")
    assert ds_plugins.raw_secrets(text, "x.txt", True) == ds_plugins.raw_secrets(text, "x.txt", False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=60))
def test_generated_text_marks_cover_exact_findings(fragments: list[str]) -> None:
    text = "".join(fragments)
    assert _flagged_lines(text, "a.py") <= _marked_lines_by_plugin(text)


def test_filter_calls_answer_as_detect_secrets_own_filter_loop(corpus: dict[str, str]) -> None:
    """ds_plugins._is_filtered_out reads each filter's parameters once; upstream's works them out per
    call. Same verdict on every (line, secret) of the corpus, for the line, secret and context sets."""
    from detect_secrets.core.scan import _is_filtered_out as upstream
    from detect_secrets.util.code_snippet import get_code_snippet

    ds_plugins.configure()
    plugin = ds_plugins.gates()[0].plugin
    verdicts = {True: 0, False: 0}
    for filename, text in corpus.items():
        lines = text.split("\n")
        for number, line in enumerate(lines[:80], start=1):
            context = get_code_snippet(lines=lines, line_number=number)
            for secret in {w.strip("'\",;()") for w in line.split()} | {""}:
                for required, kwargs in (
                    (["line"], {"filename": filename, "line": line, "context": context}),
                    (["secret"], {"filename": filename, "secret": secret, "plugin": plugin, "line": line}),
                    (["context"], {"filename": filename, "secret": secret, "plugin": plugin, "line": line,
                                   "context": context}),
                ):
                    mine = ds_plugins._is_filtered_out(required, **kwargs)
                    assert mine == upstream(required_filter_parameters=required, **kwargs), (filename, number)
                    verdicts[mine] += 1
    assert verdicts[True] > 50 and verdicts[False] > 50


def test_allow_comment_check_folds_like_the_case_insensitive_regex_over_all_of_unicode() -> None:
    """engine.has_allow_comment searches ALLOWLIST's lower-case pattern on ``text.lower()`` unless
    the text holds one of prefilter's three special characters: every character ``re.I`` matches
    with a letter of the pattern must lower() to that letter, or be one of those three."""
    from scanner.detect import engine
    from scanner.detect.prefilter import _IGNORECASE_SPECIALS

    letters = {c for c in engine.ALLOWLIST.pattern if c.isascii() and c.isalpha()}
    for letter in sorted(letters):
        folding = re.compile(letter, re.IGNORECASE)
        for char in map(chr, range(0x80, 0x110000)):
            if folding.fullmatch(char):
                assert char.lower() == letter or char in _IGNORECASE_SPECIALS, (letter, hex(ord(char)))
    for line in ("# pragma: allowlist secret", "x = 1  # CREDREACH:ALLOW", "// GitLeaks:Allow", "PRAGMA:ALLOWLIST-SECRET",
                 "gitlea\u212as:allow", "pragma: allowli\u017ft secret", '"Effect": "Allow"'):
        assert engine.has_allow_comment(line) == (engine.ALLOWLIST.search(line) is not None), line
    assert not engine.has_allow_comment("token = 'abc'  # nothing to see")


_ALLOW_PIECES = ("pragma:", "pragma: ", "allowlist", "ALLOWLIST", " secret", "-secret", "credreach:", "gitleaks:",
                 "GITLEAKS:", "allow", "Allow", ":allow", "\u212a", "\u017f", "\u0131", "\u0130", "s", "k", "i", "\t",
                 "\n", " ", "x")


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_ALLOW_PIECES), max_size=12))
def test_allow_comment_check_answers_what_the_regex_answers(pieces: list[str]) -> None:
    from scanner.detect import engine

    text = "".join(pieces)
    assert engine.has_allow_comment(text) == (engine.ALLOWLIST.search(text) is not None)


_QUOTED_PIECES = ('"', "'", '""', "''", '": "', "BurstablePerformanceSupported", "a" * 30, "0123456789" * 3,
                  "deadbeef" * 3, VALUES["B64"], VALUES["B64_2"], VALUES["HEX"], VALUES["AWS_SECRET"], " ", ", ",
                  "\n", "=", "key = ", "x")


@needs_hyperscan
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_QUOTED_PIECES), max_size=40))
def test_quoted_runs_with_too_few_distinct_characters_mark_nothing_a_plugin_needs(pieces: list[str]) -> None:
    """The Hyperscan pass drops an entropy plugin's quoted run whose inside has too few distinct
    characters to reach the limit: adjacent, nested and mixed quotes still mark every line the
    plugins flag, and the fast path finds what detect-secrets' own loop finds."""
    text = "".join(pieces)
    assert _flagged_lines(text, "a.json") <= _marked_lines_by_plugin(text)
    assert ds_plugins.raw_secrets(text, "a.json", True) == ds_plugins.raw_secrets(text, "a.json", False)


@needs_hyperscan
def test_json_keys_do_not_mark_their_lines_for_the_entropy_plugins() -> None:
    gates = ds_plugins.gates()
    entropy = {gate.index for gate in gates if gate.distinct_out_of_reach is not None}
    assert len(entropy) == 2
    text = "".join(f'  "BurstablePerformanceSupported{i % 7}": "NetworkPerformanceOptions",\n' for i in range(300))
    text += f'  "key": "{VALUES["B64"]}"\n'
    marks = prefilter.marked_lines(text, gates)
    lines_with_entropy_gates = {line for line, (_, indices) in marks.items() if indices & entropy}
    assert lines_with_entropy_gates == {301}
    assert ds_plugins.raw_secrets(text, "a.json", True) == ds_plugins.raw_secrets(text, "a.json", False)
