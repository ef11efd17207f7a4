"""No leak: planted secrets never appear in any report, log line, error text or progress line.

Secrets are planted in a real workspace, a real fake home (credential stores) and a custom
environment passed with ``--env``; the real CLI runs as a process in every format, with ``-v``
and ``--debug``, offline and against loopback providers that echo the token back in error bodies
and headers. Only ``--show-secrets`` may print them. Fingerprints are a keyed HMAC
(``scanner/redact.py``): the key changes them and the documented construction reproduces them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest, assert_read_only
from scanner.redact import DEFAULT_FINGERPRINT_KEY
from tests import sarif_multitool
from tests.conftest import PROJECT_ROOT, Run, run_credreach

# Assembled at run time so this repository holds no token-shaped literals.
GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
GH_HOME_TOKEN = "gho_" + "Hm3kQ8pW2xZ7vB4nL9sT1yR6jD0cG5aE8fUq"
RAILWAY_UUID = "5f3c1a2b-9d8e-4f7a-b6c5-" + "1e2d3f4a5b6c"
SLACK_TOKEN = "xoxb-" + "7305182946-5820461937305-Qx7Lp2Rv9Tn4Wm8Ks3Hd6FzY"  # not sequential: a real-looking token
STRIPE_KEY = "sk_live_" + "51HqLyjWDarjtT1zdp7dcXwRfyZ2mB4k"
OPENAI_KEY = "sk-proj-" + "Tq8vW2xZ4nB7mL1pK3sR6yH0jD5cG8aE2uF9"
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
DB_PASSWORD = "Sup3rS3cretPw-" + "x9Q"
PG_HOME_PASSWORD = "pgpassS3cret-" + "7Lw"
AWS_KEY_ID = "AKIA" + "QYLPMN5HFIQR7XYZ"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEZ"
AWS_HOME_KEY_ID = "AKIA" + "ZZLPMN5HFIQR7HOME"
AWS_HOME_SECRET = "hOmErXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
AWS_ENV_KEY_ID = "AKIA" + "ENVPMN5HFIQR7XENV"
AWS_ENV_SECRET = "eNvSrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEV"
AWS_SESSION = "FwoGZXIvYXdzE" + "Ab1" * 40
HEROKU_TOKEN = "HRKU-" + "AAbCdEfGhIjKlMnOpQrStUvWxYz0123456789_aBcDeFgHiJkLmNoPqRsTuV"
DOCKER_PASSWORD = "dockerHubP4ss-" + "Q7z"
ENV_PG_PASSWORD = "envPgS3cret-" + "44k"

SECRETS = [GH_TOKEN, GH_HOME_TOKEN, RAILWAY_UUID, SLACK_TOKEN, STRIPE_KEY, OPENAI_KEY, NPM_TOKEN,
           DB_PASSWORD, PG_HOME_PASSWORD, AWS_KEY_ID, AWS_SECRET, AWS_HOME_KEY_ID, AWS_HOME_SECRET,
           AWS_ENV_KEY_ID, AWS_ENV_SECRET, AWS_SESSION, HEROKU_TOKEN, DOCKER_PASSWORD, ENV_PG_PASSWORD]
# Values that must not appear even partially (the secret half of a pair, passwords).
NEVER_EVEN_IN_PART = [AWS_SECRET, AWS_HOME_SECRET, AWS_ENV_SECRET, DB_PASSWORD, PG_HOME_PASSWORD,
                      DOCKER_PASSWORD, ENV_PG_PASSWORD]
FORMATS = ("table", "json", "sarif", "markdown")


def plant(root: Path) -> tuple[Path, Path, dict[str, str]]:
    workspace = root / "ws"
    workspace.mkdir()
    (workspace / ".env").write_text(
        f"GITHUB_TOKEN={GH_TOKEN}\nRAILWAY_TOKEN={RAILWAY_UUID}\n"
        f"DATABASE_URL=postgres://app:{DB_PASSWORD}@db.internal:5432/app_production\n"
        f"STRIPE_SECRET_KEY={STRIPE_KEY}\n")
    (workspace / "deploy.py").write_text(
        f'SLACK = "{SLACK_TOKEN}"\naws_access_key_id = "{AWS_KEY_ID}"\naws_secret_access_key = "{AWS_SECRET}"\n')
    (workspace / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={NPM_TOKEN}\n")
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        f"[default]\naws_access_key_id = {AWS_HOME_KEY_ID}\naws_secret_access_key = {AWS_HOME_SECRET}\n")
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text(
        f"github.com:\n    user: octo\n    oauth_token: {GH_HOME_TOKEN}\n    git_protocol: https\n")
    (home / ".netrc").write_text(f"machine api.heroku.com\n  login me@example.com\n  password {HEROKU_TOKEN}\n")
    (home / ".pgpass").write_text(f"db.internal:5432:app:app:{PG_HOME_PASSWORD}\n")
    (home / ".docker").mkdir()
    auth = base64.b64encode(f"me:{DOCKER_PASSWORD}".encode()).decode()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {"registry.example.com": {"auth": auth}}}))
    (home / ".bash_history").write_text(f"curl -H 'Authorization: Bearer {OPENAI_KEY}' https://api.openai.com\n")
    environ = {"AWS_ACCESS_KEY_ID": AWS_ENV_KEY_ID, "AWS_SECRET_ACCESS_KEY": AWS_ENV_SECRET,
               "AWS_SESSION_TOKEN": AWS_SESSION, "PGPASSWORD": ENV_PG_PASSWORD, "PGHOST": "db.internal",
               "OPENAI_API_KEY": OPENAI_KEY}
    return workspace, home, environ


def credreach_scan(workspace: Path, home: Path, environ: dict[str, str], *args: str) -> Run:
    run = run_credreach("scan", str(workspace), "--home", "--home-dir", str(home), "--env", *args,
                        cwd=workspace, env={"HOME": str(home), **environ})
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    return run


def assert_no_secret(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"raw secret {secret[:6]}… in {where}"
    for secret in NEVER_EVEN_IN_PART:
        for i in range(0, len(secret) - 10):
            assert secret[i:i + 10] not in text, f"part of {secret[:4]}… in {where}"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    return plant(tmp_path_factory.mktemp("leak"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("fmt", FORMATS)
def test_no_raw_secret_in_any_format_or_log_level(planted: tuple[Path, Path, dict[str, str]], fmt: str) -> None:
    workspace, home, environ = planted
    for flags in ((), ("-v",), ("-vv",), ("--debug",)):
        run = credreach_scan(workspace, home, environ, "--offline", "-f", fmt, *flags)
        assert_no_secret(run.stdout, f"{fmt} stdout {flags}")
        assert_no_secret(run.stderr, f"{fmt} stderr {flags}")
    assert "github" in run.stdout and "aws" in run.stdout


@pytest.mark.timeout(120)
def test_json_and_sarif_carry_previews_and_fingerprints_only(planted: tuple[Path, Path, dict[str, str]]) -> None:
    workspace, home, environ = planted
    report = json.loads(credreach_scan(workspace, home, environ, "--offline", "-f", "json").stdout)
    found = {c["kind"] for c in report["credentials"]}
    assert {"github_classic_pat", "railway_project_token", "aws_access_key", "slack_bot_token",
            "stripe_live_secret_key", "npm_token", "heroku_token"} <= found, found
    for cred in report["credentials"]:
        assert "secret" not in cred
        assert len(cred["fingerprint"]) == 32 and int(cred["fingerprint"], 16) >= 0
        assert "…" in cred["preview"] or "****" in cred["preview"]
    sarif_text = credreach_scan(workspace, home, environ, "--offline", "-f", "sarif").stdout
    sarif = json.loads(sarif_text)
    results = sarif["runs"][0]["results"]
    assert results and all("credreach/v1" in r["partialFingerprints"] for r in results)
    shown = credreach_scan(workspace, home, environ, "--offline", "-f", "sarif", "--show-secrets").stdout
    sarif_multitool.assert_ingestible(sarif_text, shown)  # workspace + home + env, as GitHub reads it


@pytest.mark.timeout(120)
def test_show_secrets_shows_them(planted: tuple[Path, Path, dict[str, str]]) -> None:
    workspace, home, environ = planted
    run = credreach_scan(workspace, home, environ, "--offline", "-f", "json", "--show-secrets")
    shown = {c.get("secret") for c in json.loads(run.stdout)["credentials"]}
    assert {GH_TOKEN, RAILWAY_UUID, STRIPE_KEY, AWS_HOME_KEY_ID, HEROKU_TOKEN} <= shown
    markdown = credreach_scan(workspace, home, environ, "--offline", "-f", "markdown", "--show-secrets")
    assert GH_TOKEN.replace("_", "\\_") in markdown.stdout  # Markdown-escaped, but the whole value
    table = credreach_scan(workspace, home, {**environ, "COLUMNS": "400"}, "--offline", "--show-secrets")
    assert GH_TOKEN in table.stdout


def _fingerprints(run: Run) -> dict[str, str]:
    return {c["kind"] + ":" + c["preview"]: c["fingerprint"] for c in json.loads(run.stdout)["credentials"]}


@pytest.mark.timeout(120)
def test_fingerprint_is_a_keyed_hmac(planted: tuple[Path, Path, dict[str, str]]) -> None:
    workspace, home, environ = planted
    default = credreach_scan(workspace, home, environ, "--offline", "-f", "json", "--show-secrets")
    keyed = credreach_scan(workspace, home, {**environ, "CREDREACH_FINGERPRINT_KEY": "team-secret-1"},
                           "--offline", "-f", "json", "--show-secrets")
    for run, key in ((default, DEFAULT_FINGERPRINT_KEY), (keyed, "team-secret-1")):
        for cred in json.loads(run.stdout)["credentials"]:
            expected = hmac.new(key.encode(), cred["secret"].encode(), hashlib.sha256).hexdigest()[:32]
            assert cred["fingerprint"] == expected
            assert cred["fingerprint"] != hashlib.sha256(cred["secret"].encode()).hexdigest()[:32]
    a, b = _fingerprints(default), _fingerprints(keyed)
    assert a.keys() == b.keys() and all(a[k] != b[k] for k in a)
    sarif_a = credreach_scan(workspace, home, environ, "--offline", "-f", "sarif").stdout
    sarif_b = credreach_scan(workspace, home, {**environ, "CREDREACH_FINGERPRINT_KEY": "team-secret-2"},
                             "--offline", "-f", "sarif").stdout
    prints = [{r["partialFingerprints"]["credreach/v1"] for r in json.loads(s)["runs"][0]["results"]}
              for s in (sarif_a, sarif_b)]
    assert prints[0].isdisjoint(prints[1])


class EchoingProvider(FakeProvider):
    """A hostile or buggy provider that quotes the credential it got back in body and headers."""

    def handle(self, request: RecordedRequest) -> FakeResponse:
        auth = request.header("Authorization") or ""
        body = {"message": f"Bad credentials: {auth}", "errors": [{"message": f"token {auth} revoked"}]}
        return FakeResponse(500, body, {"X-Echo": auth.replace("\n", " ")[:200]})


@pytest.mark.timeout(240)
def test_provider_errors_that_echo_the_token_are_redacted(planted: tuple[Path, Path, dict[str, str]]) -> None:
    workspace, home, environ = planted
    with EchoingProvider() as echo:
        runs = [credreach_scan(workspace, home, environ, "-f", fmt, "--debug", "--verify-timeout", "20",
                               "--request-timeout", "3",
                               *[f"--endpoint={name}={echo.url}" for name in
                                 ("github", "railway", "slack", "stripe", "openai", "npm", "heroku", "aws",
                                  "docker")])
                for fmt in ("json", "table")]
    assert echo.requests, "the providers were asked"
    assert_read_only(echo.requests)
    for run in runs:
        assert_no_secret(run.stdout, "stdout with echoing provider")
        assert_no_secret(run.stderr, "stderr with echoing provider")
    report = json.loads(runs[0].stdout)
    statuses = {c["verification"]["status"] for c in report["credentials"]}
    assert "unverifiable" in statuses


@pytest.mark.timeout(120)
def test_exception_text_from_the_http_stack_is_redacted(tmp_path: Path) -> None:
    """A stored password with a line break cannot go into a header: requests' error quotes it."""
    home = tmp_path / "home"
    (home / ".docker").mkdir(parents=True)
    auth = base64.b64encode(f"me:{GH_TOKEN}\n".encode()).decode()
    (home / ".docker" / "config.json").write_text(json.dumps({"auths": {"ghcr.io": {"auth": auth}}}))
    (tmp_path / "ws").mkdir()
    with EchoingProvider() as echo:
        run = run_credreach("scan", str(tmp_path / "ws"), "--home", "--home-dir", str(home), "-f", "json",
                            "--debug", "--verify-timeout", "20", f"--endpoint=github={echo.url}",
                            f"--endpoint=docker={echo.url}", cwd=tmp_path, env={"HOME": str(home)})
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stderr
    assert GH_TOKEN not in run.stdout + run.stderr
    (cred,) = json.loads(run.stdout)["credentials"]
    assert cred["verification"]["status"] in ("unverifiable", "error"), cred["verification"]
    assert cred["verification"]["reason"]


@pytest.mark.timeout(120)
def test_progress_lines_on_a_terminal_hold_no_secret(planted: tuple[Path, Path, dict[str, str]]) -> None:
    workspace, home, environ = planted
    for i in range(120):  # enough files for the progress line to update
        (workspace / f"f{i:03d}.txt").write_text(f"k{i}={GH_TOKEN}\n")
    master, slave = pty.openpty()
    env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "HOME": str(home),
           "PYTHONPATH": str(PROJECT_ROOT), "TERM": "xterm", **environ}
    proc = subprocess.Popen([sys.executable, "-m", "scanner", "scan", str(workspace), "--offline", "--home",
                             "--home-dir", str(home), "--env", "-v", "-f", "json"],
                            cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    stdout, _ = proc.communicate(timeout=100)
    os.close(master)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode in (0, 1)
    assert_no_secret(terminal, "terminal progress output")
    assert_no_secret(stdout.decode(), "stdout under a terminal")
