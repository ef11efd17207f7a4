"""Home credential stores added for issue 14.4: real files (ssh-keygen keys, SQLite databases
written with gcloud's schema, each tool's documented config shape) in a temporary HOME."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from scanner.model import Hit
from scanner.sources.base import SKIP_TOO_LARGE
from scanner.sources.store_parsers import ssh
from scanner.sources.stores import KNOWN_STORES, collect_home
from tests.conftest import run_credreach
from tests.helpers import CollectingSink

# Shape-valid, fake values (each matches its provider's documented format, none is live).
AKIA = "AKIACREDREACHHOME234"
ASIA = "ASIACREDREACHCACHE27"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYCREDREACHKEY"
SSO_ACCESS = "aoaAAAAAGcredreachFakeSsoAccessToken0123456789abcdefghijklmnopqrstuvwxyz"
SSO_REFRESH = "aorAAAAAGcredreachFakeSsoRefreshToken0123456789abcdefghijklmnopqrstuvwxy"
SSO_CLIENT_SECRET = "eyJraWQiOiJrZXktMTU2Njk2ODc4OSIsImFsZyI6IkhTMzg0In0.credreachFakeClientSecret"
GCP_REFRESH = "1//0gCredreachFakeGcloudRefreshTokenAbCdEfGhIjKlMnOpQrStUvWxYz0123"
GCP_ACCESS = "ya29.a0CredreachFakeGcloudAccessTokenAbCdEfGhIjKlMnOpQrStUvWxYz0123456"
GEMINI_ACCESS = "ya29.a0CredreachFakeGeminiAccessTokenAbCdEfGhIjKlMnOpQrStUvWxYz012345"
GEMINI_REFRESH = "1//0gCredreachFakeGeminiRefreshTokenAbCdEfGhIjKlMnOpQrStUvWxYz01234"
CARGO_TOKEN = "cioCredreachCargoT0ken0123456789abcdef"
RUBYGEMS = "rubygems_" + "0123456789abcdef" * 3
GHO = "gho_CredreachFixtureHomeStoresCopilot1aBc"
GHU = "ghu_CredreachFixtureHomeStoresCopApps2xYz"
CLAUDE_ACCESS = "sk-ant-oat01-CredreachFakeClaudeCodeAccessToken_0123456789abcdefghijklmnopqrstuvwxyzAA"
CLAUDE_REFRESH = "sk-ant-ort01-CredreachFakeClaudeCodeRefreshToken_0123456789abcdefghijklmnopqrstuvwxyAA"
CHATGPT_ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJjcmVkcmVhY2giOiJmYWtlLWNvZGV4In0.CredreachFakeCodexAccessSig"
CHATGPT_REFRESH = "rt_CredreachFakeCodexRefreshToken0123456789abcdef"


def scan(home: Path, **kwargs: object) -> CollectingSink:
    sink = CollectingSink()
    collect_home(str(home), sink, **kwargs)  # type: ignore[arg-type]
    return sink


def write(home: Path, rel: str, content: str | bytes) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def at(hit: Hit, length: int = 12) -> str:
    """The text of the hit's file at its reported line and column."""
    assert hit.location.line is not None and hit.location.column is not None
    line = Path(hit.location.path).read_text().split("\n")[hit.location.line - 1]
    return line[hit.location.column - 1:hit.location.column - 1 + length]


def no_secret_in(messages: list[str], *secrets: str) -> None:
    for message in messages:
        for secret in secrets:
            assert secret[:12] not in message, message


# --- 1. SSH private keys ---------------------------------------------------------------------

def keygen(path: Path, kind: str, passphrase: str, *extra: str) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", passphrase, "-C", "test@credreach", "-f", str(path),
                    *extra], check=True, capture_output=True, timeout=60)
    return path.read_text()


@pytest.fixture(scope="module")
def ssh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("ssh-keygen") is None or shutil.which("openssl") is None:
        pytest.skip("ssh-keygen and openssl are needed to make real keys")
    keys = tmp_path_factory.mktemp("keys")
    keygen(keys / "id_ed25519", "ed25519", "")                      # OpenSSH, cipher none
    keygen(keys / "id_work", "ed25519", "correct horse")            # OpenSSH, aes256-ctr + bcrypt
    keygen(keys / "legacy_pem", "ecdsa", "correct horse", "-m", "PEM")  # PEM Proc-Type: 4,ENCRYPTED
    keygen(keys / "deploy_rsa", "rsa", "", "-b", "2048", "-m", "PEM")   # PEM, unencrypted
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:horse",
                    "-out", str(keys / "pkcs8_enc.pem")], check=True, capture_output=True, timeout=60)
    return keys


def test_ssh_keys_unencrypted_flagged_encrypted_lower_risk(tmp_path: Path, ssh_dir: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(ssh_dir, home / ".ssh")
    write(home, ".ssh/known_hosts", "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9\n")
    write(home, ".ssh/config", "# keys per host\nHost *\n  AddKeysToAgent yes\nHost prod db-prod\n"
                               "  HostName db.prod.example\n  IdentityFile ~/.ssh/id_work\n"
                               "Host lab\n  IdentityFile=\"deploy_rsa\"\n")
    os.mkfifo(home / ".ssh" / "ctl-socket")  # a ControlPath-like special file: never opened, no skip
    sink = scan(home)
    hits = {Path(h.location.path).name: h for h in sink.by_store("ssh-private-key")}
    assert set(hits) == {"id_ed25519", "deploy_rsa", "id_work", "legacy_pem", "pkcs8_enc.pem"}
    for name in ("id_ed25519", "deploy_rsa"):
        assert (hits[name].provider, hits[name].kind) == ("ssh", "ssh_private_key")
    for name in ("id_work", "legacy_pem", "pkcs8_enc.pem"):
        assert (hits[name].provider, hits[name].kind) == ("generic", "private_key_encrypted")
    for name, hit in hits.items():
        assert hit.secret == (home / ".ssh" / name).read_text().strip()
        assert (hit.location.line, hit.location.column) == (1, 1)
        assert at(hit, 11) == "-----BEGIN "
    # ~/.ssh/config names what each key opens: the profile and host the policy classifies.
    assert (hits["id_work"].location.profile, hits["id_work"].companions["host"]) == ("prod, db-prod",
                                                                                      "db.prod.example")
    assert hits["deploy_rsa"].location.profile == "lab" and "host" not in hits["deploy_rsa"].companions
    assert hits["id_ed25519"].location.profile is None
    encrypted_notes = [w for w in sink.warnings if ssh.ENCRYPTED_NOTE in w]
    assert len(encrypted_notes) == 3
    assert any("bcrypt" in w for w in encrypted_notes) and any("Proc-Type" in w for w in encrypted_notes)
    assert sink.skips == []
    no_secret_in(sink.warnings, *(h.secret.split("\n")[1] for h in hits.values()))


def test_ssh_keys_in_subdirectories_and_backups(tmp_path: Path, ssh_dir: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh" / "work").mkdir(parents=True)
    shutil.copy(ssh_dir / "id_ed25519", home / ".ssh" / "work" / "deploy")
    shutil.copy(ssh_dir / "id_ed25519", home / ".ssh" / "id_ed25519.old")
    shutil.copy(ssh_dir / "id_ed25519.pub", home / ".ssh" / "work" / "deploy.pub")
    sink = scan(home)
    names = sorted(Path(h.location.path).name for h in sink.hits)
    assert names == ["deploy", "id_ed25519.old"]
    assert all(h.kind == "ssh_private_key" for h in sink.hits)


def test_ssh_garbage_headers_never_raise(tmp_path: Path) -> None:
    home = tmp_path / "home"
    body = "b3BlbnNzaC1rZXktdjEA" + "/" * 70  # "openssh-key-v1\0" then lengths past the end
    write(home, ".ssh/id_broken", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n")
    write(home, ".ssh/id_cut", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n")
    write(home, ".ssh/id_latin1", b"\xff\xfe-----BEGIN PRIVATE KEY-----\n\x80\x81" + b"A" * 40 +
          b"\n-----END PRIVATE KEY-----\n")
    sink = scan(home)
    kinds = sorted((Path(h.location.path).name, h.kind) for h in sink.hits)
    # Unreadable header: never understated, reported as unencrypted with a warning.
    assert ("id_broken", "ssh_private_key") in kinds
    assert not any(name == "id_cut" for name, _ in kinds)
    assert any("does not decode" in w for w in sink.warnings)
    assert any("without a complete key block" in w for w in sink.warnings)
    assert not any("could not parse" in w for w in sink.warnings)


def test_ssh_severity_and_redaction_end_to_end(tmp_path: Path, ssh_dir: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    for name in ("id_ed25519", "id_work"):
        shutil.copy(ssh_dir / name, home / ".ssh" / name)
    ws = tmp_path / "ws"
    ws.mkdir()
    run = run_credreach("scan", str(ws), "--home", "--home-dir", str(home), "--offline", "-f", "json",
                        cwd=ws, env={"HOME": str(home)})
    assert run.returncode in (0, 1), run.stderr
    report = run.json()
    by_kind = {c["kind"]: c for c in report["credentials"]}
    assert by_kind["ssh_private_key"]["severity"] == "medium"
    assert by_kind["private_key_encrypted"]["severity"] == "low"
    for name in ("id_ed25519", "id_work"):
        key_line = (ssh_dir / name).read_text().split("\n")[1]
        assert key_line not in run.stdout and key_line[:20] not in run.stdout
    assert any(ssh.ENCRYPTED_NOTE in w for w in report["scan"]["warnings"])


# --- 2. AWS SSO and CLI caches ---------------------------------------------------------------

def test_aws_sso_cache_and_cli_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home, ".aws/sso/cache/4fa7b3e1.json", json.dumps({
        "startUrl": "https://prod-admin.awsapps.com/start", "region": "eu-west-1", "accessToken": SSO_ACCESS,
        "expiresAt": "2026-12-02T20:00:00Z", "clientId": "credreachClientId0123", "clientSecret": SSO_CLIENT_SECRET,
        "refreshToken": SSO_REFRESH}, indent=2))
    write(home, ".aws/sso/cache/botocore-client-id-eu-west-1.json", json.dumps({
        "clientId": "credreachClientId0123", "clientSecret": SSO_CLIENT_SECRET + "b",
        "expiresAt": "2027-01-01T00:00:00Z"}))
    write(home, ".aws/sso/cache/list.json", "[1, 2]")
    write(home, ".aws/cli/cache/role.json", json.dumps({"Credentials": {
        "AccessKeyId": ASIA, "SecretAccessKey": AWS_SECRET, "SessionToken": "FwoGZXIvYXdzECREDREACH",
        "Expiration": "2026-12-02T19:00:00+00:00"}, "AssumedRoleUser": {"Arn": "arn:aws:sts::1:assumed-role/a/b"}}))
    sink = scan(home)
    sso = {(h.kind, h.secret) for h in sink.by_store("aws-sso-cache")}
    assert sso == {("aws_sso_access_token", SSO_ACCESS), ("aws_sso_refresh_token", SSO_REFRESH),
                   ("aws_sso_client_secret", SSO_CLIENT_SECRET), ("aws_sso_client_secret", SSO_CLIENT_SECRET + "b")}
    access = next(h for h in sink.by_store("aws-sso-cache") if h.kind == "aws_sso_access_token")
    assert access.provider == "aws" and access.location.profile == "https://prod-admin.awsapps.com/start"
    assert at(access) == SSO_ACCESS[:12]
    (role,) = sink.by_store("aws-cli-cache")
    # The AWS provider's own kind: verified with its secret and session token.
    assert (role.provider, role.kind, role.secret) == ("aws", "aws_access_key", ASIA)
    assert role.companions["aws_secret_access_key"] == AWS_SECRET
    assert any("list.json" in w and "expected a JSON object" in w for w in sink.warnings)


# --- 3. gcloud SQLite stores -----------------------------------------------------------------

def gcloud_dbs(config: Path) -> None:
    """Both databases with the schema googlecloudsdk core/credentials/creds.py creates."""
    config.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(config / "credentials.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS credentials (account_id TEXT PRIMARY KEY, value BLOB)")
        conn.execute("INSERT INTO credentials VALUES (?, ?)", ("dev@example.com", json.dumps({
            "type": "authorized_user", "client_id": "32555940559.apps.googleusercontent.com",
            "client_secret": "ZmssLNjJy2998hD4CTg2ejr2", "refresh_token": GCP_REFRESH})))
        conn.execute("INSERT INTO credentials VALUES (?, ?)", ("broken@example.com", b"\xff{not json"))
    conn.close()
    with sqlite3.connect(config / "access_tokens.db") as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS access_tokens (account_id TEXT PRIMARY KEY, access_token TEXT, "
                     "token_expiry TIMESTAMP, rapt_token TEXT, id_token TEXT)")
        conn.execute("INSERT INTO access_tokens VALUES (?, ?, ?, NULL, NULL)",
                     ("dev@example.com", GCP_ACCESS, "2026-12-02 19:00:00"))
    conn.close()


def test_gcloud_databases_read_only(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".config" / "gcloud"
    gcloud_dbs(config)
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in config.iterdir()}
    sink = scan(home)
    (refresh,) = sink.by_store("gcloud-credentials-db")
    assert (refresh.provider, refresh.kind, refresh.secret) == ("gcp", "gcp_authorized_user", GCP_REFRESH)
    assert refresh.location.profile == "dev@example.com" and refresh.location.line is None
    assert refresh.companions["client_secret"] == "ZmssLNjJy2998hD4CTg2ejr2"
    (access,) = sink.by_store("gcloud-access-tokens-db")
    assert (access.provider, access.kind, access.secret) == ("gcp", "gcp_access_token", GCP_ACCESS)
    assert any("broken@example.com" in w for w in sink.warnings)
    # Nothing written: same bytes, same mtimes, no journal/WAL/SHM files beside them.
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in config.iterdir()}
    assert after == before
    no_secret_in(sink.warnings, GCP_REFRESH, GCP_ACCESS)


def test_gcloud_databases_hostile(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".config" / "gcloud"
    write(home, ".config/gcloud/credentials.db", b"SQLite format 3\x00" + os.urandom(4000))
    with sqlite3.connect(config / "access_tokens.db") as conn:
        conn.execute("CREATE TABLE other (x TEXT)")
    conn.close()
    sink = scan(home)
    assert sink.hits == []
    assert len([w for w in sink.warnings if "not read" in w]) == 2
    # A file bigger than the limit is skipped before SQLite opens it; a FIFO is never opened.
    (config / "credentials.db").write_bytes(b"SQLite format 3\x00" + b"\0" * 5000)
    (config / "access_tokens.db").unlink()
    os.mkfifo(config / "access_tokens.db")
    sink = scan(home, max_size=1000)
    assert (str(config / "credentials.db"), SKIP_TOO_LARGE) in sink.skips
    assert any(path.endswith("access_tokens.db") for path, _ in sink.skips)
    (config / "credentials.db").unlink()
    os.symlink(config / "credentials.db", config / "credentials.db")  # a loop: skipped, no traceback
    sink = scan(home)
    assert any(path.endswith("credentials.db") and "loop" in reason for path, reason in sink.skips)
    assert not any("could not" in w for w in sink.warnings)


# --- 4. Build tools, package managers, storage CLIs -------------------------------------------

DEVTOOLS = {
    ".cargo/credentials.toml": f'[registry]\ntoken = "{CARGO_TOKEN}"\n\n[registries.corp]\ntoken = "corp-{CARGO_TOKEN}"\n',
    ".m2/settings.xml": ("<settings xmlns=\"http://maven.apache.org/SETTINGS/1.0.0\">\n  <servers>\n    <server>\n"
                         "      <id>nexus-prod</id>\n      <username>deployer</username>\n"
                         "      <password>MavenDeployPassw0rd!x</password>\n    </server>\n    <server>\n"
                         "      <id>enc</id>\n      <password>{COQLCE6DU6GtcS5P=}</password>\n    </server>\n"
                         "    <server>\n      <id>env</id>\n      <password>${env.MVN_PW}</password>\n"
                         "    </server>\n  </servers>\n</settings>\n"),
    ".gradle/gradle.properties": ("org.gradle.jvmargs=-Xmx2g\nsigning.keyId=24875D73\n"
                                  "ossrhPassword=GradleOssrhSecret99\nartifactoryApiKey = AKCpCredreachGradle01\n"
                                  "systemProp.http.proxyPassword:proxyPw12345\n"),
    ".config/pip/pip.conf": ("[global]\nindex-url = https://pypi.org/simple\n"
                             "extra-index-url = https://ci:PipIndexPassw0rd@pypi.corp.example/simple\n"),
    ".gem/credentials": f"---\n:rubygems_api_key: {RUBYGEMS}\nhttps://gems.corp.example: corpGemKey0123456789\n",
    ".config/composer/auth.json": json.dumps({
        "http-basic": {"repo.packagist.com": {"username": "token", "password": "ComposerHttpPassw0rd"}},
        "github-oauth": {"github.com": "ghp_CredreachFixtureHomeComposer000aBcDeF"},
        "gitlab-token": {"gitlab.corp.example": {"username": "me", "token": "corpGitlabTok3n0123"}},
        "bearer": {"repo.example.org": "ComposerBearerTok3n"}}, indent=2),
    ".nuget/NuGet/NuGet.Config": ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n"
                                  "  <packageSourceCredentials>\n    <CorpFeed>\n"
                                  "      <add key=\"Username\" value=\"builder\" />\n"
                                  "      <add key=\"ClearTextPassword\" value=\"NuGetClearPassw0rd\" />\n"
                                  "    </CorpFeed>\n    <Other>\n"
                                  "      <add key=\"Password\" value=\"AQAAANCMnd8BFdERjHoAwE\" />\n"
                                  "    </Other>\n  </packageSourceCredentials>\n</configuration>\n"),
    ".config/rclone/rclone.conf": (f"[s3prod]\ntype = s3\nprovider = AWS\naccess_key_id = {AKIA}\n"
                                   f"secret_access_key = {AWS_SECRET}\n\n[box]\ntype = sftp\nhost = h\n"
                                   "pass = RcloneObscuredPass0\n"),
    ".s3cfg": f"[default]\naccess_key = {AKIA}\nsecret_key = {AWS_SECRET}\nhost_base = s3.amazonaws.com\n",
    ".boto": (f"[Credentials]\naws_access_key_id = {AKIA}\naws_secret_access_key = {AWS_SECRET}\n"
              f"gs_oauth2_refresh_token = {GCP_REFRESH}\n"),
}

# (store, provider, kind, secret, profile)
DEVTOOL_HITS = {
    ("cargo-credentials", "generic", "cargo_registry_token", CARGO_TOKEN, "crates.io"),
    ("cargo-credentials", "generic", "cargo_registry_token", "corp-" + CARGO_TOKEN, "corp"),
    ("maven-settings", "generic", "maven_password", "MavenDeployPassw0rd!x", "nexus-prod"),
    ("maven-settings", "generic", "maven_encrypted_password", "{COQLCE6DU6GtcS5P=}", "enc"),
    ("gradle-properties", "generic", "gradle_property_secret", "GradleOssrhSecret99", "ossrhPassword"),
    ("gradle-properties", "generic", "gradle_property_secret", "AKCpCredreachGradle01", "artifactoryApiKey"),
    ("gradle-properties", "generic", "gradle_property_secret", "proxyPw12345", "systemProp.http.proxyPassword"),
    ("pip-conf", "generic", "pip_index_password", "PipIndexPassw0rd", "pypi.corp.example"),
    ("gem-credentials", "rubygems", "rubygems_api_key", RUBYGEMS, "rubygems.org"),
    ("gem-credentials", "generic", "rubygems_api_key", "corpGemKey0123456789", "https://gems.corp.example"),
    ("composer-auth", "generic", "composer_http_password", "ComposerHttpPassw0rd", "repo.packagist.com"),
    ("composer-auth", "github", "github_classic_pat", "ghp_CredreachFixtureHomeComposer000aBcDeF", "github.com"),
    ("composer-auth", "generic", "gitlab_token", "corpGitlabTok3n0123", "gitlab.corp.example"),
    ("composer-auth", "generic", "composer_bearer_token", "ComposerBearerTok3n", "repo.example.org"),
    ("nuget-config", "generic", "nuget_password", "NuGetClearPassw0rd", "CorpFeed"),
    ("rclone-config", "aws", "aws_access_key", AKIA, "s3prod"),
    ("rclone-config", "generic", "rclone_pass", "RcloneObscuredPass0", "box"),
    ("s3cfg", "aws", "aws_access_key", AKIA, "default"),
    ("boto-config", "aws", "aws_access_key", AKIA, "boto"),
    ("boto-config", "gcp", "gcp_refresh_token", GCP_REFRESH, "boto"),
}


def test_devtool_stores(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for rel, content in DEVTOOLS.items():
        write(home, rel, content)
    sink = scan(home)
    got = {(h.location.store, h.provider, h.kind, h.secret, h.location.profile) for h in sink.hits}
    assert got == DEVTOOL_HITS
    assert all(h.filtered_by is None for h in sink.hits)
    for hit in sink.hits:
        if hit.location.line is not None:
            assert at(hit, 8) == hit.secret[:8], (hit.location.store, hit.kind)
    aws_hits = [h for h in sink.hits if h.kind == "aws_access_key"]
    assert all(h.companions["aws_secret_access_key"] == AWS_SECRET for h in aws_hits)
    assert any("master password" in w for w in sink.warnings)
    assert any("${env.MVN_PW}" in w and "environment" in w for w in sink.warnings)
    assert any("DPAPI" in w for w in sink.warnings)
    assert any("obscured" in w for w in sink.warnings)
    assert sink.skips == []
    no_secret_in(sink.warnings, *(h.secret for h in sink.hits))


def test_placeholders_in_free_form_fields_are_filtered_not_reported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home, ".gradle/gradle.properties", "ossrhPassword=changeme\nnexusToken=<your-token>\n"
                                             "realPassword=Gr4dleReal5ecret\n")
    write(home, ".m2/settings.xml", "<settings><servers><server><id>a</id><password>your-password-here</password>"
                                    "</server></servers></settings>\n")
    sink = scan(home)
    kept = [h.secret for h in sink.hits if h.filtered_by is None]
    dropped = sorted((h.secret, h.filtered_by) for h in sink.hits if h.filtered_by is not None)
    assert kept == ["Gr4dleReal5ecret"]
    assert [secret for secret, _ in dropped] == ["<your-token>", "changeme", "your-password-here"]
    assert all(reason for _, reason in dropped)


def test_s3_compatible_host_is_not_aws(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home, ".s3cfg", f"[default]\naccess_key = {AKIA}\nsecret_key = {AWS_SECRET}\n"
                          "host_base = fra1.digitaloceanspaces.com\n")
    (hit,) = scan(home).hits
    # Never sent to AWS: its host is another S3 service.
    assert (hit.provider, hit.kind) == ("generic", "s3_compatible_access_key")
    assert hit.companions["secret_key"] == AWS_SECRET


def test_xml_entities_are_never_expanded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">' +
           "".join(f'<!ENTITY {chr(98 + i)} "&{chr(97 + i)};&{chr(97 + i)};&{chr(97 + i)};">' for i in range(9)) +
           ']>\n<settings><servers><server><id>x</id><password>&j;</password></server></servers></settings>\n')
    write(home, ".m2/settings.xml", lol)
    write(home, ".nuget/NuGet/NuGet.Config", "<configuration><unclosed>")
    sink = scan(home)
    assert sink.hits == []
    assert any("DOCTYPE" in w for w in sink.warnings)
    assert any("not valid XML" in w for w in sink.warnings)


# --- 5. AI agents' own credentials ------------------------------------------------------------

def test_agent_credentials(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write(home, ".claude/.credentials.json", json.dumps({"claudeAiOauth": {
        "accessToken": CLAUDE_ACCESS, "refreshToken": CLAUDE_REFRESH, "expiresAt": 1764700000000,
        "scopes": ["user:inference"], "subscriptionType": "max"}}))
    write(home, ".codex/auth.json", json.dumps({"auth_mode": "chatgpt", "OPENAI_API_KEY": None, "tokens": {
        "id_token": "eyJhbGciOiJub25lIn0.e30.", "access_token": CHATGPT_ACCESS, "refresh_token": CHATGPT_REFRESH,
        "account_id": "acct-123"}, "last_refresh": "2026-12-01T10:00:00Z"}, indent=2))
    write(home, ".gemini/oauth_creds.json", json.dumps({
        "access_token": GEMINI_ACCESS, "refresh_token": GEMINI_REFRESH, "scope": "openid",
        "token_type": "Bearer", "expiry_date": 1764700000000}, indent=2))
    write(home, ".config/github-copilot/hosts.json", json.dumps({
        "github.com": {"user": "dev", "oauth_token": GHO},
        "ghe.corp.example": {"user": "dev", "oauth_token": GHO.replace("Copilot", "EntCopi")}}))
    write(home, ".config/github-copilot/apps.json", json.dumps({
        "github.com:Iv1.b507a08c87ecfe98": {"user": "dev", "oauth_token": GHU, "githubAppId": "Iv1.b507a08c87ecfe98"}}))
    sink = scan(home)
    got = {(h.location.store, h.provider, h.kind, h.secret) for h in sink.hits}
    assert got == {
        ("claude-credentials", "anthropic", "anthropic_oauth_token", CLAUDE_ACCESS),
        ("claude-credentials", "anthropic", "anthropic_oauth_refresh_token", CLAUDE_REFRESH),
        ("codex-auth", "openai", "chatgpt_oauth_access_token", CHATGPT_ACCESS),
        ("codex-auth", "openai", "chatgpt_oauth_refresh_token", CHATGPT_REFRESH),
        ("gemini-oauth", "gcp", "gcp_access_token", GEMINI_ACCESS),
        ("gemini-oauth", "gcp", "gcp_refresh_token", GEMINI_REFRESH),
        ("github-copilot", "github", "github_oauth_token", GHO),
        # A GitHub Enterprise token is reported but never sent to api.github.com.
        ("github-copilot", "generic", "copilot_oauth_token", GHO.replace("Copilot", "EntCopi")),
        ("github-copilot", "github", "github_app_user_token", GHU),
    }
    for hit in sink.hits:
        assert at(hit, 10) == hit.secret[:10], hit.kind
    assert sink.warnings == [] and sink.skips == []


def test_codex_api_key_keeps_openai_kind(tmp_path: Path) -> None:
    home = tmp_path / "home"
    key = "sk-proj-" + "A" * 20 + "b" * 38 + "T3BlbkFJ" + "c" * 58
    write(home, ".codex/auth.json", json.dumps({"auth_mode": "apikey", "OPENAI_API_KEY": key, "tokens": None}))
    (hit,) = scan(home).hits
    assert (hit.provider, hit.kind, hit.location.profile) == ("openai", "openai_project_key", "apikey")


# --- hostile input for every new store --------------------------------------------------------

NEW_STORES = ("aws-sso-cache", "ssh-private-key", "cargo-credentials", "maven-settings", "gradle-properties",
              "pip-conf", "gem-credentials", "composer-auth", "nuget-config", "rclone-config", "s3cfg",
              "boto-config", "claude-credentials", "codex-auth", "gemini-oauth", "github-copilot")
HOSTILE = [b"\xff\xfe\x00garbage\x80", b"[]", b'"string"', b"null", b"42", b"{" * 5000, b"[" * 5000, b"a = " + b"[" * 5000,
           b'{"claudeAiOauth": 5, "tokens": [1], "github.com": "x", "Credentials": "y", "registry": 1}',
           b"[registry]\ntoken = 5\n[s]\naccess_key_id\n", b"---\n- a\n- b\n", b"<a><b></a>",
           "\u2028token=\u0085x\n".encode(), b"a = b\n" * 20000]


def _path_for(store: str) -> str:
    spec = next(s for s in KNOWN_STORES if s.store == store)
    return spec.pattern.replace("*", "hostile")


@pytest.mark.parametrize("store", NEW_STORES)
def test_hostile_content_never_raises(tmp_path: Path, store: str) -> None:
    for number, content in enumerate(HOSTILE):
        home = tmp_path / f"h{number}"
        write(home, _path_for(store), content)
        sink = scan(home)
        assert not any("could not parse" in w or "could not read" in w for w in sink.warnings), (store, number)
        assert all(h.secret for h in sink.hits)


def test_links_and_sizes_are_bounded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps({"claudeAiOauth": {"accessToken": CLAUDE_ACCESS}}))
    (home / ".claude").mkdir(parents=True)
    os.symlink(outside, home / ".claude" / ".credentials.json")  # dotfile managers do this: read as the user can
    (home / ".codex").mkdir()
    os.symlink(home / ".codex" / "auth.json", home / ".codex" / "auth.json")  # a loop
    write(home, ".gemini/oauth_creds.json", "{" + " " * 5000 + "}")
    sink = scan(home, max_size=1000)
    assert [h.secret for h in sink.hits] == [CLAUDE_ACCESS]
    reasons = {Path(p).name: r for p, r in sink.skips}
    assert reasons["oauth_creds.json"] == SKIP_TOO_LARGE
    assert "loop" in reasons["auth.json"]


FULL_HOME = Path(__file__).resolve().parent.parent / "fixtures" / "machines" / "full-home" / "home"


def test_full_home_fixture_every_store_file_yields_credentials(tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(FULL_HOME, home)
    sink = scan(home)
    found = {Path(h.location.path).relative_to(home).as_posix() for h in sink.hits}
    files = {p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()}
    assert files - found == {".ssh/config", ".ssh/id_ed25519.pub", ".ssh/id_work.pub"}
    stores = {h.location.store for h in sink.hits}
    assert set(NEW_STORES) | {"gcloud-credentials-db", "gcloud-access-tokens-db"} <= stores
    assert len(sink.hits) == len(DEVTOOL_HITS) + 15  # 20 build-tool hits; 3 SSO, 2 gcloud db, 2 ssh, 8 agent
    assert sink.skips == [] and all(h.filtered_by is None for h in sink.hits)
    assert not any("could not" in w for w in sink.warnings)
    kinds = {Path(h.location.path).name: (h.kind, h.location.profile) for h in sink.by_store("ssh-private-key")}
    assert kinds == {"id_ed25519": ("ssh_private_key", None), "id_work": ("private_key_encrypted", "prod-bastion")}


def test_new_stores_are_in_the_table() -> None:
    stores = {spec.store for spec in KNOWN_STORES}
    assert set(NEW_STORES) | {"gcloud-credentials-db", "gcloud-access-tokens-db"} <= stores
    readers = {spec.store for spec in KNOWN_STORES if spec.reader is not None}
    assert readers == {"gcloud-credentials-db", "gcloud-access-tokens-db"}
