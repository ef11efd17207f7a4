"""Environment variables and /proc/PID/environ, with real processes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from scanner.detect.rules import RULES_BY_ID
from scanner.model import SourceKind
from scanner.sources.env import collect_env, parse_environ_block, read_proc_environ
from tests.helpers import CollectingSink

UUID = "4d0e2c9a-7b1f-4e3a-9c5d-2f8e6a1b3c7d"




def test_railway_token_variable_becomes_a_document_the_context_rule_matches() -> None:
    sink = CollectingSink()
    stats = collect_env({"RAILWAY_TOKEN": UUID, "HOME": "/home/dev", "EMPTY": "  "}, sink)
    docs = {d.origin.path: d for d in sink.documents}
    assert set(docs) == {"env:RAILWAY_TOKEN", "env:HOME"}  # empty values are not scanned
    doc = docs["env:RAILWAY_TOKEN"]
    assert doc.text == f"RAILWAY_TOKEN={UUID}" and doc.origin.source is SourceKind.ENV
    assert doc.origin.line is None and doc.origin.column is None
    match = RULES_BY_ID["railway-project-token"].pattern.search(doc.text)
    assert match and match.group("secret") == UUID
    assert match.start("secret") + 1 == len("RAILWAY_TOKEN=") + 1  # column 15 points at the value
    assert stats.items == 2 and stats.hits == 0


def test_aws_group_gets_a_structured_hit_with_companions() -> None:
    sink = CollectingSink()
    environ = {"AWS_ACCESS_KEY_ID": "ASIACREDREACHENVKEY2", "AWS_SECRET_ACCESS_KEY": "s" * 40,
               "AWS_SESSION_TOKEN": "FwoGtoken", "AWS_REGION": "eu-west-1"}
    stats = collect_env(environ, sink, label="env[42]")
    (hit,) = sink.hits
    assert (hit.provider, hit.kind, hit.secret) == ("aws", "aws_access_key", "ASIACREDREACHENVKEY2")
    assert dict(hit.companions) == {"aws_secret_access_key": "s" * 40, "aws_session_token": "FwoGtoken",
                                    "region": "eu-west-1"}
    assert hit.location.path == "env[42]:AWS_ACCESS_KEY_ID" and hit.location.source is SourceKind.ENV
    # Same place the detector finds the key id in the variable's document.
    doc = next(d for d in sink.documents if d.origin.path == "env[42]:AWS_ACCESS_KEY_ID")
    match = RULES_BY_ID["aws-access-key"].pattern.search(doc.text)
    assert match and (1, match.start("secret") + 1) == (hit.location.line, hit.location.column)
    assert stats.hits == 1


def test_pgpassword_and_terraform_tokens() -> None:
    sink = CollectingSink()
    collect_env({"PGPASSWORD": "pg-fixture-pass", "PGHOST": "db.internal", "PGUSER": "app",
                 "TF_TOKEN_app_terraform_io": "tf.atlasv1.fixture", "TF_TOKEN_tfe_my__corp_com": "t2"}, sink)
    hits = {h.location.path: h for h in sink.hits}
    pg = hits["env:PGPASSWORD"]
    assert (pg.kind, dict(pg.companions)) == ("postgres_password", {"host": "db.internal", "user": "app"})
    assert hits["env:TF_TOKEN_app_terraform_io"].companions["host"] == "app.terraform.io"
    assert hits["env:TF_TOKEN_tfe_my__corp_com"].companions["host"] == "tfe.my-corp.com"


def test_parse_environ_block() -> None:
    block = b"A=1\0EMPTY=\0WITH_EQ=a=b\0NOEQUALS\0MULTI=line1\nline2\0\0"
    assert parse_environ_block(block) == {"A": "1", "EMPTY": "", "WITH_EQ": "a=b", "MULTI": "line1\nline2"}


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs procfs")
def test_read_proc_environ_of_a_real_process() -> None:
    env = {"RAILWAY_TOKEN": UUID, "CREDREACH_FIXTURE": "x=y", "PATH": os.environ.get("PATH", "")}
    child = "import sys; print('ready', flush=True); sys.stdin.read()"
    proc = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"ready\n"  # exec finished, environment in place
        sink = CollectingSink()
        got = read_proc_environ(proc.pid, sink)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert got == env and sink.warnings == []
    scan_sink = CollectingSink()
    collect_env(got, scan_sink, label=f"env[{proc.pid}]")
    assert f"env[{proc.pid}]:RAILWAY_TOKEN" in {d.origin.path for d in scan_sink.documents}


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs procfs")
def test_read_proc_environ_self_matches_startup_environment() -> None:
    with open("/proc/self/environ", "rb") as handle:  # the reference, read independently
        expected = parse_environ_block(handle.read())
    assert read_proc_environ(os.getpid()) == expected


def test_read_proc_environ_missing_process_warns() -> None:
    sink = CollectingSink()
    assert read_proc_environ(2**22 + 12345, sink) == {}
    assert len(sink.warnings) == 1 and "environ" in sink.warnings[0]


@pytest.mark.skipif(os.geteuid() == 0 or not os.path.exists("/proc/1/environ"), reason="root reads any process")
def test_read_proc_environ_permission_denied_warns() -> None:
    sink = CollectingSink()
    assert read_proc_environ(1, sink) == {}
    assert "permission denied" in sink.warnings[0]
