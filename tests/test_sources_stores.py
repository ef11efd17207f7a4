"""Home credential stores: a real fixture home copied to tmp, parsed by the real parsers."""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path

import pytest

from scanner.detect.rules import RULES_BY_ID
from scanner.model import SourceKind
from scanner.sources.base import SKIP_BINARY, SKIP_UNREADABLE
from scanner.sources.stores import KNOWN_STORES, collect_home, unmetafy_zsh
from tests.helpers import CollectingSink

FIXTURE_HOME = Path(__file__).resolve().parent.parent / "fixtures" / "machines" / "dev-laptop" / "home"




@pytest.fixture()
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(FIXTURE_HOME, target)
    return target


def scan(home: Path, **kwargs: object) -> CollectingSink:
    sink = CollectingSink()
    collect_home(str(home), sink, **kwargs)  # type: ignore[arg-type]
    return sink


def text_at(path: str, line: int | None, column: int | None, length: int) -> str:
    assert line is not None and column is not None
    lines = Path(path).read_text().splitlines()
    return lines[line - 1][column - 1:column - 1 + length]


# (store, relative path, provider, kind, profile, line, column, secret)
EXPECTED = [
    ("aws-credentials", ".aws/credentials", "aws", "aws_access_key", "default", 2, 21, "AKIACREDREACHFAKE234"),
    ("aws-config", ".aws/config", "aws", "aws_access_key", "staging", 6, 21, "AKIACREDREACHSTAGE27"),
    ("gh-hosts", ".config/gh/hosts.yml", "github", "github_oauth_token", "github.com", 6, 18,
     "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"),
    ("git-credentials", ".git-credentials", "github", "github_classic_pat", "github.com", 1, 18,
     "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"),
    ("netrc", ".netrc", "heroku", "heroku_token", "api.heroku.com", 3, 12,
     "HRKU-AACredreachFixtureHerokuNetrc_0123456789abcdefghijklmnopqrstu"[:65]),
    ("railway-config", ".railway/config.json", "railway", "railway_account_token", "railway.com", 14, 15,
     "8f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f"),
    ("npmrc", ".npmrc", "npm", "npm_token", "registry.npmjs.org", 2, 34,
     "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"),
    ("pypirc", ".pypirc", "pypi", "pypi_token", "pypi", 7, 12,
     "pypi-AgEIcHlwaS5vcmcCJGNyZWRyZWFjaC1maXh0dXJlLWZha2UtcHlwaS10b2tlbgACKlsz"),
    ("kubeconfig", ".kube/config", "kubernetes", "kubernetes_token", "prod", 19, 12, None),
    ("terraform-credentials", ".terraform.d/credentials.tfrc.json", "terraform", "terraform_cloud_token",
     "app.terraform.io", 4, 17, None),
    ("vercel-auth", ".local/share/com.vercel.cli/auth.json", "vercel", "vercel_token", None, 4, 13,
     "CredreachFixtureVercel24"),
    ("doctl-config", ".config/doctl/config.yaml", "digitalocean", "digitalocean_token", "default", 1, 15,
     "dop_v1_c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"),
    ("fly-config", ".fly/config.yml", "fly", "fly_token", None, 1, 15, None),
]


@pytest.mark.parametrize("store,rel,provider,kind,profile,line,column,secret", EXPECTED,
                         ids=[e[0] for e in EXPECTED])
def test_each_store_yields_exactly_its_credential(home: Path, store: str, rel: str, provider: str, kind: str,
                                                  profile: str | None, line: int, column: int,
                                                  secret: str | None) -> None:
    sink = scan(home)
    hits = sink.by_store(store)
    assert len(hits) == 1, [(h.kind, h.location.profile) for h in hits]
    hit = hits[0]
    assert (hit.provider, hit.kind, hit.location.profile) == (provider, kind, profile)
    assert hit.location.source is SourceKind.HOME
    assert hit.location.path == str(home / rel)
    assert (hit.location.line, hit.location.column) == (line, column)
    if secret is not None:
        assert hit.secret == secret
    # The position points at the value itself in the file.
    assert text_at(hit.location.path, line, column, 12) == hit.secret[:12]
    assert hit.rule == f"store:{store}"


def test_companions_carry_what_the_provider_needs(home: Path) -> None:
    sink = scan(home)
    aws = sink.by_store("aws-credentials")[0]
    assert aws.companions["aws_secret_access_key"] == "credreachFixture/FakeSecretAccessKey0001"
    assert aws.companions["profile"] == "default" and aws.companions["region"] == "eu-west-1"
    gh = sink.by_store("gh-hosts")[0]
    assert dict(gh.companions) == {"host": "github.com", "user": "octo-dev"}
    kube = sink.by_store("kubeconfig")[0]
    assert kube.companions["server"] == "https://k8s.prod.example.internal:6443"
    assert kube.companions["context"] == "prod" and kube.companions["namespace"] == "payments"
    assert base64.b64decode(kube.companions["certificate_authority_data"]).startswith(b"CREDREACH FIXTURE CA")
    docker = sink.by_store("docker-config")[0]
    assert (docker.kind, docker.secret) == ("docker_pat", "dckr_pat_CredreachFixtureDockerHub01")
    assert dict(docker.companions) == {"registry": "https://index.docker.io/v1/", "username": "devuser"}
    # The position of a docker credential is its base64 `auth` value.
    auth = json.loads((home / ".docker/config.json").read_text())["auths"]["https://index.docker.io/v1/"]["auth"]
    assert text_at(docker.location.path, docker.location.line, docker.location.column, len(auth)) == auth
    railway = sink.by_store("railway-config")[0]
    linked = json.loads(railway.companions["linked_projects"])
    assert linked[0]["name"] == "pocketos" and linked[0]["environmentName"] == "production"
    netrc = sink.by_store("netrc")[0]
    assert dict(netrc.companions) == {"host": "api.heroku.com", "login": "dev@example.com"}
    tf = sink.by_store("terraform-credentials")[0]
    assert tf.companions["host"] == "app.terraform.io"


def test_pgpass_unescapes_and_points_at_the_password(home: Path) -> None:
    (hit,) = scan(home).by_store("pgpass")
    assert (hit.provider, hit.kind, hit.secret) == ("postgres", "postgres_password", "fixture-pg-pass:word")
    assert dict(hit.companions) == {"host": "db.prod.example.internal", "port": "5432", "database": "app",
                                    "user": "app_rw"}
    assert (hit.location.line, hit.location.column) == (2, 42)
    assert text_at(hit.location.path, 2, 42, 15) == "fixture-pg-pass"


def test_gcloud_adc_and_service_account_key(home: Path) -> None:
    hits = {h.kind: h for h in scan(home).by_store("gcloud")}
    assert set(hits) == {"gcp_authorized_user", "gcp_service_account_key"}
    adc = hits["gcp_authorized_user"]
    assert adc.secret.startswith("1//09credreachFixture") and adc.location.line == 6
    assert adc.companions["quota_project_id"] == "pocketos-prod"
    key = hits["gcp_service_account_key"]
    assert key.secret.startswith("-----BEGIN PRIVATE KEY-----\n") and key.secret.endswith("-----END PRIVATE KEY-----\n")
    assert key.location.profile == "deployer@pocketos-prod.iam.gserviceaccount.com"
    assert key.companions["private_key_id"] == "0123456789abcdef0123456789abcdef01234567"
    assert key.companions["token_uri"] == "https://oauth2.googleapis.com/token"
    assert key.location.line == 5
    assert text_at(key.location.path, 5, key.location.column, 27) == "-----BEGIN PRIVATE KEY-----"


def test_azure_msal_cache_access_and_refresh(home: Path) -> None:
    hits = {h.kind: h for h in scan(home).by_store("azure-msal-cache")}
    assert set(hits) == {"azure_access_token", "azure_refresh_token"}
    for hit in hits.values():
        assert hit.location.profile == "dev@example.com"
        assert hit.companions["client_id"] == "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
        assert text_at(hit.location.path, hit.location.line, hit.location.column, 10) == hit.secret[:10]
    assert hits["azure_access_token"].companions["tenant"] == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_every_hit_in_the_fixture_home_is_accounted_for(home: Path) -> None:
    sink = scan(home)
    stores = sorted(h.location.store or "" for h in sink.hits)
    expected = sorted([e[0] for e in EXPECTED] + ["docker-config", "pgpass", "gcloud", "gcloud",
                                                   "azure-msal-cache", "azure-msal-cache"])
    assert stores == expected
    assert sink.skips == []


def test_histories_are_documents_for_the_detectors(home: Path) -> None:
    sink = scan(home)
    docs = {d.origin.store: d for d in sink.documents}
    assert set(docs) == {"bash_history", "zsh_history"}
    bash = docs["bash_history"]
    assert bash.origin.path == str(home / ".bash_history") and bash.origin.source is SourceKind.HOME
    assert bash.origin.line is None and bash.origin.column is None
    match = RULES_BY_ID["railway-project-token"].pattern.search(bash.text)
    assert match and match.group("secret") == "4d0e2c9a-7b1f-4e3a-9c5d-2f8e6a1b3c7d"
    zsh = docs["zsh_history"]
    match = RULES_BY_ID["github-classic-pat"].pattern.search(zsh.text)
    assert match and match.group("secret") == "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"
    # Parsed store files are not sent to the detectors too.
    assert not any(d.origin.store == "aws-credentials" for d in sink.documents)


def test_helpers_and_sso_are_named_never_run_and_warnings_hold_no_secret(home: Path) -> None:
    sink = scan(home)
    assert any("credential_process" in w and "deploy" in w for w in sink.warnings)
    assert any("sso-dev" in w and "SSO" in w for w in sink.warnings)
    # The command line of credential_process is not echoed (it may carry a secret).
    assert not any("fetch-aws-creds" in w for w in sink.warnings)
    secrets = [h.secret for h in sink.hits]
    assert not any(s in w for s in secrets for w in sink.warnings)


def test_stats_per_store(home: Path) -> None:
    stats = {s.name: s for s in collect_home(str(home), CollectingSink())}
    assert stats["home:gcloud"].items == 2 and stats["home:gcloud"].hits == 2
    assert stats["home:bash_history"].hits == 0
    assert stats["home:aws-credentials"].hits == 1


# --- malformed input ---------------------------------------------------------------------------

def test_malformed_files_warn_and_never_raise(home: Path) -> None:
    (home / ".railway/config.json").write_text('{"user": {"token": "8f1c2d3e-')
    (home / ".config/gh/hosts.yml").write_text(
        "github.com:\n  oauth_token: gho_SECRETVALUE0000000000000000000000000: x: y\n")
    (home / ".docker/config.json").write_bytes(b"\x00\x01\x02binary\xff\xfe garbage")
    (home / ".kube/config").write_bytes(bytes(range(128, 256)) * 4)
    (home / ".azure/msal_token_cache.json").write_text("[1, 2, 3]")
    (home / ".pgpass").write_text("only:three:fields\n")
    sink = scan(home)
    joined = "\n".join(sink.warnings)
    for rel in (".railway/config.json", ".config/gh/hosts.yml", ".docker/config.json", ".kube/config",
                ".azure/msal_token_cache.json", ".pgpass"):
        assert str(home / rel) in joined, rel
    assert "not valid JSON" in joined and "not valid YAML" in joined
    assert (str(home / ".docker/config.json"), SKIP_BINARY) in sink.skips
    assert "gho_SECRETVALUE" not in joined  # YAML errors must not quote the line
    for store in ("railway-config", "gh-hosts", "docker-config", "kubeconfig", "azure-msal-cache", "pgpass"):
        assert sink.by_store(store) == []
    # Other stores are unaffected.
    assert len(sink.by_store("aws-credentials")) == 1


def test_empty_files_are_quietly_empty(home: Path) -> None:
    for rel in (".kube/config", ".config/gh/hosts.yml", ".aws/credentials", ".netrc"):
        (home / rel).write_text("")
    sink = scan(home)
    assert not sink.by_store("kubeconfig") and not sink.by_store("gh-hosts")
    assert not any("kube" in w or "hosts.yml" in w for w in sink.warnings)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads any file")
def test_unreadable_store_is_skipped(home: Path) -> None:
    path = home / ".aws/credentials"
    path.chmod(0)
    try:
        sink = scan(home)
    finally:
        path.chmod(0o600)
    assert (str(path), SKIP_UNREADABLE) in sink.skips


def test_fifo_in_place_of_a_store_is_never_opened(home: Path) -> None:
    path = home / ".netrc"
    path.unlink()
    os.mkfifo(path)
    sink = scan(home)  # would hang if the FIFO were opened for reading
    assert any(p == str(path) and "FIFO" in r for p, r in sink.skips)


# --- format variants ---------------------------------------------------------------------------

def write(home: Path, rel: str, text: str) -> Path:
    path = home / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_railway_oauth_tokens_and_refresh_kind(tmp_path: Path) -> None:
    write(tmp_path, ".railway/config-staging.json", json.dumps({"user": {
        "id": "u1", "accessToken": "rw_access_credreach_fixture_0001", "refreshToken": "rw_refresh_fixture_0002",
        "tokenExpiresAt": 1767225600}}, indent=2))
    hits = {h.kind: h for h in scan(tmp_path).hits}
    assert set(hits) == {"railway_oauth_token", "railway_refresh_token"}
    assert hits["railway_oauth_token"].location.profile == "railway-staging.com"
    assert hits["railway_refresh_token"].location.line == 5
    assert hits["railway_oauth_token"].companions["token_expires_at"] == "1767225600"


def test_gh_multi_account_hosts(tmp_path: Path) -> None:
    write(tmp_path, ".config/gh/hosts.yml", """github.com:
    users:
        alice:
            oauth_token: gho_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        bob:
            oauth_token: "ghp_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    user: alice
ghe.example.com:
    user: carol
    oauth_token: 0123456789abcdef0123456789abcdef01234567
""")
    hits = scan(tmp_path).hits
    got = sorted((h.location.profile, h.companions["user"], h.kind, h.location.line, h.location.column)
                 for h in hits)
    assert got == [("ghe.example.com", "carol", "github_oauth_token", 10, 18),
                   ("github.com", "alice", "github_oauth_token", 4, 26),
                   ("github.com", "bob", "github_classic_pat", 6, 27)]


def test_docker_helpers_named_and_other_registries(tmp_path: Path) -> None:
    ghcr = base64.b64encode(b"octo:ghp_cccccccccccccccccccccccccccccccccccc").decode()
    private = base64.b64encode(b"robot:s3cret-registry-password").decode()
    write(tmp_path, ".docker/config.json", json.dumps({
        "auths": {"ghcr.io": {"auth": ghcr}, "registry.example.com": {"auth": private},
                  "quay.io": {"auth": "!!!notbase64"}},
        "credsStore": "desktop", "credHelpers": {"123.dkr.ecr.us-east-1.amazonaws.com": "ecr-login"}}))
    sink = scan(tmp_path)
    kinds = {h.companions["registry"]: (h.provider, h.kind, h.secret) for h in sink.hits}
    assert kinds == {"ghcr.io": ("github", "github_classic_pat", "ghp_cccccccccccccccccccccccccccccccccccc"),
                     "registry.example.com": ("docker", "docker_registry_auth", "s3cret-registry-password")}
    joined = "\n".join(sink.warnings)
    assert "docker-credential-desktop" in joined and "docker-credential-ecr-login" in joined
    assert "quay.io" in joined


def test_kube_exec_plugin_client_key_and_current_context(tmp_path: Path) -> None:
    key = base64.b64encode(b"-----BEGIN EC PRIVATE KEY-----\nFIXTURE\n-----END EC PRIVATE KEY-----\n").decode()
    write(tmp_path, ".kube/config", f"""apiVersion: v1
clusters:
- name: dev
  cluster: {{server: "https://dev.example:6443"}}
- name: eks
  cluster: {{server: "https://eks.example"}}
contexts:
- name: dev-admin
  context: {{cluster: dev, user: admin}}
- name: eks
  context: {{cluster: eks, user: eks-user}}
current-context: eks
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: {key}
- name: eks-user
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: /usr/local/bin/aws
      args: [eks, get-token, --cluster-name, prod]
""")
    sink = scan(tmp_path)
    (hit,) = sink.hits
    assert (hit.kind, hit.secret, hit.location.profile) == ("kubernetes_client_key", key, "dev-admin")
    assert hit.companions["server"] == "https://dev.example:6443"
    assert hit.companions["client_certificate_data"] == "Q0VSVA=="
    assert (hit.location.line, hit.location.column) == (17, 22)
    assert any("exec plugin `aws`" in w and "eks-user" in w for w in sink.warnings)
    assert not any("get-token" in w for w in sink.warnings)


def test_netrc_classification_macdef_and_default(tmp_path: Path) -> None:
    write(tmp_path, ".netrc", """machine github.com login octo password ghp_dddddddddddddddddddddddddddddddddddd
macdef init
  machine fake.example login x password notacredential

machine git.heroku.com
  login dev@example.com
  password 01234567-89ab-4cde-8f01-23456789abcd
default login anonymous password "pass word"
""")
    hits = {h.location.profile: h for h in scan(tmp_path).hits}
    assert set(hits) == {"github.com", "git.heroku.com", "default"}
    assert (hits["github.com"].kind, hits["github.com"].location.column) == ("github_classic_pat", 40)
    assert hits["git.heroku.com"].kind == "heroku_token"
    assert (hits["default"].kind, hits["default"].secret) == ("netrc_password", "pass word")


def test_npmrc_env_reference_and_private_registry(tmp_path: Path) -> None:
    write(tmp_path, ".npmrc", """//registry.npmjs.org/:_authToken=${NPM_TOKEN}
//npm.example.com/:_authToken="private-registry-token-0001"
//npm.pkg.github.com/:_authToken=ghp_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
""")
    sink = scan(tmp_path)
    got = {h.companions["registry"]: (h.kind, h.secret, h.location.column) for h in sink.hits}
    assert got == {"npm.example.com": ("npm_registry_token", "private-registry-token-0001", 32),
                   "npm.pkg.github.com": ("github_classic_pat", "ghp_eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 34)}
    assert any("${NPM_TOKEN}" in w for w in sink.warnings)


def test_aws_cli_cache_and_secret_without_key_id(tmp_path: Path) -> None:
    write(tmp_path, ".aws/cli/cache/abc123.json", json.dumps({"Credentials": {
        "AccessKeyId": "ASIACREDREACHCACHE23", "SecretAccessKey": "x" * 40, "SessionToken": "FwoG" + "y" * 300,
        "Expiration": "2026-11-25T22:00:00Z"}, "AssumedRoleUser": {"Arn": "arn:aws:sts::123456789012:assumed-role/ci/s"}}))
    write(tmp_path, ".aws/credentials", "[orphan]\naws_secret_access_key = " + "z" * 40 + "\n")
    sink = scan(tmp_path)
    (hit,) = sink.hits
    assert (hit.secret, hit.location.store) == ("ASIACREDREACHCACHE23", "aws-cli-cache")
    assert hit.companions["aws_session_token"].startswith("FwoG")
    assert any("orphan" in w and "no access key ID" in w for w in sink.warnings)


def test_azure_legacy_access_tokens(tmp_path: Path) -> None:
    write(tmp_path, ".azure/accessTokens.json", json.dumps([{
        "tokenType": "Bearer", "accessToken": "eyJlegacyAccessTokenFixture", "refreshToken": "legacyRefreshFixture",
        "userId": "dev@example.com", "_clientId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "_authority": "https://login.microsoftonline.com/tenant-1"}]))
    kinds = {h.kind: h for h in scan(tmp_path).hits}
    assert set(kinds) == {"azure_access_token", "azure_refresh_token"}
    assert kinds["azure_access_token"].companions["tenant"] == "tenant-1"


def test_zsh_metafied_history_is_unmetafied(tmp_path: Path) -> None:
    # "é" is UTF-8 c3 a9; zsh writes bytes >= 0x83 as 0x83 followed by byte ^ 0x20.
    raw = b": 1731000000:0;echo caf\xc3\x83\x89 && export GH_TOKEN=ghp_ffffffffffffffffffffffffffffffffffff\n"
    assert unmetafy_zsh(b"caf\xc3\x83\x89") == "café".encode()
    (tmp_path / ".zsh_history").write_bytes(raw)
    (doc,) = scan(tmp_path).documents
    assert "café" in doc.text and not doc.decoded_with_errors


def test_env_relocated_stores(tmp_path: Path) -> None:
    elsewhere = write(tmp_path, "elsewhere/kube.yaml", """users:
- name: u
  user: {token: relocated-kube-token-0001}
""")
    sink = CollectingSink()
    collect_home(str(tmp_path / "home"), sink, environ={"KUBECONFIG": f"/nonexistent:{elsewhere}",
                                                        "AWS_CONFIG_FILE": "relative/ignored"})
    (hit,) = sink.hits
    assert (hit.kind, hit.location.path, hit.location.store) == ("kubernetes_token", str(elsewhere), "kubeconfig")


def test_known_stores_table_is_consistent() -> None:
    assert all(not spec.pattern.startswith("/") for spec in KNOWN_STORES)
    parsed = {spec.store for spec in KNOWN_STORES if spec.parser is not None}
    documents = {spec.store for spec in KNOWN_STORES if spec.parser is None}
    assert not parsed & documents  # a store name is either parsed or scanned, never both
