"""Issue 12.6: the scanned tree's own control files are reported, and a PR cannot approve itself.

``.credreachignore``, inline allow comments and a committed baseline are controls written by
whoever wrote the tree. Each test builds a real repository (main, then a pull-request branch) and
runs the real CLI; the CI cases set the variables GitHub/GitLab set on a pull-request job.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git, run_credreach

TOKEN = "npm_" + "Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8Ii9Jj0Kk1Ll2"
OTHER = "npm_" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8"


def _repo(tmp_path: Path, base_files: dict[str, str], pr_files: dict[str, str]) -> Path:
    """main with ``base_files``; branch ``pr`` adds ``pr_files``; origin/main points at main."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "README").write_text("app\n")
    for name, text in base_files.items():
        (repo / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "pr")
    for name, text in pr_files.items():
        (repo / name).write_text(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "pr")
    return repo


def _scan(repo: Path, *args: str, ci: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    run = run_credreach("scan", ".", "-f", "json", "--offline", "--fail-on", "low", *args, cwd=repo,
                        env={"HOME": str(repo.parent), **(ci or {})})
    assert run.returncode in (0, 1), run.stderr
    data = run.json()
    return run.returncode, [c for c in data["credentials"] if c["provider"] == "npm"], data["scan"]["warnings"]


def test_local_ignore_file_is_applied_and_its_effect_reported(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, {".credreachignore": "*.env\n", "prod.env": f"NPM_TOKEN={TOKEN}\n"})
    code, creds, warnings = _scan(repo)
    assert code == 0 and creds == []
    assert any(".credreachignore" in w and "excluded 1 path" in w for w in warnings), warnings


def test_pr_added_ignore_file_is_not_trusted_by_the_ci_gate(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, {".credreachignore": "*\n", "prod.env": f"NPM_TOKEN={TOKEN}\n"})
    code, creds, warnings = _scan(repo, ci={"GITHUB_BASE_REF": "main"})
    assert code == 1 and [c["preview"][:4] for c in creds] == ["npm_"]
    assert any(".credreachignore" in w and "not trusted" in w for w in warnings), warnings
    assert TOKEN not in " ".join(warnings)


def test_ignore_file_unchanged_by_the_pr_is_trusted_in_ci(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".credreachignore": "fixtures.env\n", "fixtures.env": f"NPM_TOKEN={TOKEN}\n"},
                 {"app.py": "print(1)\n"})
    code, creds, _ = _scan(repo, ci={"CI_MERGE_REQUEST_DIFF_BASE_SHA": git(repo, "rev-parse", "main").strip()})
    assert code == 0 and creds == []


def test_unreadable_review_base_distrusts_every_control_and_says_how_to_fix(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {".credreachignore": "*.env\n"}, {"prod.env": f"NPM_TOKEN={TOKEN}  # credreach:allow\n"})
    code, creds, warnings = _scan(repo, ci={"GITHUB_BASE_REF": "not-fetched"})
    assert code == 1 and len(creds) == 1
    assert any("cannot be read" in w and "fetch-depth: 0" in w for w in warnings), warnings


def test_allow_comment_added_by_the_pr_is_overruled_but_an_old_one_holds(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {"old.cfg": f"token={OTHER}  # credreach:allow\n"},
                 {"new.cfg": f"token={TOKEN}  # pragma: allowlist secret\n"})
    code, creds, warnings = _scan(repo, ci={"GITHUB_BASE_REF": "main"})
    assert [c["locations"][0]["path"] for c in creds] == ["new.cfg"]
    assert code == 1
    assert any("allow comments added by the change under review" in w for w in warnings), warnings
    assert any("kept 1 match" in w for w in warnings), warnings  # old.cfg's, honoured and counted


def test_local_allow_comments_are_honoured_and_counted(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, {"new.cfg": f"token={TOKEN}  # gitleaks:allow\n"})
    code, creds, warnings = _scan(repo, "--show-filtered")
    assert code == 0 and creds == []
    assert any("kept 1 match" in w for w in warnings), warnings


def test_diff_mode_reports_credentials_behind_added_allow_comments(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, {"new.cfg": f"token={TOKEN}  # credreach:allow\n"})
    code, creds, warnings = _scan(repo, "--diff", "main")
    assert code == 1 and len(creds) == 1
    assert any("not trusted" in w for w in warnings), warnings


def test_baseline_changed_by_the_pr_is_not_applied(tmp_path: Path) -> None:
    repo = _repo(tmp_path, {}, {"prod.env": f"NPM_TOKEN={TOKEN}\n"})
    made = run_credreach("baseline", "create", ".", "-o", "base.json", cwd=repo, env={"HOME": str(tmp_path)})
    assert made.returncode == 0, made.stderr
    git(repo, "add", "base.json")
    git(repo, "commit", "-q", "-m", "accept my own secret")
    local, local_creds, _ = _scan(repo, "--baseline", "base.json")
    assert local == 0 and local_creds == []  # a developer's own baseline works locally
    code, creds, warnings = _scan(repo, "--baseline", "base.json", ci={"GITHUB_BASE_REF": "main"})
    assert code == 1 and len(creds) == 1
    assert any("base.json" in w and "not applied" in w for w in warnings), warnings
