"""Git history with real repositories built in tmp_path by the real git."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.detect.rules import RULES_BY_ID
from scanner.model import SourceKind
from scanner.sources.base import SKIP_BINARY, SKIP_TOO_LARGE
from scanner.sources.git import (
    SKIP_SPECIAL_GIT_METADATA,
    GitError,
    added_lines,
    attribute_blobs,
    check_git_metadata,
    collect_git_history,
    find_repositories,
    is_bare_repository,
    stash_commits,
    stream_blobs,
    unquote_path,
)
from tests.conftest import git, run_credreach
from tests.helpers import CollectingSink

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

SECRET = "ghp_CredreachFixtureGitHistoryTk0n3n0Zz1"
STASHED = "sk_live_CredreachFixtureStash0001"
OLD_STASH = "sk_live_CredreachFixtureStash0002"




class Repo:
    """A throwaway repository driven by the git binary, isolated from user/system config."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = 1_700_000_000
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def env(self) -> dict[str, str]:
        date = f"{self.clock} +0000"
        return {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com", "GIT_COMMITTER_NAME": "Dev",
                "GIT_COMMITTER_EMAIL": "dev@example.com", "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}

    def git(self, *args: str) -> str:
        out = subprocess.run(["git", "-C", str(self.root), "-c", "commit.gpgsign=false", *args],
                             check=True, capture_output=True, env=self.env())
        return out.stdout.decode().strip()

    def write(self, rel: str, content: str | bytes) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    def commit(self, message: str) -> str:
        self.clock += 60
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")


@pytest.fixture()
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "app")


def history(repo: Repo, **kwargs: object) -> CollectingSink:
    sink = CollectingSink()
    collect_git_history(str(repo.root), sink, **kwargs)  # type: ignore[arg-type]
    return sink


def test_deleted_secret_found_once_with_its_introducing_commit(repo: Repo) -> None:
    repo.write("README.md", "hello\n")
    repo.write(".env", f"GITHUB_TOKEN={SECRET}\n")
    first = repo.commit("add env")
    for i in range(5):  # the .env blob is in all of these commits' trees
        repo.write("README.md", f"hello {i}\n")
        repo.commit(f"edit {i}")
    repo.git("rm", "-q", ".env")
    repo.commit("remove env")
    sink = history(repo)
    (doc,) = sink.containing(SECRET)
    origin = doc.origin
    assert origin.path == f"git:{first[:12]}:.env" and origin.commit == first
    assert origin.source is SourceKind.GIT_HISTORY and origin.history_only is True
    assert origin.author_date == "2023-11-14T22:14:20+00:00"  # clock of the first commit
    assert origin.line is None and origin.column is None
    match = RULES_BY_ID["github-classic-pat"].pattern.search(doc.text)
    assert match and match.group("secret") == SECRET
    # README.md had 6 versions: each blob once, 7 blobs in all.
    assert len(sink.documents) == 7
    assert len({d.text for d in sink.documents}) == 7


def test_secret_still_in_worktree_is_not_history_only(repo: Repo) -> None:
    repo.write("config.py", f"TOKEN = '{SECRET}'\n")
    repo.commit("add config")
    (doc,) = history(repo).containing(SECRET)
    assert doc.origin.history_only is False
    # Modified in the worktree (not committed): the committed blob is no longer there.
    repo.write("config.py", f"TOKEN = '{SECRET}'  # todo\n")
    (doc,) = history(repo).containing(SECRET)
    assert doc.origin.history_only is True
    # An explicit map from the caller (e.g. the workspace walker) decides instead.
    blob = repo.git("rev-parse", "HEAD:config.py")
    (doc,) = history(repo, worktree_blob_ids={"config.py": blob}).containing(SECRET)
    assert doc.origin.history_only is False
    assert history(repo, worktree_blob_ids={"config.py": blob}, skip_current=True).containing(SECRET) == []


def test_stashes_including_older_reflog_entries(repo: Repo) -> None:
    repo.write("settings.py", "KEY = None\n")
    repo.commit("init")
    repo.write("settings.py", f"KEY = '{OLD_STASH}'\n")
    repo.git("stash", "-q")
    repo.write("settings.py", f"KEY = '{STASHED}'\n")
    repo.write("new_untracked.txt", "x\n")
    repo.git("add", "settings.py")
    repo.git("stash", "-q")
    assert len(stash_commits(str(repo.root))) == 2
    sink = history(repo)
    (newer,) = sink.containing(STASHED)
    (older,) = sink.containing(OLD_STASH)
    newest, oldest = stash_commits(str(repo.root))
    for doc in (newer, older):
        assert doc.origin.history_only is True and doc.origin.path.endswith(":settings.py")
    # A staged change is introduced by the stash's index commit (its second parent); an unstaged
    # one by the stash's working-tree commit itself, only reachable through the stash reflog.
    assert newer.origin.commit == repo.git("rev-parse", f"{newest}^2")
    assert older.origin.commit == oldest


def test_binary_and_huge_blobs_are_skipped_with_reasons(repo: Repo) -> None:
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200))
    repo.write("big.txt", "A" * 5000 + "\n")
    repo.write("small.txt", "ok\n")
    commit = repo.commit("assets")
    sink = history(repo, max_blob_size=1000)
    assert (f"git:{commit[:12]}:logo.png", SKIP_BINARY) in sink.skips
    assert (f"git:{commit[:12]}:big.txt", SKIP_TOO_LARGE) in sink.skips
    assert [d.origin.path for d in sink.documents] == [f"git:{commit[:12]}:small.txt"]


def test_branches_and_special_paths(repo: Repo) -> None:
    repo.write("a.txt", "base\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write('we ird "dir"/naïve.env', f"T={SECRET}\n")
    feature = repo.commit("feature secret")
    repo.git("checkout", "-q", "main")
    (doc,) = history(repo).containing(SECRET)
    assert doc.origin.path == f'git:{feature[:12]}:we ird "dir"/naïve.env'
    assert doc.origin.history_only is True  # not in main's worktree


def test_blob_attribution_runs_oldest_first(repo: Repo) -> None:
    repo.write("x.txt", "same\n")
    first = repo.commit("one")
    repo.write("copy/x.txt", "same\n")
    repo.commit("two")
    blobs = attribute_blobs(str(repo.root), ["--all"])
    (info,) = [i for i in blobs.values() if i.path == "x.txt"]
    assert info.commit == first and info.paths == {"x.txt", "copy/x.txt"}


def test_stream_blobs_returns_exact_contents_in_order(repo: Repo) -> None:
    repo.write("one.txt", "first\n")
    repo.write("two.bin", b"\x00\x01\x02")
    repo.commit("c")
    ids = [repo.git("rev-parse", "HEAD:two.bin"), repo.git("rev-parse", "HEAD:one.txt")]
    assert list(stream_blobs(str(repo.root), ids)) == [(ids[0], b"\x00\x01\x02"), (ids[1], b"first\n")]


def test_not_a_repository_warns(tmp_path: Path) -> None:
    sink = CollectingSink()
    plain = tmp_path / "plain"
    plain.mkdir()
    stats = collect_git_history(str(plain), sink)
    assert stats.items == 0 and sink.documents == [] and len(sink.warnings) == 1


def test_empty_repository_has_no_history(repo: Repo) -> None:
    sink = history(repo)
    assert sink.documents == [] and sink.skips == []


def test_find_repositories_nested(tmp_path: Path) -> None:
    outer = Repo(tmp_path / "ws")
    Repo(tmp_path / "ws" / "vendor" / "lib")
    Repo(tmp_path / "ws" / "services" / "api")
    (tmp_path / "ws" / "services" / "sub").mkdir()
    (tmp_path / "ws" / "services" / "sub" / ".git").write_text("gitdir: ../../.git/modules/sub\n")
    found = find_repositories(str(outer.root))
    assert found == [str(outer.root), str(outer.root / "services" / "api"), str(outer.root / "services" / "sub"),
                     str(outer.root / "vendor" / "lib")]
    # Starting inside a repository finds the enclosing one.
    (outer.root / "src").mkdir()
    assert find_repositories(str(outer.root / "src"))[0] == str(outer.root)


def test_added_lines_cover_every_commit_of_the_range(repo: Repo) -> None:
    repo.write("app.py", "print('hi')\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("app.py", f"print('hi')\nTOKEN = '{SECRET}'\n")
    added = repo.commit("add token")
    repo.write("app.py", "print('hi')\nTOKEN = os.environ['TOKEN']\n")
    repo.commit("use env")
    repo.write('odd "name".txt', "+++ not a header\n")
    odd = repo.commit("odd")
    lines = list(added_lines(str(repo.root), base, "feature"))
    assert (added, "app.py", 2, f"TOKEN = '{SECRET}'") in lines
    assert any(line.text == "TOKEN = os.environ['TOKEN']" and line.line_no == 2 for line in lines)
    assert (odd, 'odd "name".txt', 1, "+++ not a header") in lines
    # The net diff no longer has the secret; the per-commit walk still does.
    net = repo.git("diff", base, "feature")
    assert SECRET not in net


def test_added_lines_in_an_evil_merge(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("b.txt", "b\n")
    repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("c.txt", "c\n")
    repo.commit("main")
    repo.git("merge", "-q", "--no-commit", "side")
    repo.write("a.txt", f"a\nKEY={SECRET}\n")
    repo.git("add", "a.txt")
    repo.clock += 60
    repo.git("commit", "-q", "-m", "merge")
    merge = repo.git("rev-parse", "HEAD")
    lines = list(added_lines(str(repo.root), base, "main"))
    assert (merge, "a.txt", 2, f"KEY={SECRET}") in lines
    assert sum(1 for line in lines if line.path == "b.txt") == 1  # reported by its own commit only


def test_added_lines_refuses_option_like_revisions(repo: Repo, tmp_path: Path) -> None:
    with pytest.raises(GitError):
        list(added_lines(str(repo.root), f"--output={tmp_path / 'x'}", "HEAD"))
    assert not (tmp_path / "x").exists()


def test_a_git_dir_in_the_environment_does_not_redirect_the_scan(repo: Repo, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    other = Repo(tmp_path / "other")
    other.write("secret.txt", f"{SECRET}\n")
    other.commit("other")
    repo.write("plain.txt", "nothing\n")
    repo.commit("plain")
    monkeypatch.setenv("GIT_DIR", str(other.root / ".git"))
    sink = history(repo)
    assert sink.containing(SECRET) == [] and len(sink.documents) == 1


def test_unquote_path() -> None:
    assert unquote_path('"b/we ird\\"name.txt"') == 'b/we ird"name.txt'
    assert unquote_path('"b/na\\303\\257ve\\ttab"') == "b/naïve\ttab"
    assert unquote_path("b/plain.txt") == "b/plain.txt"


# --- hostile repositories (issue 12) -----------------------------------------------------------

def test_find_repositories_is_iterative_on_a_very_deep_tree(tmp_path: Path) -> None:
    """os.walk recursed once per level: 1,000+ levels raised RecursionError."""
    outer = Repo(tmp_path / "ws")
    fd = os.open(outer.root, os.O_RDONLY)
    try:
        for _ in range(1100):
            os.mkdir("d", dir_fd=fd)
            nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = nxt
        os.mkdir("inner", dir_fd=fd)
        os.mkdir("inner/.git", dir_fd=fd)
    finally:
        os.close(fd)
    try:
        found = find_repositories(str(outer.root))
        assert found[0] == str(outer.root)
        assert len(found) == 2 and found[1].endswith("/d/inner")
    finally:
        subprocess.run(["rm", "-rf", str(outer.root / "d")], check=False)


@pytest.mark.timeout(60)
def test_special_file_in_git_metadata_is_found_without_opening_it(repo: Repo) -> None:
    repo.write("a.txt", "x\n")
    repo.commit("c")
    assert check_git_metadata(str(repo.root)) is None
    fifo = repo.root / ".git" / "refs" / "heads" / "trap"
    os.mkfifo(fifo)
    assert check_git_metadata(str(repo.root)) == str(fifo)
    sink = history(repo)
    assert sink.documents == []
    assert (str(fifo), SKIP_SPECIAL_GIT_METADATA) in sink.skips


@pytest.mark.timeout(60)
def test_stream_blobs_reports_missing_ids_and_goes_on(repo: Repo) -> None:
    repo.write("one.txt", "first\n")
    repo.commit("c")
    good = repo.git("rev-parse", "HEAD:one.txt")
    absent = "0" * 39 + "1"
    missing: list[str] = []
    assert list(stream_blobs(str(repo.root), [absent, good], missing)) == [(good, b"first\n")]
    assert missing == [absent]


def test_bare_repository_is_found_and_scanned(repo: Repo, tmp_path: Path) -> None:
    repo.write("old.txt", f"token={SECRET}\n")
    repo.commit("add")
    bare = tmp_path / "ws" / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.root), str(bare)], check=True, capture_output=True,
                   env=repo.env())
    assert is_bare_repository(str(bare))
    assert find_repositories(str(tmp_path / "ws")) == [str(bare)]
    sink = CollectingSink()
    collect_git_history(str(bare), sink)
    docs = sink.containing(SECRET)
    assert len(docs) == 1 and docs[0].origin.path.endswith(":old.txt")
    assert docs[0].origin.history_only is False  # in HEAD's tree: current content of the bare repo


@pytest.mark.timeout(60)
def test_fifo_named_by_the_repository_config_is_refused(repo: Repo, tmp_path: Path) -> None:
    """`include.path` / `core.excludesFile` pointing at a FIFO would block every git command."""
    repo.write("a.txt", "x\n")
    repo.commit("c")
    fifo = tmp_path / "trap"
    os.mkfifo(fifo)
    with open(repo.root / ".git" / "config", "a") as handle:
        handle.write(f"[include]\n\tpath = {fifo}\n")
    assert check_git_metadata(str(repo.root)) == str(fifo)
    sink = history(repo)
    assert (str(fifo), SKIP_SPECIAL_GIT_METADATA) in sink.skips


def test_history_throughput_is_reported_in_json_and_table(tmp_path: Path) -> None:
    """Issue 17: a history scan says how many blob bytes it read and at what rate."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    for i in range(5):
        (repo / f"f{i}.py").write_text(f"x = {i}\n" * 2000)
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", f"c{i}")
    run = run_credreach("scan", str(repo), "--git-history", "--offline", "-f", "json", env={"HOME": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    (history,) = [s for s in run.json()["scan"]["sources"] if s["name"] == "git-history"]
    assert history["items"] >= 5 and history["bytes"] >= 5 * 12000
    assert history["mb_per_second"] > 0 and history["seconds"] > 0
    table = run_credreach("scan", str(repo), "--git-history", "--offline", env={"HOME": str(tmp_path)})
    assert "Git history:" in table.stdout and "MB/s" in table.stdout


def test_history_only_scans_commits_and_not_the_work_tree(repo: Repo, tmp_path: Path) -> None:
    """`--history-only` is `gitleaks git`: a committed secret is found, an uncommitted file is not read."""
    repo.write("config.py", f'TOKEN = "{SECRET}"\n')
    repo.commit("add config")
    repo.write("config.py", "TOKEN = os.environ['TOKEN']\n")
    repo.commit("move the token out")
    untracked = "sk_live_CredreachFixtureUntrack01"
    repo.write(".env", f"STRIPE_KEY={untracked}\n")
    run = run_credreach("scan", str(repo.root), "--history-only", "--offline", "-f", "json", "--fail-on", "none",
                        "--no-reach-map", env={"HOME": str(tmp_path / "home")})
    assert run.returncode == 0, run.stderr
    report = run.json()
    sources = {loc["source"] for c in report["credentials"] for loc in c["locations"]}
    assert sources == {"git-history"}
    assert [s["name"] for s in report["scan"]["sources"]] == ["git-history"]
    both = run_credreach("scan", str(repo.root), "--git-history", "--offline", "-f", "json", "--fail-on", "none",
                         "--no-reach-map", env={"HOME": str(tmp_path / "home")})
    assert len(both.json()["credentials"]) == len(report["credentials"]) + 1  # the .env one, from the work tree


def test_history_only_without_a_repository_says_so(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text(f"token {SECRET}\n")
    run = run_credreach("scan", str(plain), "--history-only", "--offline", "-f", "json", "--fail-on", "none",
                        "--no-reach-map", env={"HOME": str(tmp_path / "home")})
    assert run.returncode == 0, run.stderr
    assert run.json()["credentials"] == []
    assert any("no git repository" in w for w in run.json()["scan"]["warnings"])
    bad = run_credreach("scan", str(plain), "--history-only", "--staged", env={"HOME": str(tmp_path / "home")})
    assert bad.returncode == 2 and "--history-only" in bad.stderr and "Traceback" not in bad.stderr
