"""Issue 12.10: a plugin whose regex captures only the prefix must not turn a token into `gho`.

detect-secrets' GitHub and GitLab plugins report their first capturing group (`gho`, `glpat`).
Tokens whose body is not the classic 36 characters then reached the verifier as `Bearer gho`.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

from scanner.detect.ds_plugins import whole_token
from scanner.pipeline import ScanOptions, collect

RNG = random.Random(1210)


def body(n: int) -> str:
    return "".join(RNG.choice(string.ascii_letters + string.digits) for _ in range(n))


def test_long_github_token_is_reported_whole(tmp_path: Path) -> None:
    token = "gho_" + body(44)
    (tmp_path / "hosts.txt").write_text(f"oauth_token: {token}\n")
    secrets = {h.secret: h.kind for h in collect(ScanOptions(roots=(str(tmp_path),), offline=True)).hits}
    assert secrets == {token: "github_oauth_token"}


def test_gitlab_token_with_routing_suffix_is_never_cut_to_its_prefix(tmp_path: Path) -> None:
    token = "glpat-" + body(27) + ".01.1a2b3c4d5"
    (tmp_path / "ci.env").write_text(f"GITLAB_TOKEN={token}\n")
    secrets = {h.secret for h in collect(ScanOptions(roots=(str(tmp_path),), offline=True)).hits}
    assert token in secrets and not any(len(s) < 16 for s in secrets)


def test_whole_token_extends_a_prefix_or_gives_up() -> None:
    line = "token = ghp_" + "A" * 40 + " # comment"
    assert whole_token("ghp", line) == "ghp_" + "A" * 40
    assert whole_token("ghp", "ghp_short") is None
