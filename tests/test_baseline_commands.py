"""`credreach baseline update | prune | audit` on real git repositories, through the real CLI process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.redact import FINGERPRINT_KEY_ENV, fingerprint
from tests.conftest import PROJECT_ROOT, Run, git, run_credreach

NPM_KEPT = "npm_" + "Qw3Er4Ty5Ui6Op7As8Df9Gh0Jk1Lz2Xc3Vb4"
NPM_GONE = "npm_" + "Pl9Ok8Ij7Uh6Yg5Tf4Rd3Es2Wa1Qz0Xs9Cd8"
NPM_NEW = "npm_" + "Mn5Bv6Cx7Zl8Kj9Hg0Fd1Sa2Po3Iu4Yt5Re6W"
PASSWORD = "Sommer2024Zeit!Kx"
SECRETS = (NPM_KEPT, NPM_GONE, NPM_NEW, PASSWORD)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_KEPT}\n")
    (repo / "old.env").write_text(f"NPM_TOKEN={NPM_GONE}\n")
    (repo / "app.py").write_text("print('hi')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def cli(repo: Path, *args: str, env: dict[str, str] | None = None) -> Run:
    run = run_credreach("baseline", *args, cwd=repo, env={"HOME": str(repo / "no-home"), **(env or {})})
    assert "Traceback" not in run.stderr
    for secret in SECRETS:
        assert secret not in run.stdout + run.stderr
    return run


def entries(path: Path) -> dict[str, dict]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    fps = [e["fingerprint"] for e in doc["entries"]]
    assert fps == sorted(fps), "entries are sorted by fingerprint"
    return {e["fingerprint"]: e for e in doc["entries"]}


def test_update_creates_then_adds_new_and_keeps_existing_entries(repo: Path) -> None:
    baseline = repo / ".credreach-baseline.json"
    first = cli(repo, "update", "--reason", "test fixtures, revoked")
    assert first.returncode == 0, first.stderr
    assert "added 2" in first.stdout
    made = entries(baseline)
    assert set(made) == {fingerprint(NPM_KEPT), fingerprint(NPM_GONE)}
    assert {e["reason"] for e in made.values()} == {"test fixtures, revoked"}
    assert made[fingerprint(NPM_KEPT)]["first_locations"] == ["deploy.sh:1:18"]
    text = baseline.read_text(encoding="utf-8")
    assert not any(secret in text for secret in SECRETS)

    # One secret deleted, one added: update adds the new one and keeps the deleted one's entry.
    (repo / "old.env").unlink()
    (repo / "settings.ini").write_text(f'NPM = "{NPM_NEW}"\n')
    second = cli(repo, "update", "-b", str(baseline), "--reason", "second batch")
    assert second.returncode == 0, second.stderr
    assert "added 1" in second.stdout and "1 no longer found, marked resolved" in second.stdout
    assert "prune" in second.stdout
    updated = entries(baseline)
    assert set(updated) == {fingerprint(NPM_KEPT), fingerprint(NPM_GONE), fingerprint(NPM_NEW)}
    assert updated[fingerprint(NPM_KEPT)] == made[fingerprint(NPM_KEPT)]   # reason and locations kept
    assert updated[fingerprint(NPM_GONE)] == {**made[fingerprint(NPM_GONE)], "resolved": True}  # kept, marked
    assert updated[fingerprint(NPM_NEW)]["reason"] == "second batch"
    assert "resolved" not in updated[fingerprint(NPM_NEW)]

    # Nothing new: the file is not rewritten (same bytes, same inode), so its diff stays empty.
    before, inode = baseline.read_bytes(), baseline.stat().st_ino
    idle = cli(repo, "update", "-b", str(baseline), "--reason", "third")
    assert idle.returncode == 0 and "unchanged" in idle.stdout
    assert baseline.read_bytes() == before and baseline.stat().st_ino == inode

    # The deleted file comes back: the mark goes, the entry is as it was; then again idle.
    (repo / "old.env").write_text(f"NPM_TOKEN={NPM_GONE}\n")
    back = cli(repo, "update", "-b", str(baseline))
    assert back.returncode == 0 and "added 0, resolved marks updated" in back.stdout
    assert entries(baseline)[fingerprint(NPM_GONE)] == made[fingerprint(NPM_GONE)]
    before = baseline.read_bytes()
    assert "unchanged" in cli(repo, "update", "-b", str(baseline)).stdout and baseline.read_bytes() == before

    # The gate accepts everything in it, at the strictest threshold.
    gate = run_credreach("scan", ".", "--offline", "--fail-on", "low", "--baseline", str(baseline), "-f", "json",
                         cwd=repo, env={"HOME": str(repo / "no-home")})
    assert gate.returncode == 0, gate.stdout
    assert gate.json()["credentials"] == []


def test_prune_drops_only_what_is_gone_and_dry_run_writes_nothing(repo: Path) -> None:
    baseline = repo / "accepted.json"
    assert cli(repo, "update", "-o", str(baseline), "--reason", "kept reason").returncode == 0
    (repo / "old.env").write_text("NPM_TOKEN=rotated-elsewhere\n")
    before = baseline.read_bytes()

    dry = cli(repo, "prune", "-b", str(baseline), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert f"would drop {fingerprint(NPM_GONE)[:16]}" in dry.stdout and "npm npm_token" in dry.stdout
    assert baseline.read_bytes() == before

    pruned = cli(repo, "prune", "-b", str(baseline))
    assert pruned.returncode == 0, pruned.stderr
    assert "dropped 1, 1 accepted credentials kept" in pruned.stdout
    left = entries(baseline)
    assert list(left) == [fingerprint(NPM_KEPT)] and left[fingerprint(NPM_KEPT)]["reason"] == "kept reason"

    again = cli(repo, "prune", "-b", str(baseline))
    assert again.returncode == 0 and "unchanged" in again.stdout


def test_prune_with_the_history_scope_keeps_entries_still_in_history(repo: Path) -> None:
    baseline = repo / "b.json"
    assert cli(repo, "update", "-o", str(baseline), "--git-history").returncode == 0
    (repo / "old.env").unlink()
    git(repo, "commit", "-q", "-am", "remove old.env")
    kept = cli(repo, "prune", "-b", str(baseline), "--git-history")
    assert kept.returncode == 0 and "unchanged" in kept.stdout    # still reachable in history
    assert fingerprint(NPM_GONE) in entries(baseline)


def test_audit_lists_present_and_stale_redacted(repo: Path) -> None:
    baseline = repo / ".credreach-baseline.json"
    assert cli(repo, "update", "--reason", "fixture").returncode == 0
    (repo / "old.env").unlink()
    (repo / "moved").mkdir()
    (repo / "deploy.sh").rename(repo / "moved" / "deploy.sh")
    before = baseline.read_bytes()

    text = cli(repo, "audit")
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    kept = next(i for i, line in enumerate(lines) if fingerprint(NPM_KEPT)[:16] in line)
    gone = next(i for i, line in enumerate(lines) if fingerprint(NPM_GONE)[:16] in line)
    assert lines[kept].startswith("present") and lines[gone].startswith("stale")
    assert "reason: fixture" in lines[kept + 1]
    assert lines[kept + 2].strip() == "at: moved/deploy.sh:1:18"           # where it is now
    assert lines[gone + 2].strip() == "was at: old.env:1:11"                # where it was accepted
    assert "1 present, 1 stale" in lines[-1]

    report = json.loads(cli(repo, "audit", "--format", "json").stdout)
    status = {e["fingerprint"]: (e["status"], e["found_at"]) for e in report["entries"]}
    assert status == {fingerprint(NPM_KEPT): ("present", ["moved/deploy.sh:1:18"]),
                      fingerprint(NPM_GONE): ("stale", [])}
    assert all(e["preview"].startswith("npm_") and "…" in e["preview"] for e in report["entries"])
    assert baseline.read_bytes() == before   # audit never writes

    assert cli(repo, "update").returncode == 0           # marks the gone one resolved
    marked = next(line for line in cli(repo, "audit").stdout.splitlines() if fingerprint(NPM_GONE)[:16] in line)
    assert marked.startswith("stale") and marked.endswith("(marked resolved)")


def test_a_malformed_resolved_mark_is_a_clear_error(repo: Path) -> None:
    baseline = repo / ".credreach-baseline.json"
    assert cli(repo, "update").returncode == 0
    doc = json.loads(baseline.read_text())
    doc["entries"][0]["resolved"] = "yes"
    baseline.write_text(json.dumps(doc))
    run = cli(repo, "audit")
    assert run.returncode == 2 and "entry 1: 'resolved' must be true or false" in run.stderr


def test_a_link_at_the_baseline_path_is_refused_and_not_followed(repo: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    (repo / "link.json").symlink_to(victim)
    run = cli(repo, "update", "-o", "link.json")
    assert run.returncode == 2 and "symbolic link" in run.stderr
    assert victim.read_text() == "do not touch\n" and (repo / "link.json").is_symlink()


def test_another_fingerprint_key_is_refused_before_anything_is_dropped(repo: Path) -> None:
    baseline = repo / ".credreach-baseline.json"
    assert cli(repo, "update").returncode == 0
    before = baseline.read_bytes()
    env = {FINGERPRINT_KEY_ENV: "another-team-key"}
    for command in ("prune", "update", "audit"):
        run = cli(repo, command, env=env)
        assert run.returncode == 2 and "different fingerprint key" in run.stderr, command
    assert baseline.read_bytes() == before


def test_prune_and_audit_need_an_existing_baseline(repo: Path) -> None:
    for command in ("prune", "audit"):
        run = cli(repo, command, "-b", "missing.json")
        assert run.returncode == 2 and "missing.json" in run.stderr and "baseline create" in run.stderr
    assert not os.path.lexists(repo / "missing.json")


def audit_interactively(repo: Path, answers: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "scanner", "baseline", "audit", "--interactive"], cwd=repo,
                          input=answers, capture_output=True, text=True, timeout=120,
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": str(PROJECT_ROOT), "LANG": "C.UTF-8",
                               "HOME": str(repo / "no-home")})
    assert "Traceback" not in proc.stderr
    assert not any(secret in proc.stdout + proc.stderr for secret in SECRETS)
    return proc


def test_interactive_audit_records_true_and_false_positives(repo: Path) -> None:
    baseline = repo / ".credreach-baseline.json"
    assert cli(repo, "update", "--reason", "fixture").returncode == 0
    first, second = sorted([fingerprint(NPM_KEPT), fingerprint(NPM_GONE)])
    before = baseline.read_bytes()

    quit_now = audit_interactively(repo, "q\n")
    assert quit_now.returncode == 0 and "0 verdicts recorded, 2 entries left" in quit_now.stdout
    assert baseline.read_bytes() == before

    # An answer that is not t/f/s/q is asked again; answers follow fingerprint order.
    run = audit_interactively(repo, "maybe\nt\nf\n")
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("a real secret (t), a false positive (f), skip (s), quit (q)?") == 3
    assert "[1/2]" in run.stdout and "[2/2]" in run.stdout and "2 verdicts recorded" in run.stdout
    recorded = entries(baseline)
    assert recorded[first]["verdict"] == "true-positive" and recorded[second]["verdict"] == "false-positive"
    assert recorded[first]["reason"] == "fixture"

    # Entries with a verdict are not asked again; verdicts survive an update; the listing shows them.
    again = audit_interactively(repo, "")
    assert again.returncode == 0 and "0 verdicts recorded, 0 entries left" in again.stdout
    (repo / "settings.ini").write_text(f'NPM = "{NPM_NEW}"\n')
    assert cli(repo, "update").returncode == 0
    assert entries(baseline)[first]["verdict"] == "true-positive"
    listing = cli(repo, "audit").stdout
    assert any(first[:16] in line and line.endswith("(true-positive)") for line in listing.splitlines())
    # Only the entry without a verdict (the new one) is asked.
    partial = audit_interactively(repo, "f\n")
    assert "1 verdicts recorded, 0 entries left" in partial.stdout
    assert entries(baseline)[fingerprint(NPM_NEW)]["verdict"] == "false-positive"
