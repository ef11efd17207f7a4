"""Issue 14.4: names in credential stores that say production set the class even offline.

An AWS profile ``prod-admin``, a kube context ``prod`` or a database host ``db.prod.…`` is the
only thing an offline scan knows about where a credential leads; the real CLI on a real home
must rank such a credential above its ``staging`` twin and say why.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_credreach

PROD_KEY = ("AKIA" + "QX7PROD2EXAMPLE7", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYprodKEY12")
STAGE_KEY = ("AKIA" + "QX7STAG2EXAMPLE7", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYstagKEY12")


def _scan(home: Path) -> dict[str, dict]:
    run = run_credreach("scan", str(home / "empty"), "--home", "--home-dir", str(home), "--offline", "-f", "json",
                        "--fail-on", "none", env={"HOME": str(home)})
    assert run.returncode == 0, run.stderr
    return {loc.get("profile", ""): c for c in run.json()["credentials"] for loc in c["locations"]}


def test_aws_profile_named_production_is_high_offline_and_staging_is_not(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(
        f"[prod-admin]\naws_access_key_id = {PROD_KEY[0]}\naws_secret_access_key = {PROD_KEY[1]}\n\n"
        f"[staging]\naws_access_key_id = {STAGE_KEY[0]}\naws_secret_access_key = {STAGE_KEY[1]}\n")
    by_profile = _scan(tmp_path)
    prod, staging = by_profile["prod-admin"], by_profile["staging"]
    assert prod["severity"] == "high", prod
    assert prod["reasons"][0].startswith("named for production (profile `prod-admin`)")
    (resource,) = prod["blast_radius"]["resources"]
    assert (resource["env_class"], resource["env_basis"]) == ("production", "name in the credential store")
    assert staging["severity"] == "medium"
    assert staging["blast_radius"]["resources"][0]["env_class"] == "staging"


def test_kube_context_named_prod_is_high_offline(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text("""apiVersion: v1
kind: Config
current-context: prod
clusters:
- name: prod-cluster
  cluster: {server: "https://k8s.internal.example:6443"}
users:
- name: prod-user
  user: {token: "eyJhbGciOiJSUzI1NiIsImtpZCI6Ik1qY3B4In0.eyJzdWIiOiJzeXN0ZW06c2EifQ.c2lnbmF0dXJlLXByb2QtdG9rZW4xMjM"}
contexts:
- name: prod
  context: {cluster: prod-cluster, user: prod-user}
""")
    creds = list(_scan(tmp_path).values())
    assert creds and all(c["severity"] == "high" for c in creds), creds
    assert any("context `prod`" in c["reasons"][0] for c in creds)
