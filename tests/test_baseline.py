"""Baselines through real files: round trip, suppression, resolved fingerprints, clear errors."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from scanner.baseline import (
    BASELINE_VERSION,
    Baseline,
    BaselineError,
    apply_baseline,
    create_baseline,
    load_baseline,
    write_baseline,
)
from scanner.model import ScanResult
from scanner.redact import FINGERPRINT_KEY_ENV, fingerprint
from tests.test_report_sarif import ALL_SECRETS, GITHUB_SECRET, sample_result

NOW = "2025-01-31T12:00:00Z"


def kinds(result: ScanResult) -> list[str]:
    return sorted(a.credential.kind for a in result.assessments)


def test_round_trip_suppresses_and_reports_resolved(tmp_path: Path) -> None:
    path = tmp_path / ".credreach-baseline.json"
    first = sample_result()
    # Accept everything except the GitHub token.
    accepted = replace(first, assessments=tuple(a for a in first.assessments
                                                if a.credential.kind != "github_classic_pat"))
    data = write_baseline(str(path), accepted, "known test fixtures, tracked in SEC-42", generated_at=NOW)
    assert len(data["entries"]) == 4

    baseline = load_baseline(str(path))
    assert baseline.version == BASELINE_VERSION and baseline.generated_at == NOW
    assert baseline.path == str(path)

    # Next scan: lines moved, the Postgres URL is gone, the GitHub token is new.
    second = sample_result(line_shift=5)
    second = replace(second, assessments=tuple(a for a in second.assessments
                                               if a.credential.kind != "postgres_url"))
    applied = apply_baseline(second, baseline)
    assert kinds(applied) == ["github_classic_pat"]
    assert applied.suppressed == 3
    pg_fingerprint = next(a.credential.fingerprint for a in first.assessments
                          if a.credential.kind == "postgres_url")
    assert applied.resolved == (pg_fingerprint,)
    assert applied.stats == second.stats


def test_baseline_file_content_and_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(str(path), sample_result(), "accepted", generated_at=NOW)
    text = path.read_text(encoding="utf-8")
    for secret in ALL_SECRETS:
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text
    doc = json.loads(text)
    assert set(doc) == {"version", "generated_at", "fingerprint_key_id", "entries"}
    fps = [e["fingerprint"] for e in doc["entries"]]
    assert fps == sorted(fps) and len(fps) == 5
    github = next(e for e in doc["entries"] if e["kind"] == "github_classic_pat")
    assert github == {
        "fingerprint": fingerprint(GITHUB_SECRET), "provider": "github", "kind": "github_classic_pat",
        "preview": github["preview"], "reason": "accepted",
        "first_locations": ["docs/notes |draft` v2.md:10:5 [gitignored]"],
    }
    assert github["preview"].startswith("ghp_") and GITHUB_SECRET not in github["preview"]
    railway = next(e for e in doc["entries"] if e["kind"] == "railway_account_token")
    assert railway["first_locations"][0] == "app/.env:3:19"
    assert any(loc.startswith("git history: config/old.env") for loc in railway["first_locations"])


def test_a_secret_typed_into_the_reason_is_redacted(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(str(path), sample_result(), f"old token {GITHUB_SECRET}", generated_at=NOW)
    assert GITHUB_SECRET not in path.read_text(encoding="utf-8")


def test_regenerating_keeps_earlier_reasons(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    result = sample_result()
    only_railway = replace(result, assessments=tuple(a for a in result.assessments
                                                     if a.credential.kind == "railway_account_token"))
    write_baseline(str(path), only_railway, "first reason", generated_at=NOW)
    write_baseline(str(path), result, "second reason", previous=load_baseline(str(path)))
    reasons = {e.kind: e.reason for e in load_baseline(str(path)).entries}
    assert reasons["railway_account_token"] == "first reason"
    assert reasons["github_classic_pat"] == "second reason"


def test_create_baseline_deduplicates() -> None:
    result = sample_result()
    doubled = replace(result, assessments=result.assessments + result.assessments[:2])
    assert len(create_baseline(doubled, "x", generated_at=NOW)["entries"]) == 5


def test_apply_adds_to_existing_counts() -> None:
    result = replace(sample_result(), suppressed=2, resolved=("f" * 32,))
    baseline = Baseline(version=1, generated_at=NOW, entries=())
    applied = apply_baseline(result, baseline)
    assert applied.suppressed == 2 and applied.resolved == ("f" * 32,)
    assert len(applied.assessments) == 5


def test_a_different_fingerprint_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "baseline.json"
    write_baseline(str(path), sample_result(), "accepted", generated_at=NOW)
    baseline = load_baseline(str(path))
    monkeypatch.setenv(FINGERPRINT_KEY_ENV, "team-secret-key")
    with pytest.raises(BaselineError) as info:
        apply_baseline(sample_result(), baseline)
    assert str(path) in str(info.value) and "CREDREACH_FINGERPRINT_KEY" in str(info.value)


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"generated_at": "x", "entries": []}', "'version'"),
    ('{"version": 99, "entries": []}', "newer credreach"),
    ('{"version": 1}', "missing 'entries'"),
    ('{"version": 1, "entries": [{"fingerprint": "zz"}]}', "entry 1: 'fingerprint'"),
    ('{"version": 1, "entries": ["abc"]}', "entry 1: expected an object"),
    ('{"version": 1, "entries": [{"fingerprint": "' + "a" * 32 + '", "reason": 5}]}', "entry 1: 'reason'"),
    ('{"version": 1, "entries": [{"fingerprint": "' + "a" * 32 + '", "first_locations": "x"}]}',
     "'first_locations'"),
])
def test_malformed_files_raise_baseline_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        load_baseline(str(path))
    assert problem in str(info.value)
    assert str(path) in str(info.value) and info.value.path == str(path)


def test_error_messages_do_not_quote_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"version": 1, "entries": [{"fingerprint": GITHUB_SECRET}]}), encoding="utf-8")
    with pytest.raises(BaselineError) as info:
        load_baseline(str(path))
    assert GITHUB_SECRET not in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BaselineError, match="file not found"):
        load_baseline(str(tmp_path / "absent.json"))
    with pytest.raises(BaselineError, match="is a directory"):
        load_baseline(str(tmp_path))


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "baseline.json"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_baseline(str(fifo))
        except BaseException as exc:  # collected for the assertion below
            outcome.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive(), "load_baseline blocked on a FIFO"
    assert outcome and isinstance(outcome[0], BaselineError)


def test_unwritable_location_raises_baseline_error(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "baseline.json"
    with pytest.raises(BaselineError, match="cannot write"):
        write_baseline(str(target), sample_result(), "x")


# --- credreach's own output is never a finding (issue 13.6) ---------------------------------------

from tests.conftest import git, run_credreach  # noqa: E402

GH_LIVE = "ghp_" + "R8fLq2ZxW7nT4bVc9KpD3sHj6mYa1Ue5Xo0G"
NPM_LIVE = "npm_" + "Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9Lz1Xc3Vb5"


def _scan_json(root: Path, *args: str) -> dict:
    run = run_credreach("scan", ".", "--offline", "-f", "json", "--no-reach-map", *args, cwd=root,
                        env={"HOME": str(root.parent / "home")})
    assert run.returncode in (0, 1), run.stderr
    return run.json()


def test_a_baseline_inside_the_tree_is_never_a_finding_and_recreate_is_stable(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_LIVE}\n")
    env = {"HOME": str(tmp_path / "home")}
    for _ in range(3):  # every re-create used to add one entry: the previous baseline's fingerprint
        made = run_credreach("baseline", "create", ".", cwd=root, env=env)
        assert made.returncode == 0, made.stderr
        entries = json.loads((root / ".credreach-baseline.json").read_text())["entries"]
        assert [e["kind"] for e in entries] == ["npm_token"]
    report = _scan_json(root)
    assert [c["kind"] for c in report["credentials"]] == ["npm_token"]
    assert all(loc["path"] == "deploy.sh" for c in report["credentials"] for loc in c["locations"])


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_reports_and_reach_maps_written_into_the_tree_are_not_findings(tmp_path: Path, fmt: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_LIVE}\n")
    env = {"HOME": str(tmp_path / "home")}
    wrote = run_credreach("scan", ".", "--offline", "-f", fmt, "-o", f"report.{fmt}",
                          "--reach-map", "reach-map.json", cwd=root, env=env)
    assert wrote.returncode in (0, 1), wrote.stderr
    assert (root / "reach-map.json").is_file() and (root / f"report.{fmt}").is_file()
    report = _scan_json(root, "--show-filtered")
    assert [(c["kind"], c["locations"][0]["path"]) for c in report["credentials"]] == [("npm_token", "deploy.sh")]
    dropped = {f["location"]["path"] for f in report.get("filtered", []) if f["filtered_by"] == "credreach_output"}
    assert dropped <= {"reach-map.json", f"report.{fmt}"} and dropped


def test_a_real_token_inside_a_baseline_shaped_file_is_still_reported(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    fake = {"version": 1, "fingerprint_key_id": "0123456789abcdef", "entries": [
        {"fingerprint": "ab" * 16, "provider": "github", "kind": "github_classic_pat",
         "preview": GH_LIVE, "reason": "hidden here", "first_locations": []}]}
    (root / ".credreach-baseline.json").write_text(json.dumps(fake, indent=2))
    report = _scan_json(root)
    assert [c["kind"] for c in report["credentials"]] == ["github_classic_pat"]


def test_a_baseline_added_by_a_branch_is_not_a_finding_in_diff_mode(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    (root / "deploy.sh").write_text(f"export NPM_TOKEN={NPM_LIVE}\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    git(root, "checkout", "-q", "-b", "feature")
    made = run_credreach("baseline", "create", ".", cwd=root, env={"HOME": str(tmp_path / "home")})
    assert made.returncode == 0, made.stderr
    git(root, "add", ".credreach-baseline.json")
    git(root, "commit", "-q", "-m", "accept")
    report = _scan_json(root, "--diff", "main")
    assert report["credentials"] == []
