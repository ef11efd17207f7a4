"""Where secrets may go (`--endpoint`, `CREDREACH_ENDPOINT_*`), and CLI-level sources (`--env-of`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from credreach.fakes._server import FakeProvider, FakeResponse, RecordedRequest
from credreach.fakes.railway import POCKETOS_ACCOUNT_TOKEN, pocketos_world
from tests.conftest import run_credreach


class Bystander(FakeProvider):
    """A host named next to the secret: it must never hear from credreach."""

    def handle(self, request: RecordedRequest) -> FakeResponse:
        return FakeResponse(200, {"data": {}})


def _workspace(tmp_path: Path, bystander_url: str) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / ".env").write_text(f"RAILWAY_API_TOKEN={POCKETOS_ACCOUNT_TOKEN}\n"
                             f"RAILWAY_API_URL={bystander_url}/graphql/v2\n"
                             f"# backboard: {bystander_url}\n")
    return ws


def test_endpoint_flag_and_env_var_route_to_the_fake_only(tmp_path: Path) -> None:
    with pocketos_world() as railway, Bystander() as bystander:
        ws = _workspace(tmp_path, bystander.url)
        by_flag = run_credreach("scan", str(ws), "-f", "json", "--endpoint", f"railway={railway.url}",
                                env={"HOME": str(tmp_path)})
        sent_by_flag = len(railway.requests)
        by_env = run_credreach("scan", str(ws), "-f", "json",
                               env={"HOME": str(tmp_path), "CREDREACH_ENDPOINT_RAILWAY": railway.url})
        for run in (by_flag, by_env):
            assert run.returncode == 1, run.stderr
            (cred,) = [c for c in run.json()["credentials"] if c["provider"] == "railway"]
            assert cred["verification"]["status"] == "live"
            assert cred["severity"] == "critical"
            assert cred["verification"]["endpoint"].startswith(railway.url)
        assert sent_by_flag > 0 and len(railway.requests) > sent_by_flag
        assert bystander.requests == []


def test_bad_endpoint_values_are_usage_errors(tmp_path: Path) -> None:
    for value in ("railway", "railway=", "railway=ftp://x", "=http://x"):
        run = run_credreach("scan", str(tmp_path), "--endpoint", value, env={"HOME": str(tmp_path)})
        assert run.returncode == 2 and "--endpoint" in run.stderr and "Traceback" not in run.stderr


def test_offline_sends_nothing(tmp_path: Path) -> None:
    with pocketos_world() as railway:
        ws = _workspace(tmp_path, "http://127.0.0.1:9")
        run = run_credreach("scan", str(ws), "--offline", "-f", "json",
                            env={"HOME": str(tmp_path), "CREDREACH_ENDPOINT_RAILWAY": railway.url})
        assert run.returncode == 0
        assert railway.requests == []
        assert {c["verification"]["status"] for c in run.json()["credentials"]} == {"not attempted"}


def test_env_of_reads_another_process_environment(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             env={"RAILWAY_TOKEN": POCKETOS_ACCOUNT_TOKEN, "PATH": "/usr/bin"})
    try:
        time.sleep(0.2)
        empty = tmp_path / "empty"
        empty.mkdir()
        run = run_credreach("scan", str(empty), "--env-of", str(child.pid), "--offline", "-f", "json",
                            env={"HOME": str(tmp_path)})
    finally:
        child.kill()
        child.wait()
    assert run.returncode == 0, run.stderr
    (cred,) = run.json()["credentials"]
    assert cred["kind"] == "railway_project_token"
    assert [loc["path"] for loc in cred["locations"]] == [f"env[{child.pid}]:RAILWAY_TOKEN"]
    missing = run_credreach("scan", str(tmp_path / "empty"), "--env-of", "999999999", "--offline", "-f", "json",
                            env={"HOME": str(tmp_path)})
    assert missing.returncode == 0
    assert any("999999999" in w for w in missing.json()["scan"]["warnings"])


def test_providers_command_lists_every_provider_and_kind(tmp_path: Path) -> None:
    run = run_credreach("providers", "-f", "json", env={"HOME": str(tmp_path)})
    assert run.returncode == 0
    listed = {p["name"]: p for p in json.loads(run.stdout)}
    expected = {"railway", "github", "aws", "gitlab", "slack", "stripe", "openai", "anthropic", "huggingface",
                "npm", "docker", "cloudflare", "digitalocean", "vercel", "supabase", "heroku", "twilio",
                "sendgrid", "datadog", "sentry", "linear", "gcp", "kubernetes", "postgres"}
    assert expected <= set(listed)
    assert "railway_account_token" in listed["railway"]["kinds"]
    assert all(p["reveals"] for p in listed.values())
    table = run_credreach("providers", env={"HOME": str(tmp_path), "COLUMNS": "200"})
    assert "railway" in table.stdout and "volumes" in table.stdout
