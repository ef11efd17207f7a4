"""Issue 15: the JSON report keeps what the blast radius knows about *why*.

A resource's ``env_basis`` (why it is production: Vercel's production target, not its name) and a
possible capability's ``left_open_by`` (the provider document that leaves it open) are in the
model; a JSON consumer must see them too, or it cannot tell a certain delete from a possible one.
"""

from __future__ import annotations

from pathlib import Path

from credreach.fakes._server import assert_read_only
from credreach.fakes.vercel import PRODUCTION, VercelFake, VercelToken
from providers.vercel import PRODUCTION_BASIS
from tests.conftest import run_credreach

TOKEN = "vQ7mK2pX9rT4wZ8nB3cF6hJ1"


def _scan(tmp_path: Path, role: str) -> dict:
    teams = [{"id": "team_shop", "slug": "shop", "name": "Shop", "membership": {"role": role}}]
    fake = VercelFake(tokens={TOKEN: VercelToken([{"type": "team", "teamId": "team_shop", "origin": "manual",
                                                  "createdAt": 1}])},
                      teams=teams, projects={None: [], "team_shop": [("storefront-dev", PRODUCTION)]})
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / ".env").write_text(f"VERCEL_TOKEN={TOKEN}\n")
    with fake:
        run = run_credreach("scan", str(workspace), "-f", "json", "--endpoint", f"vercel={fake.url}",
                            env={"HOME": str(tmp_path)})
        assert_read_only(fake.requests)
    assert run.returncode == 1, run.stderr  # the default --fail-on high: a production delete
    (cred,) = [c for c in run.json()["credentials"] if c["provider"] == "vercel"]
    return cred


def test_json_resource_carries_env_basis_of_production_target(tmp_path: Path) -> None:
    cred = _scan(tmp_path, "MEMBER")
    (project,) = [r for r in cred["blast_radius"]["resources"] if r["name"] == "storefront-dev"]
    assert project["env_class"] == "production"
    assert project["env_basis"] == PRODUCTION_BASIS


def test_json_possible_capability_names_the_document_that_leaves_it_open(tmp_path: Path) -> None:
    cred = _scan(tmp_path, "DEVELOPER")
    deletes = [c for c in cred["blast_radius"]["capabilities"] if c["action"] == "delete"]
    assert deletes and deletes[0]["certain"] is False
    assert "vercel.com/docs/rbac/access-roles" in deletes[0]["left_open_by"]
    writes = [c for c in cred["blast_radius"]["capabilities"] if c["action"] == "write"]
    assert writes[0]["certain"] is True and "left_open_by" not in writes[0]
    assert TOKEN not in str(cred)
