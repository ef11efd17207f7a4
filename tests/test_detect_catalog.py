"""The data-driven catalog (issue 14.2): built-in prefixed formats, and user rules with --rules FILE.

Every sample token is built here from the documented format (prefix, length, alphabet) with a
seeded random body, written into a realistic file, and scanned with the real pipeline.
"""

from __future__ import annotations

import base64
import json
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.detect.catalog import RuleFileError, builtin_catalog, load_rule_file
from scanner.detect.checksums import make_token
from scanner.pipeline import ScanOptions, collect

RNG = random.Random(14)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"


def rand(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _jwt() -> str:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    payload = base64.urlsafe_b64encode(b'{"sub":"svc-ci","iat":1700000000}').decode().rstrip("=")
    return f"{header}.{payload}.{rand(ALNUM, 43)}"


JWT = _jwt()
SAMPLES = {
    "gcp_api_key": "AIza" + rand(ALNUM, 35),
    "gcp_oauth_client_secret": "GOCSPX-" + rand(ALNUM, 28),
    "gcp_access_token": "ya29." + rand(ALNUM, 120),
    "gcp_refresh_token": "1//0" + rand(ALNUM, 90),
    "azure_storage_key": rand(ALNUM, 86) + "==",
    "shopify_token": "shpat_" + rand(HEX, 32),
    "square_access_token": "EAAA" + rand(ALNUM, 60),
    "braintree_access_token": "access_token$production$" + rand("abcdefghij0123456789", 16) + "$" + rand(HEX, 32),
    "mailgun_api_key": "key-" + rand(HEX, 32),
    "mailchimp_api_key": rand(HEX, 32) + "-us14",
    "telegram_bot_token": "7412345678:AA" + rand(ALNUM, 33),
    "atlassian_api_token": "ATATT3" + rand(ALNUM, 180),
    "okta_api_token": "00" + rand(ALNUM, 40),
    "postman_api_key": "PMAK-" + rand(HEX, 24) + "-" + rand(HEX, 34),
    "pulumi_access_token": "pul-" + rand(HEX, 40),
    "terraform_cloud_token": rand(ALNUM, 14) + ".atlasv1." + rand(ALNUM, 67),
    "rubygems_api_key": "rubygems_" + rand(HEX, 48),
    "nuget_api_key": "oy2" + rand("abcdefghijklmnopqrstuvwxyz0123456789", 43),
    "private_key": "AGE-SECRET-KEY-1" + rand("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
    "jwt": JWT,
}
CONTEXTS = {
    "azure_storage_key": "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acct;"
                         "AccountKey={v};EndpointSuffix=core.windows.net\n",
    "okta_api_token": "curl -H 'Authorization: SSWS {v}' https://acme.okta.test/api/v1/users\n",
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_catalog_format_found_in_a_config_file(tmp_path: Path, kind: str) -> None:
    value = SAMPLES[kind]
    line = CONTEXTS.get(kind, "service:\n  credential: \"{v}\"\n").format(v=value)
    (tmp_path / "config.yaml").write_text(line)
    hits = collect(ScanOptions(roots=(str(tmp_path),), offline=True)).hits
    assert any(h.secret == value and h.kind == kind for h in hits), [(h.kind, h.rule) for h in hits]


def test_base64_wrapped_jwt_is_found_and_garbage_is_not(tmp_path: Path) -> None:
    wrapped = base64.b64encode(JWT.encode()).decode()
    fake = "ZXlK" + rand(ALNUM, 80)  # starts like base64 of "eyJ" but decodes to no JWT
    (tmp_path / "ci.env").write_text(f"CI_ID_TOKEN_B64={wrapped}\nNOISE={fake}\n")
    sink = collect(ScanOptions(roots=(str(tmp_path),), offline=True))
    assert wrapped in {h.secret for h in sink.hits}
    assert fake not in {h.secret for h in sink.hits}


def test_every_builtin_rule_names_a_source_and_has_a_secret_group() -> None:
    text = (Path(__file__).parent.parent / "scanner/detect/data/catalog.toml").read_text()
    rules = builtin_catalog()
    assert len(rules) >= 60
    assert text.count("source = ") == len(rules)
    assert all("secret" in r.pattern.groupindex and r.keywords for r in rules)


def test_user_rule_file_adds_a_rule(tmp_path: Path) -> None:
    rules = tmp_path / "my-rules.toml"
    rules.write_text('[[rules]]\nid = "acme-token"\nprovider = "acme"\nkind = "acme_token"\n'
                     "regex = '''\\b(?P<secret>acme_[a-z0-9]{24})\\b'''\nkeywords = [\"acme_\"]\n"
                     'description = "ACME internal token."\nsource = "ACME wiki"\n')
    workspace = tmp_path / "ws"
    workspace.mkdir()
    token = "acme_" + rand("abcdefghijklmnopqrstuvwxyz0123456789", 24)
    (workspace / "notes.txt").write_text(f"use {token} for the staging API\n")
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(workspace), "--offline", "-f", "json",
                          "--rules", str(rules)], capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    assert [c["kind"] for c in report["credentials"]] == ["acme_token"], run.stderr


def test_yaml_rule_file_has_the_same_shape(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("rules:\n  - id: acme-yaml\n    provider: acme\n    kind: acme_token\n"
                     "    regex: '\\b(?P<secret>acmey_[0-9]{12})\\b'\n    keywords: [acmey_]\n")
    (loaded,) = load_rule_file(rules)
    assert loaded.id == "acme-yaml" and loaded.pattern.search("x acmey_123456789012 y")


@pytest.mark.parametrize(("body", "message"), [
    ('[[rules]]\nid = "x"\nprovider = "p"\nkind = "k"\nregex = "(a+)+"\n', "nested quantifier"),
    ('[[rules]]\nid = "x"\nprovider = "p"\nkind = "k"\nregex = "abc"\n', "named group `secret`"),
    ('[[rules]]\nid = "x"\nprovider = "p"\nkind = "k"\nregex = "(?P<secret>[a"\n', "invalid regex"),
    ('[[rules]]\nid = "x"\nkind = "k"\nregex = "(?P<secret>a)"\n', "missing"),
    ("not toml at all [[[", "not a valid rule file"),
])
def test_bad_rule_file_is_one_clear_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body)
    with pytest.raises(RuleFileError, match=message):
        load_rule_file(path)
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(tmp_path), "--offline",
                          "--rules", str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "bad.toml" in run.stderr


def test_checksum_valid_token_passes_and_bad_checksum_is_dropped_when_strict(tmp_path: Path) -> None:
    good = make_token("ghp_", rand(ALNUM, 30))
    bad = good[:-1] + ("A" if good[-1] != "A" else "B")
    (tmp_path / ".env").write_text(f"GITHUB_TOKEN={good}\nOTHER_GH={bad}\n")
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(tmp_path), "--offline", "-f", "json",
                          "--strict-checksums", "--show-filtered"], capture_output=True, text=True, timeout=120)
    report = json.loads(run.stdout)
    assert [c["kind"] for c in report["credentials"]] == ["github_classic_pat"]
    assert [f["filtered_by"] for f in report["filtered"]] == ["checksum"]
    assert bad not in run.stdout and good not in run.stdout
