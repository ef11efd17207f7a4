"""`--profile agent`: workspace + git history + home stores + environment, deduplicated across sources."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import PROJECT_ROOT, git, run_credreach

HOME_FIXTURE = PROJECT_ROOT / "fixtures" / "machines" / "dev-laptop" / "home"
RAILWAY_IN_STORE = "8f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"   # ~/.railway/config.json user.token
NPM_IN_NPMRC = "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"     # ~/.npmrc
DELETED = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"


def test_agent_profile_finds_each_source_once_and_deduplicates(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(HOME_FIXTURE, home)
    repo = tmp_path / "ws"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "billing.py").write_text(f'STRIPE = "{DELETED}"\n')
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add key")
    (repo / "billing.py").write_text('STRIPE = os.environ["STRIPE"]\n')
    git(repo, "commit", "-q", "-am", "remove key")
    (repo / "deploy.env").write_text(f"NPM_TOKEN={NPM_IN_NPMRC}\n")   # same token as ~/.npmrc

    run = run_credreach("scan", str(repo), "--profile", "agent", "--home-dir", str(home), "--offline",
                        "-f", "json", cwd=repo,
                        env={"HOME": str(home), "RAILWAY_API_TOKEN": RAILWAY_IN_STORE})
    # Offline, the laptop's prod-named stores (kube context, pgpass host, service account) are high.
    assert run.returncode == 1, run.stderr
    report = run.json()
    high = [c for c in report["credentials"] if c["severity"] == "high"]
    assert high and all(c["reasons"][0].startswith("named for production") for c in high), high
    sources = {s["name"]: s for s in report["scan"]["sources"]}
    assert {"workspace", "git-history", "home", "env"} <= set(sources)
    assert any(name.startswith("home:") for name in sources)

    def creds_with(preview_start: str) -> list[dict]:
        return [c for c in report["credentials"] if c["preview"].startswith(preview_start)]

    # The Railway token: once, with its store location and its environment location.
    (railway,) = creds_with(RAILWAY_IN_STORE[:2] + "…")
    where = {(loc["source"], loc["path"].split("/")[-1]) for loc in railway["locations"]}
    assert where == {("home", "config.json"), ("env", "env:RAILWAY_API_TOKEN")}
    store_loc = next(loc for loc in railway["locations"] if loc["source"] == "home")
    assert store_loc["store"] == "railway-config"

    # The npm token: once, in the workspace file and in ~/.npmrc.
    (npm,) = [c for c in report["credentials"] if c["kind"] == "npm_token"]
    assert sorted(loc["source"] for loc in npm["locations"]) == ["home", "workspace"]

    # The deleted Stripe key: only in history, marked so, exactly once.
    (stripe,) = [c for c in report["credentials"] if c["provider"] == "stripe"]
    (loc,) = stripe["locations"]
    assert loc["source"] == "git-history" and loc["history_only"] is True
    assert loc["commit"] and loc["author_date"] and loc["path"].endswith(":billing.py")
    # No location appears twice.
    for cred in report["credentials"]:
        keys = [(loc["path"], loc["line"], loc["source"]) for loc in cred["locations"]]
        assert len(keys) == len(set(keys)), cred["kind"]
    assert DELETED not in run.stdout and RAILWAY_IN_STORE not in run.stdout
