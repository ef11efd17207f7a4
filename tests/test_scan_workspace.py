"""The workspace scan on real trees in temp dirs, asserted through the real CLI's JSON output."""

from __future__ import annotations

import os
import shutil
import socket
import stat
from pathlib import Path

import pytest

from tests.conftest import git, run_credreach

# Assembled at run time so this repository holds no token-shaped literals.
GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
RAILWAY_UUID = "5f3c1a2b-9d8e-4f7a-b6c5-" + "1e2d3f4a5b6c"
NPM_TOKEN = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK_TOKEN = "xoxb-" + "2739104856-5018273649201-Qm7TzR2kWp9Lx4Nv8Bc3Hd6Y"  # random-looking: a sequential body is demoted
DB_PASSWORD = "Sup3rS3cretPw"


def scan_json(root: Path, *args: str, env: dict[str, str] | None = None,
              prefix: tuple[str, ...] = ()) -> dict:
    run = run_credreach("scan", str(root), "--offline", "--format", "json", *args, cwd=root,
                        env={"HOME": str(root / "no-home"), **(env or {})}, prefix=prefix)
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    return run.json()


def by_kind(report: dict, kind: str) -> list[dict]:
    return [c for c in report["credentials"] if c["kind"] == kind]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    git(root, "init", "-q")
    (root / ".gitignore").write_text(".env\nbuild/\n")
    (root / ".env").write_text(f"RAILWAY_TOKEN={RAILWAY_UUID}\nDATABASE_URL=postgres://app:{DB_PASSWORD}"
                               "@db.internal:5432/app_production\n")
    (root / "src").mkdir()
    (root / "src" / "settings.py").write_text(f'GITHUB_TOKEN = "{GH_TOKEN}"\n')
    (root / "build").mkdir()
    (root / "build" / "copy.txt").write_text(f"token: {GH_TOKEN}\n")
    git(root, "add", ".gitignore", "src/settings.py")
    git(root, "commit", "-q", "-m", "init")
    return root


def test_gitignored_env_is_scanned_and_labelled(workspace: Path) -> None:
    report = scan_json(workspace)
    railway = by_kind(report, "railway_project_token")
    assert len(railway) == 1
    (loc,) = railway[0]["locations"]
    assert loc["path"] == ".env" and loc["line"] == 1 and loc["column"] == 15
    assert loc["gitignored"] is True and loc["tracked"] is False and loc["readable"] is True
    assert railway[0]["verification"]["status"] == "not attempted"


def test_one_credential_many_locations_is_deduplicated(workspace: Path) -> None:
    report = scan_json(workspace)
    github = by_kind(report, "github_classic_pat")
    assert len(github) == 1
    paths = {(loc["path"], loc["tracked"], loc["gitignored"]) for loc in github[0]["locations"]}
    assert paths == {("src/settings.py", True, False), ("build/copy.txt", False, True)}


def test_json_schema_top_level_and_redaction(workspace: Path) -> None:
    report = scan_json(workspace)
    assert set(report) >= {"tool", "scan", "credentials"}
    assert report["tool"]["name"] == "credreach"
    assert set(report["scan"]) >= {"roots", "files_scanned", "bytes_scanned", "skipped"}
    for cred in report["credentials"]:
        assert set(cred) >= {"id", "provider", "kind", "fingerprint", "preview", "locations",
                             "verification", "severity", "reasons"}
        for loc in cred["locations"]:
            assert set(loc) >= {"path", "line", "column", "source", "gitignored", "tracked", "readable"}
    text = str(report)
    for secret in (GH_TOKEN, RAILWAY_UUID, DB_PASSWORD):
        assert secret not in text
    db = by_kind(report, "postgres_url")[0]
    assert db["preview"] == "postgres://app:****@db.internal:5432/app_production"


def test_show_secrets_prints_raw_values(workspace: Path) -> None:
    report = scan_json(workspace, "--show-secrets")
    assert GH_TOKEN in {c.get("secret") for c in report["credentials"]}


def test_nested_repository_labels_come_from_the_inner_repo(workspace: Path) -> None:
    inner = workspace / "vendor" / "inner"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    (inner / ".gitignore").write_text("secrets.txt\n")
    (inner / "secrets.txt").write_text(f"SLACK={SLACK_TOKEN}\n")
    (inner / "tracked.txt").write_text(f"npm={NPM_TOKEN}\n")
    git(inner, "add", ".gitignore", "tracked.txt")
    git(inner, "commit", "-q", "-m", "inner")
    report = scan_json(workspace)
    slack = by_kind(report, "slack_bot_token")[0]["locations"][0]
    npm = by_kind(report, "npm_token")[0]["locations"][0]
    assert slack["path"] == "vendor/inner/secrets.txt" and slack["gitignored"] is True
    assert npm["path"] == "vendor/inner/tracked.txt" and npm["tracked"] is True


def test_hostile_tree_finishes_and_reports_skips(workspace: Path, tmp_path: Path) -> None:
    os.symlink(workspace, workspace / "loop")                   # directory symlink loop
    os.symlink(workspace / "a", workspace / "b")
    os.symlink(workspace / "b", workspace / "a")                # a <-> b loop
    outside = tmp_path / "outside.txt"
    outside.write_text(f"token={NPM_TOKEN}\n")
    os.symlink(outside, workspace / "to-outside.txt")           # link out of the root
    os.mkfifo(workspace / "pipe")                               # FIFO: must never be opened
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(workspace / "sock"))
    (workspace / "image.bin").write_bytes(b"\x00\x01" * 100 + GH_TOKEN.encode())
    (workspace / "latin1.cfg").write_bytes(b"caf\xe9\nslack=" + SLACK_TOKEN.encode() + b"\n")
    (workspace / "big.log").write_bytes(b"x" * 3000 + b"\n")
    try:
        report = scan_json(workspace, "--max-file-size", "2K")
    finally:
        sock.close()
    skipped = report["scan"]["skipped"]
    reasons = {reason: entry["examples"] for reason, entry in skipped.items()}
    def skipped_for(name: str) -> str:
        return next(r for r, ex in reasons.items() if any(e.endswith(name) for e in ex))
    assert "FIFO" in skipped_for("pipe")
    assert "FIFO" in skipped_for("sock")
    assert skipped_for("image.bin") == "binary"
    assert skipped_for("big.log") == "larger than the size limit"
    assert "outside" in skipped_for("to-outside.txt")
    assert "loop" in skipped_for("/a") or "loop" in skipped_for("/b")
    # Invalid UTF-8 is scanned, not dropped, and a warning says so.
    slack = by_kind(report, "slack_bot_token")
    assert [loc["path"] for loc in slack[0]["locations"]] == ["latin1.cfg"]
    assert any("latin1.cfg" in w and "UTF-8" in w for w in report["scan"]["warnings"])
    # The token reachable only outside the root was not read.
    assert not by_kind(report, "npm_token")


def test_unreadable_file_is_reported_not_fatal(workspace: Path) -> None:
    secret_file = workspace / "locked.env"
    secret_file.write_text(f"token={NPM_TOKEN}\n")
    secret_file.chmod(0)
    locked_dir = workspace / "locked-dir"
    locked_dir.mkdir()
    (locked_dir / "x.txt").write_text("nothing\n")
    locked_dir.chmod(0)
    # As root, drop the capabilities that bypass file permissions so the process is an ordinary user.
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            pytest.skip("running as root without setpriv to drop CAP_DAC_OVERRIDE")
        prefix = ("setpriv", "--bounding-set=-dac_override,-dac_read_search")
    try:
        report = scan_json(workspace, prefix=prefix)
    finally:
        locked_dir.chmod(stat.S_IRWXU)
    skipped = report["scan"]["skipped"]
    assert "locked.env" in str(skipped["unreadable (permission denied)"]["examples"])
    assert "locked-dir" in str(skipped["unreadable directory"]["examples"])
    assert by_kind(report, "github_classic_pat")  # the rest of the scan went on


def test_exclude_include_and_credreachignore(workspace: Path) -> None:
    (workspace / ".credreachignore").write_text("build/\n")
    report = scan_json(workspace, "--exclude", "*.py")
    assert not by_kind(report, "github_classic_pat")
    assert by_kind(report, "railway_project_token")
    only = scan_json(workspace, "--include", "src/**")
    kinds = {c["kind"] for c in only["credentials"]}
    assert kinds == {"github_classic_pat"}


def test_inline_allowlist_comments_are_honoured(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(f'KEY = "{GH_TOKEN}"  # pragma: allowlist secret\n'
                                   f'OTHER = "{NPM_TOKEN}"  # credreach:allow\n'
                                   f'SLACK = "{SLACK_TOKEN}"\n')
    report = scan_json(tmp_path)
    assert {c["kind"] for c in report["credentials"]} == {"slack_bot_token"}


def test_aws_key_pairs_with_its_secret(tmp_path: Path) -> None:
    key_id = "AKIA" + "QYLPMN5HFIQR7XYZ"
    secret_key = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEZ"
    (tmp_path / "creds.ini").write_text(f"aws_access_key_id = {key_id}\naws_secret_access_key = {secret_key}\n")
    report = scan_json(tmp_path)
    assert [c["kind"] for c in report["credentials"]] == ["aws_access_key"]
    assert secret_key not in str(report)


def test_exit_codes_follow_fail_on(workspace: Path) -> None:
    home = {"HOME": str(workspace / "no-home")}
    medium = run_credreach("scan", str(workspace), "--offline", "--fail-on", "medium", "-f", "json", env=home)
    high = run_credreach("scan", str(workspace), "--offline", "--fail-on", "high", "-f", "json", env=home)
    never = run_credreach("scan", str(workspace), "--offline", "--fail-on", "none", "-f", "json", env=home)
    assert (medium.returncode, high.returncode, never.returncode) == (1, 0, 0)
    usage = run_credreach("scan", str(workspace), "--fail-on", "sometimes", env=home)
    missing = run_credreach("scan", str(workspace / "nope"), env=home)
    bad_endpoint = run_credreach("scan", str(workspace), "--endpoint", "railway", env=home)
    for run in (usage, missing, bad_endpoint):
        assert run.returncode == 2
        assert "Traceback" not in run.stderr and run.stderr.strip()


def test_output_file_and_table_are_redacted(workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    run = run_credreach("scan", str(workspace), "--offline", "-f", "json", "-o", str(out),
                        env={"HOME": str(workspace / "no-home")})
    assert run.returncode == 0 and run.stdout == ""
    assert GH_TOKEN not in out.read_text() and "github_classic_pat" in out.read_text()
    table = run_credreach("scan", str(workspace), "--offline", env={"HOME": str(workspace / "no-home")})
    assert "github" in table.stdout and GH_TOKEN not in table.stdout + table.stderr


def test_supabase_service_role_key_is_decoded_offline(tmp_path: Path) -> None:
    import base64
    import json

    def b64(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    jwt = (b64({"alg": "HS256", "typ": "JWT"}) + "." +
           b64({"iss": "supabase", "ref": "pocketosprodref01", "role": "service_role", "exp": 4100000000}) +
           ".s1gnatureAbcdefGhijkl")
    (tmp_path / ".env").write_text(f"SUPABASE_SERVICE_ROLE_KEY={jwt}\n")
    # No --offline: this kind is judged from the JWT itself and sends nothing anywhere.
    run = run_credreach("scan", str(tmp_path), "-f", "json", env={"HOME": str(tmp_path / "h")})
    (cred,) = run.json()["credentials"]
    assert cred["kind"] == "supabase_service_role_jwt"
    actions = {c["action"] for c in cred["blast_radius"]["capabilities"]}
    assert "delete" in actions
    assert jwt not in run.stdout
