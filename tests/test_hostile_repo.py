"""A cloned repository is hostile: it must not turn credreach against its user (issue 12).

Every case is a real tree in tmp_path (real symlinks, FIFOs made with os.mkfifo, repositories
built by the real git) scanned by the real CLI as a process. Hangs are bounded by
pytest-timeout; nothing asserts on speed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.canonical import canonical_secret
from tests.conftest import git, run_credreach

GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
OLD_TOKEN = "npm_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


@pytest.fixture
def machine(tmp_path: Path) -> tuple[Path, Path]:
    """A home with files a hostile repository would like to overwrite or read, and a workspace."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".bashrc").write_text("# the user's own bashrc\n")
    (home / ".ssh" / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n")
    ws = home / "src" / "cloned"
    ws.mkdir(parents=True)
    (ws / ".env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    return ws, home


def cli(ws: Path, home: Path, *args: str, timeout: float = 100):
    run = run_credreach(*args, cwd=ws, env={"HOME": str(home)}, timeout=timeout)
    assert "Traceback" not in run.stderr, run.stderr
    return run


def report(ws: Path, home: Path, *args: str) -> dict:
    run = cli(ws, home, "scan", str(ws), "--offline", "-f", "json", *args)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(run.stdout)


def found(rep: dict) -> dict[str, list[str]]:
    return {c["kind"]: [loc["path"] for loc in c["locations"]] for c in rep["credentials"]}


def skips(rep: dict) -> dict[str, list[str]]:
    return {reason: entry["examples"] for reason, entry in rep["scan"]["skipped"].items()}


# --- #12.1 contain never writes through or reads through links ------------------------------------

def test_contain_does_not_write_through_a_planted_temp_link(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    (ws / ".cursorignore").write_text("node_modules/\n")
    os.symlink("../../.bashrc", ws / ".cursorignore.credreach-tmp")  # the old fixed temp name
    run = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home")
    assert run.returncode == 0, run.stderr
    assert (home / ".bashrc").read_text() == "# the user's own bashrc\n"
    assert "/.env" in (ws / ".cursorignore").read_text().splitlines()
    assert not (ws / ".cursorignore").is_symlink()


def test_contain_does_not_read_or_copy_an_ignore_file_linked_to_a_private_key(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    os.symlink(home / ".ssh" / "id_ed25519", ws / ".cursorignore")
    run = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home")
    assert run.returncode == 0, run.stderr
    assert (ws / ".cursorignore").is_symlink()  # not replaced by a world-readable copy of the key
    assert (home / ".ssh" / "id_ed25519").read_text().startswith("-----BEGIN OPENSSH")
    assert "outside the workspace" in run.stdout and "OPENSSH" not in run.stdout
    for path in ws.iterdir():
        if path.is_file() and not path.is_symlink():
            assert "OPENSSH" not in path.read_text()


def test_contain_does_not_write_settings_into_a_directory_linked_out_of_the_workspace(
        machine: tuple[Path, Path], tmp_path: Path) -> None:
    ws, home = machine
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, ws / ".claude")
    run = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home", "--agent", "claude-code")
    assert run.returncode == 0, run.stderr
    assert list(elsewhere.iterdir()) == []
    assert "not changed" in run.stdout and "outside" in run.stdout
    assert "added to" not in run.stdout.split("warning")[0] or ".claude" not in run.stdout.split("warning")[0]


def test_contain_still_writes_ordinary_rules(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    run = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home", "--agent", "claude-code")
    assert run.returncode == 0, run.stderr
    settings = json.loads((ws / ".claude" / "settings.json").read_text())
    assert "Read(./.env)" in settings["permissions"]["deny"]


# --- #12.2 / #12.13 -o never writes through a link and is checked before the scan ------------------

def test_output_file_that_is_a_committed_link_is_refused(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    os.symlink(home / ".bashrc", ws / "credreach.sarif")
    run = cli(ws, home, "scan", str(ws), "--offline", "-f", "sarif", "-o", "credreach.sarif")
    assert run.returncode == 2
    assert "symbolic link" in run.stderr
    assert (home / ".bashrc").read_text() == "# the user's own bashrc\n"


@pytest.mark.parametrize("command", ["scan", "baseline"])
def test_unwritable_output_is_refused_before_the_scan(machine: tuple[Path, Path], command: str) -> None:
    ws, home = machine
    reach_map = ws.parent / "reach-map.json"
    missing = ws / "no-such-dir" / "out.json"
    if command == "scan":
        run = cli(ws, home, "scan", str(ws), "--offline", "-f", "json", "-o", str(missing),
                  "--reach-map", str(reach_map))
    else:
        run = cli(ws, home, "baseline", "create", str(ws), "-o", str(missing))
    assert run.returncode == 2
    assert "cannot write" in run.stderr and "does not exist" in run.stderr
    assert not reach_map.exists()  # the scan (which writes the reach map at its end) never ran


def test_baseline_file_that_is_a_link_is_not_written_through(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    os.symlink(home / ".bashrc", ws / ".credreach-baseline.json")
    run = cli(ws, home, "baseline", "create", str(ws), "-o", str(ws / ".credreach-baseline.json"))
    assert run.returncode == 2
    assert (home / ".bashrc").read_text() == "# the user's own bashrc\n"


# --- #12.4 FIFOs in git metadata --------------------------------------------------------------------

@needs_git
@pytest.mark.timeout(90)
@pytest.mark.parametrize("name", ["config", "HEAD", "packed-refs"])
def test_fifo_in_git_metadata_does_not_hang_history_preflight_or_contain(machine: tuple[Path, Path],
                                                                          name: str) -> None:
    ws, home = machine
    git(ws, "init", "-q")
    fifo = ws / ".git" / name
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo)
    rep = report(ws, home, "--git-history")
    assert found(rep)["github_classic_pat"] == [".env"]
    assert any(example.endswith(f".git/{name}") for reason, examples in skips(rep).items()
               if "git metadata" in reason for example in examples), skips(rep)
    pre = cli(ws, home, "preflight", str(ws), "--home-dir", str(home), "--offline", "--no-env", "-f", "json")
    assert pre.returncode in (0, 1), pre.stderr
    con = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home", "--dry-run")
    assert con.returncode == 0, con.stderr


@needs_git
@pytest.mark.timeout(60)
def test_fifo_gitignore_does_not_stall_a_plain_scan(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    git(ws, "init", "-q")
    (ws / "sub").mkdir()
    (ws / "sub" / "npm.txt").write_text(f"token={NPM_TOKEN}\n")
    os.mkfifo(ws / "sub" / ".gitignore")
    rep = report(ws, home)
    assert set(found(rep)) >= {"github_classic_pat", "npm_token"}
    assert any(e.endswith("sub/.gitignore") for examples in skips(rep).values() for e in examples)
    assert any("ignore rules" in w for w in rep["scan"]["warnings"])


# --- #12.7 deep input -------------------------------------------------------------------------------

def _deep(root: Path, levels: int) -> Path:
    cur = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir("d", dir_fd=cur)
            nxt = os.open("d", os.O_RDONLY, dir_fd=cur)
            os.close(cur)
            cur = nxt
        fd = os.open("deep.env", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=cur)
        os.write(fd, f"NPM_TOKEN={NPM_TOKEN}\n".encode())
        os.close(fd)
    finally:
        os.close(cur)
    return root


@needs_git
@pytest.mark.timeout(200)
def test_a_tree_1200_directories_deep_scans_with_history(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    git(ws, "init", "-q")
    _deep(ws, 1200)
    try:
        rep = report(ws, home, "--git-history")
        assert "npm_token" in found(rep)
        assert found(rep)["npm_token"][0].endswith("/d/deep.env")
    finally:  # pytest's own cleanup (shutil.rmtree) is recursive and would fail on this tree
        subprocess.run(["rm", "-rf", str(ws / "d")], check=False)


@pytest.mark.timeout(120)
def test_deeply_nested_settings_json_is_reported_not_fatal(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    (ws / ".claude").mkdir()
    (ws / ".claude" / "settings.json").write_text('{"permissions": ' + "[" * 100_000 + "]" * 100_000 + "}")
    pre = cli(ws, home, "preflight", str(ws), "--home-dir", str(home), "--offline", "--no-env",
              "--no-history", "-f", "json")
    assert pre.returncode in (0, 1), pre.stderr
    errors = [c["error"] for c in pre.json()["agent_configs"] if c["error"]]
    assert any("nested too deeply" in e for e in errors), errors
    con = cli(ws, home, "contain", str(ws), "--home-dir", str(home), "--no-home")
    assert con.returncode == 0, con.stderr
    assert "nested too deeply" in con.stdout


# --- #12.8 big blobs in history ---------------------------------------------------------------------

@needs_git
@pytest.mark.timeout(120)
def test_over_size_blob_in_head_is_reported_once_and_never_read(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    git(ws, "init", "-q")
    with open(ws / "big.bin", "wb") as handle:  # a binary over the 1 MB limit, in HEAD and history
        handle.write(os.urandom(1 << 16) * 40)
    (ws / "small.txt").write_text(f"npm={NPM_TOKEN}\n")
    git(ws, "add", "big.bin", "small.txt")
    git(ws, "commit", "-qm", "add")
    rep = report(ws, home, "--git-history", "--max-file-size", "1MB")
    assert "npm_token" in found(rep)
    too_large = [e for reason, examples in skips(rep).items() if "larger" in reason for e in examples]
    history = [e for e in too_large if e.startswith("git:")]
    assert len(history) == 1 and history[0].endswith(":big.bin"), too_large


# --- #12.13 bare repositories, missing objects ------------------------------------------------------

@needs_git
@pytest.mark.timeout(120)
def test_bare_repository_history_is_scanned(machine: tuple[Path, Path], tmp_path: Path) -> None:
    ws, home = machine
    src = tmp_path / "src"
    src.mkdir()
    git(src, "init", "-q")
    (src / "old.txt").write_text(f"npm={OLD_TOKEN}\n")
    git(src, "add", "old.txt")
    git(src, "commit", "-qm", "secret")
    git(src, "rm", "-q", "old.txt")
    git(src, "commit", "-qm", "remove")
    git(tmp_path, "clone", "-q", "--bare", str(src), str(ws / "mirror.git"))
    rep = report(ws, home, "--git-history")
    locations = found(rep)["npm_token"]
    assert any(p.startswith("git:") and p.endswith(":old.txt") for p in locations), locations


@needs_git
@pytest.mark.timeout(120)
def test_one_missing_object_does_not_drop_the_history(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    git(ws, "init", "-q")
    (ws / "a.txt").write_text(f"npm={OLD_TOKEN}\n")
    (ws / "b.txt").write_text("lost content\n")
    git(ws, "add", "a.txt", "b.txt")
    git(ws, "commit", "-qm", "one")
    (ws / "a.txt").unlink()
    git(ws, "add", "-A")
    git(ws, "commit", "-qm", "two")
    lost = git(ws, "rev-parse", "HEAD~1:b.txt").strip()
    (ws / ".git" / "objects" / lost[:2] / lost[2:]).unlink()
    rep = report(ws, home, "--git-history")
    assert any(p.endswith(":a.txt") for p in found(rep)["npm_token"])
    missing = [e for reason, examples in skips(rep).items() if "missing" in reason for e in examples]
    assert any(lost[:12] in e for e in missing), skips(rep)


@needs_git
@pytest.mark.timeout(120)
def test_hostile_git_config_cannot_relocate_or_run(machine: tuple[Path, Path]) -> None:
    """Global/system config are ignored and a repo-level fsmonitor hook never runs."""
    ws, home = machine
    git(ws, "init", "-q")
    marker = ws.parent / "ran"
    hook = ws.parent / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    subprocess.run(["git", "-C", str(ws), "config", "core.fsmonitor", str(hook)], check=True)
    (home / ".gitconfig").write_text(f"[core]\n\tfsmonitor = {hook}\n")
    rep = report(ws, home, "--git-history")
    assert "github_classic_pat" in found(rep)
    assert not marker.exists()


# --- #12.13 one key in three encodings is one credential --------------------------------------------

def test_the_same_key_in_three_encodings_is_one_credential(machine: tuple[Path, Path]) -> None:
    ws, home = machine
    raw = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzq8mPLe2Q1"
    (ws / "a.json").write_text(json.dumps({"secret_key": raw}).replace("/", "\\/") + "\n")
    (ws / "b.ini").write_text("secret_key=" + raw.replace("/", "%2F").replace("+", "%2B") + "\n")
    (ws / "c.env").write_text(f"SECRET_KEY={raw}\n")
    rep = report(ws, home)
    matching = [c for c in rep["credentials"]
                if {loc["path"] for loc in c["locations"]} & {"a.json", "b.ini", "c.env"}]
    assert len(matching) == 1, [(c["kind"], [loc["path"] for loc in c["locations"]]) for c in matching]
    assert {loc["path"] for loc in matching[0]["locations"]} == {"a.json", "b.ini", "c.env"}


def test_canonical_secret_undoes_only_well_formed_encodings() -> None:
    raw = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzq8mPLe2Q1"
    assert canonical_secret(raw) == raw
    assert canonical_secret(raw.replace("/", "\\/")) == raw
    assert canonical_secret(raw.replace("/", "%2F").replace("+", "%2B")) == raw
    assert canonical_secret(base64.b64encode(b"user:" + raw.encode()).decode()) == "user:" + raw
    assert canonical_secret("p%zzword-100%") == "p%zzword-100%"  # not percent-encoding: unchanged
    assert canonical_secret(GH_TOKEN) == GH_TOKEN
    random_b64 = base64.b64encode(bytes(range(200, 236))).decode()  # decodes to binary: unchanged
    assert canonical_secret(random_b64) == random_b64


# --- git is run so that the scanned repository cannot make it fetch, run or swap anything ----------

def _objects(repo: Path) -> list[str]:
    return sorted(str(p.relative_to(repo)) for p in (repo / ".git" / "objects").rglob("*") if p.is_file())


@needs_git
def test_a_partial_clone_never_lazy_fetches_from_its_promisor_remote(tmp_path: Path) -> None:
    """A blobless clone names a remote; reading a missing blob would fetch it from there, writing
    into the scanned repository and reading a repository outside the tree. Neither may happen."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "root")
    (other / "deploy.env").write_text(f"NPM_TOKEN={NPM_TOKEN}\n")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "secret lives outside the scanned tree")
    (other / "README").write_text("hello\n")
    git(other, "add", ".")
    git(other, "commit", "-q", "-m", "second")
    git(other, "config", "uploadpack.allowFilter", "true")
    scanned = tmp_path / "scanned"
    git(tmp_path, "clone", "-q", "--no-checkout", "--filter=blob:none", f"file://{other}", str(scanned))
    before = _objects(scanned)
    rep = report(scanned, tmp_path, "--git-history")
    assert _objects(scanned) == before, "git wrote into the scanned repository"
    assert "npm_token" not in found(rep)
    # diff mode reads `git log -p`, which is what would fetch: it fails closed (exit 2), fetching nothing
    run = cli(scanned, tmp_path, "scan", str(scanned), "--offline", "-f", "json", "--diff", "HEAD~2")
    assert _objects(scanned) == before, "git fetched into the scanned repository"
    assert NPM_TOKEN not in run.stdout + run.stderr


@needs_git
def test_replace_refs_cannot_hide_a_committed_secret(tmp_path: Path) -> None:
    """``refs/replace`` makes git show another commit than the one stored; history is read as stored."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "app.env").write_text(f"NPM_TOKEN={NPM_TOKEN}\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "add key")
    leaked = git(repo, "rev-parse", "HEAD").strip()
    (repo / "app.env").write_text("NPM_TOKEN=\n")
    git(repo, "commit", "-q", "-am", "clean")
    git(repo, "commit", "-q", "--allow-empty", "-m", "decoy", "--amend")  # some other commit object
    decoy = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "replace", "-f", leaked, decoy)
    (repo / "app.env").unlink()
    rep = report(repo, tmp_path, "--git-history")
    assert "npm_token" in found(rep), rep["credentials"]
