"""Text decoding: every byte sequence is scanned and every reporter can print the result (#12.9, #13.2).

Real files in tmp_path; the CLI runs as a process for the reported cases, and a hypothesis test
drives random bytes (contents and file names) through run_scan and every reporter.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.cli import OutputFormat, render
from scanner.model import Location, SourceKind
from scanner.pipeline import ScanOptions, run_scan
from scanner.sources.base import Document, decode, looks_binary, raw_name, text_safe, wide_encoding
from tests.conftest import SARIF_PRODUCED, record_sarif, run_credreach

GH_TOKEN = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
LINE = f"$env:GITHUB_TOKEN = '{GH_TOKEN}'\r\n"


def scan_json(root: Path, *args: str) -> dict:
    run = run_credreach("scan", str(root), "--offline", "-f", "json", *args, cwd=root,
                        env={"HOME": str(root / "no-home")})
    assert run.returncode in (0, 1), run.stderr
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)


def kinds(report: dict) -> dict[str, list[str]]:
    return {c["kind"]: sorted(loc["path"] for loc in c["locations"]) for c in report["credentials"]}


@pytest.mark.parametrize("encoding, bom", [
    ("utf-16-le", codecs.BOM_UTF16_LE),  # Windows PowerShell 5 `>` / Out-File
    ("utf-16-le", b""),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-be", b""),
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-le", b""),
    ("utf-32-be", b""),
    ("utf-8", codecs.BOM_UTF8),
])
def test_wide_and_bom_encoded_text_is_scanned(tmp_path: Path, encoding: str, bom: bytes) -> None:
    (tmp_path / "profile.ps1").write_bytes(bom + ("# settings\r\n" + LINE).encode(encoding))
    report = scan_json(tmp_path)
    assert kinds(report).get("github_classic_pat") == ["profile.ps1"]
    cred = next(c for c in report["credentials"] if c["kind"] == "github_classic_pat")
    assert cred["locations"][0]["line"] == 2


def test_binary_with_nuls_is_still_binary() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8
    assert looks_binary(png)
    assert wide_encoding(png) is None
    assert not looks_binary("hello world\n".encode("utf-16-le"))
    # A NUL in every second byte is not enough: records of small integers have that lane too,
    # but read as UTF-16 they are control codes, not text.
    records = b"\x00\x01" * 100 + GH_TOKEN.encode()
    assert wide_encoding(records) is None and looks_binary(records)
    assert wide_encoding(b"\x01\x00\x00\x00" * 64) is None


def test_latin1_password_file_is_scanned_in_every_format(tmp_path: Path) -> None:
    """Issue 13.2's reproduction: this aborted the whole scan with `surrogates not allowed`."""
    (tmp_path / "cfg.ini").write_bytes(b'db_password = "Sommer\xf6Zeit2024"\n')
    (tmp_path / "other.env").write_text(f"GITHUB_TOKEN={GH_TOKEN}\n")
    for fmt in ("json", "sarif", "markdown", "table"):
        run = run_credreach("scan", str(tmp_path), "--offline", "-f", fmt, cwd=tmp_path,
                            env={"HOME": str(tmp_path / "no-home"), "COLUMNS": "200"})
        assert run.returncode in (0, 1), (fmt, run.stderr)
        assert "Traceback" not in run.stderr and "surrogates" not in run.stderr
        assert "other.env" in run.stdout
    report = scan_json(tmp_path)
    assert "cfg.ini" in {p for paths in kinds(report).values() for p in paths}
    assert any("cfg.ini" in w and "Latin-1" in w for w in report["scan"]["warnings"])


def test_decode_keeps_every_byte_and_never_yields_a_surrogate() -> None:
    text, lossy = decode(b"caf\xc3\xa9 Sommer\xf6Zeit \xff\xfe\x80")
    assert lossy
    assert text == "café SommeröZeit ÿþ\x80"
    text.encode("utf-8")  # strict: no lone surrogate
    assert decode(b"plain")[0] == "plain"
    assert decode(codecs.BOM_UTF8 + b"x=1")[0] == "x=1"
    assert decode(codecs.BOM_UTF16_LE + "x=1".encode("utf-16-le") + b"\x00")[0].startswith("x=1")


def test_documents_from_any_source_are_made_encodable() -> None:
    origin = Location(path="git:abc:f", line=None, column=None, source=SourceKind.GIT_HISTORY)
    doc = Document(text="pw=Sommer\udcf6Zeit \ud800", origin=origin, size=10)
    assert doc.text == "pw=SommeröZeit \ufffd"
    assert doc.decoded_with_errors
    assert text_safe("ascii") == "ascii"


_FORMATS = (OutputFormat.json, OutputFormat.sarif, OutputFormat.markdown, OutputFormat.table)
_NAME = st.binary(min_size=1, max_size=12).filter(lambda b: b"/" not in b and b"\x00" not in b
                                                  and b not in (b".", b".."))
_SEEDS = st.sampled_from([b"", b'password = "', GH_TOKEN.encode(), b"\xef\xbb\xbf", codecs.BOM_UTF16_LE,
                          b"postgres://u:p\xf6ss@db/x ", b"\x00", b"\xff\xfe\x00\x00"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(st.binary(max_size=200), _SEEDS), min_size=1, max_size=8), name=_NAME)
def test_random_bytes_go_through_the_whole_pipeline_and_every_reporter(parts: list[bytes], name: bytes) -> None:
    data = b"".join(parts)
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "ws")
        os.mkdir(root)
        with open(os.path.join(os.fsencode(root), name), "wb") as handle:
            handle.write(data)
        with open(os.path.join(root, "known.env"), "wb") as handle:  # the scan goes on past the odd file
            handle.write(b"GITHUB_TOKEN=" + GH_TOKEN.encode() + b"\n")
        result = run_scan(ScanOptions(roots=(root,), offline=True))
        assert any(a.credential.kind == "github_classic_pat" for a in result.assessments)
        for fmt in _FORMATS:
            text = render(result, fmt, show_secrets=False)
            text.encode("utf-8")  # strict: what every reporter writes is printable UTF-8
            if fmt in (OutputFormat.json, OutputFormat.sarif):
                json.loads(text)
            assert GH_TOKEN not in text
        # Every path in every format names a file that exists (issue 13: an escaped name did not).
        for a in result.assessments:
            for loc in a.credential.locations:
                assert os.path.lexists(os.path.join(os.getcwdb(), raw_name(loc.path))), loc.path
        for skipped in result.stats.skipped:
            assert os.path.lexists(os.path.join(os.getcwdb(), raw_name(skipped.path))), skipped
        sarif_text = render(result, OutputFormat.sarif, show_secrets=False)
        if len(SARIF_PRODUCED) < 400:
            record_sarif(sarif_text, f"test_decode random bytes {name!r}")
        sarif = json.loads(sarif_text)
        for res in sarif["runs"][0]["results"]:
            for loc in res["locations"]:
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                assert os.path.lexists(os.path.join(os.fsencode(root), unquote_to_bytes(uri))), uri
