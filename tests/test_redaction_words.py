"""Redaction rewrites secret values in free text only, never ordinary words, paths, kinds or rule ids.

Before: a detected "secret" such as ``secret``, ``password``, ``postgres`` or ``string`` was
registered with the scrubber and replaced everywhere, so kinds came out as ``****_keyword``, SARIF
rule ids changed with them, ``config/secret_token.py`` became ``config/****_token.py`` and
``postgres://postgres:postgres@localhost/app`` had provider ``****``. And URL masking stopped at
the first ``@``, printing the rest of a password holding ``@`` (issue 12.3).

Tests run the real CLI on real temp trees in every format (and ``baseline create``, and ``-vv``
logs), and the reporters directly on results whose detected values *are* such words (whatever
the detector decides to report, the reporters must stay correct).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from scanner.model import (
    Assessment,
    BlastRadius,
    Credential,
    Location,
    ScanResult,
    ScanStats,
    Severity,
    SourceKind,
    Verification,
    VerificationStatus,
)
from scanner.redact import Redactor, fingerprint, is_redactable, preview
from scanner.report.json_report import render_json
from scanner.report.markdown import render_markdown
from scanner.report.sarif import render_sarif
from tests import sarif_multitool
from tests.conftest import run_credreach

WORDS = ("secret", "password", "postgres", "string", "changeme", "localhost", "secret_token", "12345678")
GH_TOKEN = "ghp_" + "Wq4T8xK2mB9vN5pL1sR7yH3jD0cG6aE8fZ2u"
FORMATS = ("table", "json", "sarif", "markdown")

# Passwords holding "@" and ":" (unencoded, as people paste them), one per URL scheme.
URL_PASSWORDS = {
    "postgres": ("postgres://app:", "Xk9@q2:Lm7@Wp4zR", "@db.internal:5432/app"),
    "postgresql": ("postgresql://svc:", "Pg5:Tr@8s@Ww2qYn", "@pg.internal/app?sslmode=require"),
    "redis": ("redis://default:", "Rz8@t5:Qw2@Yu6v", "@cache.internal:6379/0"),
    "mongodb": ("mongodb://admin:", "Mq3@n8:Vb5@Hs1x", "@mongo.internal:27017/app"),
    "mongodb+srv": ("mongodb+srv://ops:", "Sv4@r1:Kc8@Lp3e", "@cluster0.example.net/app"),
    "amqp": ("amqp://guest:", "Ap7@k4:Zx9@Jd2m", "@mq.internal:5672/vhost"),
}


def _url(scheme: str) -> str:
    head, password, tail = URL_PASSWORDS[scheme]
    return head + password + tail


def assert_no_password_part(text: str, where: str) -> None:
    for head, password, _ in URL_PASSWORDS.values():
        for i in range(len(password) - 5):
            assert password[i:i + 6] not in text, f"part of the {head} password in {where}"


# --- unit: what may be registered, and what a scrub touches ---------------------------------------

def test_words_and_short_values_are_never_registered() -> None:
    redactor = Redactor()
    for word in WORDS:
        assert not is_redactable(word)
        redactor.register(word)
    assert len(redactor) == 0
    text = "config/secret_token.py: password for postgres is a string (secret_keyword)"
    assert redactor.scrub(text) == text


def test_real_secrets_are_registered_and_scrubbed_in_free_text() -> None:
    redactor = Redactor()
    redactor.register(GH_TOKEN)
    redactor.register("Sommer\udcf6Zeit2024")
    assert redactor.scrub(f"provider said: bad credentials {GH_TOKEN}!") == \
        f"provider said: bad credentials {preview(GH_TOKEN)}!"
    assert "Sommer" not in redactor.scrub("login failed for 'Sommer\udcf6Zeit2024'")


def test_a_remembered_scrub_is_redone_once_a_new_secret_is_registered() -> None:
    """The report's scrubber remembers each sentence's result (thousands of credentials share a
    few); a value the global redactor learns afterwards must still be taken out of it."""
    from scanner.redact import REDACTOR
    from scanner.report.common import Scrubber

    late = "late-" + GH_TOKEN[::-1]
    scrubber = Scrubber(ScanResult(ScanStats(roots=(".",), files_scanned=0, bytes_scanned=0, skipped=()), ()))
    sentence = f"provider said: token {late} was revoked"
    assert scrubber.text(sentence) == sentence  # nothing registered yet: unchanged, and remembered
    assert scrubber.text(sentence) == sentence
    REDACTOR.register(late)
    try:
        assert scrubber.text(sentence) == f"provider said: token {preview(late)} was revoked"
        REDACTOR.enabled = False  # --show-secrets: the remembered redacted text is not served
        assert scrubber.text(sentence) == sentence
    finally:
        REDACTOR.enabled = True


@pytest.mark.parametrize("scheme", sorted(URL_PASSWORDS))
def test_url_preview_masks_up_to_the_last_at(scheme: str) -> None:
    head, password, tail = URL_PASSWORDS[scheme]
    assert preview(head + password + tail) == f"{head}****{tail}"


@pytest.mark.parametrize("scheme", sorted(URL_PASSWORDS))
def test_url_password_with_at_is_scrubbed_alone_and_in_the_url(scheme: str) -> None:
    head, password, tail = URL_PASSWORDS[scheme]
    redactor = Redactor()
    redactor.register(head + password + tail)
    scrubbed = redactor.scrub(f"connect {head}{password}{tail} failed; password {password} rejected")
    assert_no_password_part(scrubbed, "scrubbed text")
    assert f"{head}****{tail}" in scrubbed


# --- reporters on results whose values are ordinary words ---------------------------------------

def _word_result() -> ScanResult:
    def assessment(secret: str, kind: str, provider: str, path: str, line: int) -> Assessment:
        fp = fingerprint(secret)
        cred = Credential(id=f"CR-{fp[:10]}", provider=provider, kind=kind, fingerprint=fp,
                          preview=preview(secret), locations=(Location(path, line, 5, SourceKind.WORKSPACE),),
                          secret=secret, rules=(f"detect-secrets:{kind}",))
        return Assessment(cred, Verification(VerificationStatus.NOT_ATTEMPTED, "offline: verification not attempted"),
                          BlastRadius(), Severity.LOW, (f"generic secret ({kind}); offline",))

    assessments = (
        assessment("secret", "secret_keyword", "generic", "config/secret_token.py", 1),
        assessment("password", "password_keyword", "generic", "config/password_reset.py", 2),
        assessment("string", "string_keyword", "generic", "src/string_utils.py", 3),
        assessment("postgres://postgres:postgres@localhost/app", "postgres_url", "postgres", "docker/postgres.env", 4),
    )
    return ScanResult(ScanStats(roots=(".",), files_scanned=4, bytes_scanned=100, skipped=()), assessments)


def test_reporters_keep_paths_kinds_providers_and_rule_ids_verbatim(tmp_path: Path) -> None:
    result = _word_result()
    expected_paths = {"config/secret_token.py", "config/password_reset.py", "src/string_utils.py",
                      "docker/postgres.env"}
    expected_kinds = {"secret_keyword", "password_keyword", "string_keyword", "postgres_url"}

    data = json.loads(render_json(result, tool_version="0.1.0"))
    assert {c["kind"] for c in data["credentials"]} == expected_kinds
    assert {loc["path"] for c in data["credentials"] for loc in c["locations"]} == expected_paths
    assert {c["provider"] for c in data["credentials"]} == {"generic", "postgres"}
    assert "****_" not in json.dumps(data)

    sarif = json.loads(render_sarif(result, tool_version="0.1.0", cwd=str(tmp_path)))
    run = sarif["runs"][0]
    assert {r["ruleId"] for r in run["results"]} == expected_kinds
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == expected_kinds
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == expected_paths
    assert "****_" not in json.dumps(sarif)

    markdown = render_markdown(result)
    for path in expected_paths:
        assert path.replace("_", "\\_") in markdown
    for kind in expected_kinds:
        assert kind.replace("_", "\\_") in markdown
    assert "postgres://postgres:\\*\\*\\*\\*@localhost/app" in markdown
    assert "\\*\\*\\*\\*\\_" not in markdown


# --- the real CLI on a real tree --------------------------------------------------------------

@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("words")
    (root / "config").mkdir()
    (root / "config" / "secret_token.py").write_text(
        'password = "secret"\napi_key = "string"\npwd = "password"\n'
        'DB = "postgres://postgres:postgres@localhost/app"\n'
        f'GITHUB_TOKEN = "{GH_TOKEN}"\n')
    (root / "string_utils.py").write_text('secret = "postgres"\n')
    (root / ".env").write_text("".join(f"URL_{i}={_url(s)}\n" for i, s in enumerate(sorted(URL_PASSWORDS))))
    return root


def _scan(root: Path, *args: str) -> tuple[str, str]:
    run = run_credreach("scan", ".", "--offline", "--no-reach-map", *args, cwd=root,
                        env={"HOME": str(root / "no-home"), "COLUMNS": "200"})
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    return run.stdout, run.stderr


@pytest.mark.timeout(240)
@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_paths_and_kinds_unchanged_and_no_password_part(tree: Path, fmt: str) -> None:
    stdout, stderr = _scan(tree, "-f", fmt, "-vv")
    for text, where in ((stdout, f"{fmt} stdout"), (stderr, f"{fmt} -vv log")):
        assert_no_password_part(text, where)
        assert GH_TOKEN not in text
        assert "****_" not in text and "\\*\\*\\*\\*\\_" not in text
    if fmt == "markdown":
        assert "config/secret\\_token.py" in stdout
    else:
        assert "config/secret_token.py" in stdout
    data = json.loads(_scan(tree, "-f", "json")[0])
    kinds = {c["kind"] for c in data["credentials"]}
    assert "github_classic_pat" in kinds and not any("*" in k for k in kinds)
    assert not any("*" in c["provider"] for c in data["credentials"])
    paths = {loc["path"] for c in data["credentials"] for loc in c["locations"]}
    assert all((tree / p).is_file() for p in paths), paths  # every path names a real file
    postgres = [c for c in data["credentials"] if c["kind"] == "postgres_url"]
    assert postgres and all(c["provider"] == "postgres" for c in postgres)
    if fmt == "sarif":
        sarif = json.loads(stdout)
        assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == kinds
        uris = {unquote(loc["physicalLocation"]["artifactLocation"]["uri"])
                for r in sarif["runs"][0]["results"] for loc in r["locations"]}
        assert uris and all((tree / u).is_file() for u in uris), uris
        sarif_multitool.assert_ingestible(stdout)


@pytest.mark.timeout(120)
def test_word_values_are_not_credentials(tree: Path) -> None:
    """``password = "secret"`` and friends are dropped by the detector's filters: not reported, so
    never registered (the filtered list names the filter; its preview shows nothing of the value)."""
    data = json.loads(_scan(tree, "-f", "json", "--show-secrets", "--show-filtered")[0])
    secrets = {c["secret"] for c in data["credentials"]}
    assert not secrets & set(WORDS), secrets
    assert {"postgres://postgres:postgres@localhost/app", GH_TOKEN} <= secrets
    assert data["filtered"] and all(f["filtered_by"] and f["preview"] == "****" for f in data["filtered"]
                                    if f["location"]["path"] == "string_utils.py")
    dropped = {f["location"]["path"] for f in data["filtered"]}
    assert {"config/secret_token.py", "string_utils.py"} <= dropped
    assert all((tree / p).is_file() for p in dropped)


@pytest.mark.timeout(120)
def test_baseline_file_holds_no_password_part_and_real_paths(tree: Path, tmp_path: Path) -> None:
    out = tmp_path / "baseline.json"
    run = run_credreach("baseline", "create", str(tree), "-o", str(out), cwd=tree,
                        env={"HOME": str(tree / "no-home")})
    assert run.returncode == 0, run.stderr
    text = out.read_text(encoding="utf-8")
    assert_no_password_part(text, "baseline file")
    assert GH_TOKEN not in text
    assert "secret_token.py" in text and "****_token" not in text
