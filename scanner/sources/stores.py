"""Credential stores in the home directory: files an agent running as the user can simply read.

:data:`KNOWN_STORES` maps paths under ``$HOME`` to a store name and a parser. Parsers are
authoritative for their file: they report structured :class:`~scanner.model.Hit` values (with
companions such as the AWS secret key or the kube cluster) and the file is not also sent to the
detectors. Files whose format has no parser here (shell histories, shell rc files, a few tool
configs) go to the detectors as :class:`~scanner.sources.base.Document` values instead.

Nothing here executes anything: credential helpers, ``credential_process``, kube ``exec``
plugins and docker ``credsStore`` are named in warnings only. Every file is read through
:func:`~scanner.sources.base.read_regular_file`, and a malformed file ends as a warning, never
an exception.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from scanner.model import Location, SourceKind, SourceStats
from scanner.sources.base import (
    DEFAULT_MAX_FILE_SIZE,
    SKIP_BINARY,
    SKIP_VANISHED,
    Document,
    Sink,
    SkipReason,
    decode,
    read_regular_file,
)
from scanner.sources.files import display_path
from scanner.sources.store_parsers import (
    agents,
    aws,
    cloud,
    devtools,
    gcloud_db,
    github,
    kube,
    netrc,
    railway,
    registries,
    ssh,
)
from scanner.sources.store_parsers._common import StoreFile, StoreFormatError

Parser = Callable[[StoreFile], None]
BinaryReader = Callable[[str, str, Sink, int], "int | None"]


def unmetafy_zsh(data: bytes) -> bytes:
    """Undo zsh's history "metafication": byte 0x83 marks the next byte as XOR 0x20.

    zsh writes non-ASCII and special bytes this way in ``.zsh_history``; ASCII tokens are
    unaffected, but UTF-8 text around them would otherwise decode as garbage.
    """
    if b"\x83" not in data:
        return data
    out = bytearray()
    it = iter(data)
    for byte in it:
        if byte == 0x83:
            nxt = next(it, None)
            if nxt is not None:
                out.append(nxt ^ 0x20)
        else:
            out.append(byte)
    return bytes(out)


@dataclass(frozen=True)
class StoreSpec:
    pattern: str
    """Path relative to the home directory; ``*`` globs are allowed."""
    store: str
    """Store name reported in ``Location.store``."""
    parser: Parser | None
    """Structured parser, or ``None`` to send the file to the detectors as a Document."""
    transform: Callable[[bytes], bytes] | None = None
    accept: Callable[[str], bool] | None = None
    """For a glob: which matched paths are candidates (others are passed over without a word)."""
    reader: BinaryReader | None = None
    """For a binary store (SQLite): reads the path itself instead of ``parser`` (see gcloud_db)."""


def _s(pattern: str, store: str, parser: Parser | None = None,
       transform: Callable[[bytes], bytes] | None = None, accept: Callable[[str], bool] | None = None,
       reader: BinaryReader | None = None) -> StoreSpec:
    return StoreSpec(pattern, store, parser, transform, accept, reader)


KNOWN_STORES: tuple[StoreSpec, ...] = (
    # AWS (providers.md §4.2)
    _s(".aws/credentials", "aws-credentials", aws.parse_credentials),
    _s(".aws/config", "aws-config", aws.parse_config),
    _s(".aws/cli/cache/*.json", "aws-cli-cache", aws.parse_cli_cache),
    _s(".aws/sso/cache/*.json", "aws-sso-cache", aws.parse_sso_cache),
    # SSH private keys: every regular file in ~/.ssh but public keys, known_hosts, config
    _s(".ssh/*", "ssh-private-key", ssh.parse_private_key, accept=ssh.candidate),
    _s(".ssh/*/*", "ssh-private-key", ssh.parse_private_key, accept=ssh.candidate),
    # GitHub CLI and git (§2.2)
    _s(".config/gh/hosts.yml", "gh-hosts", github.parse_gh_hosts),
    _s(".git-credentials", "git-credentials", github.parse_git_credentials),
    _s(".config/git/credentials", "git-credentials", github.parse_git_credentials),
    _s(".netrc", "netrc", netrc.parse_netrc),
    # Railway (§1.3)
    _s(".railway/config.json", "railway-config", railway.parse),
    _s(".railway/config-staging.json", "railway-config", railway.parse),
    _s(".railway/config-dev.json", "railway-config", railway.parse),
    # Registries (§10, §11)
    _s(".npmrc", "npmrc", registries.parse_npmrc),
    _s(".pypirc", "pypirc", registries.parse_pypirc),
    _s(".docker/config.json", "docker-config", registries.parse_docker_config),
    # Kubernetes (§24), PostgreSQL (§25)
    _s(".kube/config", "kubeconfig", kube.parse),
    _s(".pgpass", "pgpass", netrc.parse_pgpass),
    # Google Cloud (§22): ADC, legacy per-account ADC, service-account keys kept beside them
    _s(".config/gcloud/*.json", "gcloud", cloud.parse_gcloud_json),
    _s(".config/gcloud/legacy_credentials/*/*.json", "gcloud", cloud.parse_gcloud_json),
    _s(".config/gcloud/credentials.db", "gcloud-credentials-db", reader=gcloud_db.read_credentials_db),
    _s(".config/gcloud/access_tokens.db", "gcloud-access-tokens-db", reader=gcloud_db.read_access_tokens_db),
    # Build tools, package managers, storage CLIs
    _s(".cargo/credentials.toml", "cargo-credentials", devtools.parse_cargo_credentials),
    _s(".cargo/credentials", "cargo-credentials", devtools.parse_cargo_credentials),
    _s(".m2/settings.xml", "maven-settings", devtools.parse_maven_settings),
    _s(".gradle/gradle.properties", "gradle-properties", devtools.parse_gradle_properties),
    _s(".pip/pip.conf", "pip-conf", devtools.parse_pip_conf),
    _s(".config/pip/pip.conf", "pip-conf", devtools.parse_pip_conf),
    _s(".gem/credentials", "gem-credentials", devtools.parse_gem_credentials),
    _s(".local/share/gem/credentials", "gem-credentials", devtools.parse_gem_credentials),
    _s(".composer/auth.json", "composer-auth", devtools.parse_composer_auth),
    _s(".config/composer/auth.json", "composer-auth", devtools.parse_composer_auth),
    _s(".nuget/NuGet/NuGet.Config", "nuget-config", devtools.parse_nuget_config),
    _s(".config/NuGet/NuGet.Config", "nuget-config", devtools.parse_nuget_config),
    _s(".config/rclone/rclone.conf", "rclone-config", devtools.parse_rclone_conf),
    _s(".rclone.conf", "rclone-config", devtools.parse_rclone_conf),
    _s(".s3cfg", "s3cfg", devtools.parse_s3cfg),
    _s(".boto", "boto-config", devtools.parse_boto),
    # AI coding agents' own logins
    _s(".claude/.credentials.json", "claude-credentials", agents.parse_claude_credentials),
    _s(".codex/auth.json", "codex-auth", agents.parse_codex_auth),
    _s(".gemini/oauth_creds.json", "gemini-oauth", agents.parse_gemini_oauth),
    _s(".config/github-copilot/hosts.json", "github-copilot", agents.parse_copilot),
    _s(".config/github-copilot/apps.json", "github-copilot", agents.parse_copilot),
    # Azure CLI (§23)
    _s(".azure/msal_token_cache.json", "azure-msal-cache", cloud.parse_azure_msal_cache),
    _s(".azure/accessTokens.json", "azure-access-tokens", cloud.parse_azure_access_tokens),
    _s(".azure/service_principal_entries.json", "azure-service-principals",
       cloud.parse_azure_service_principals),
    # Terraform, Vercel (§14), DigitalOcean (§13), Fly
    _s(".terraform.d/credentials.tfrc.json", "terraform-credentials", cloud.parse_terraform_credentials),
    _s(".local/share/com.vercel.cli/auth.json", "vercel-auth", cloud.parse_vercel_auth),
    _s(".config/com.vercel.cli/auth.json", "vercel-auth", cloud.parse_vercel_auth),
    _s("Library/Application Support/com.vercel.cli/auth.json", "vercel-auth", cloud.parse_vercel_auth),
    _s(".vercel/auth.json", "vercel-auth", cloud.parse_vercel_auth),
    _s(".now/auth.json", "vercel-auth", cloud.parse_vercel_auth),
    _s(".config/doctl/config.yaml", "doctl-config", cloud.parse_doctl_config),
    _s("Library/Application Support/doctl/config.yaml", "doctl-config", cloud.parse_doctl_config),
    _s(".fly/config.yml", "fly-config", cloud.parse_fly_config),
    # Shell histories: commands typed with tokens in them (detectors scan these)
    _s(".bash_history", "bash_history"),
    _s(".zsh_history", "zsh_history", transform=unmetafy_zsh),
    _s(".histfile", "zsh_history", transform=unmetafy_zsh),
    _s(".local/share/fish/fish_history", "fish_history"),
    _s(".python_history", "python_history"),
    _s(".node_repl_history", "node_repl_history"),
    _s(".psql_history", "psql_history"),
    _s(".mysql_history", "mysql_history"),
    _s(".rediscli_history", "rediscli_history"),
    # Shell startup files often `export TOKEN=...`
    _s(".bashrc", "shell_rc"),
    _s(".bash_profile", "shell_rc"),
    _s(".profile", "shell_rc"),
    _s(".zshrc", "shell_rc"),
    _s(".zprofile", "shell_rc"),
    _s(".zshenv", "shell_rc"),
    _s(".config/fish/config.fish", "shell_rc"),
    # Tool configs without a parser here: the detectors look at them
    _s(".config/glab-cli/config.yml", "glab-config"),
    _s(".config/hub", "hub-config"),
    _s(".config/.wrangler/config/default.toml", "wrangler-config"),
    _s(".wrangler/config/default.toml", "wrangler-config"),
    _s(".my.cnf", "mysql-config"),
    _s(".supabase/access-token", "supabase-access-token"),
)

_BY_STORE = {spec.store: spec for spec in KNOWN_STORES}


def _override(store: str, pattern: str) -> StoreSpec:
    base = _BY_STORE[store]
    return StoreSpec(pattern, store, base.parser, base.transform, None, base.reader)


def env_store_paths(environ: Mapping[str, str]) -> list[tuple[str, StoreSpec]]:
    """Store files that environment variables move away from their default place.

    Only absolute paths are honoured (a relative one depends on the tool's working directory).
    """
    found: list[tuple[str, StoreSpec]] = []

    def add(path: str | None, store: str) -> None:
        if path and os.path.isabs(path):
            found.append((path, _override(store, os.path.basename(path))))

    def add_dir(directory: str | None, name: str, store: str) -> None:
        if directory and os.path.isabs(directory):
            add(os.path.join(directory, name), store)

    get = environ.get
    add(get("AWS_SHARED_CREDENTIALS_FILE"), "aws-credentials")
    add(get("AWS_CONFIG_FILE"), "aws-config")
    add_dir(get("GH_CONFIG_DIR"), "hosts.yml", "gh-hosts")
    add_dir(get("XDG_CONFIG_HOME"), os.path.join("gh", "hosts.yml"), "gh-hosts")
    add_dir(get("XDG_CONFIG_HOME"), os.path.join("doctl", "config.yaml"), "doctl-config")
    add_dir(get("DOCKER_CONFIG"), "config.json", "docker-config")
    for path in (get("KUBECONFIG") or "").split(os.pathsep):
        add(path, "kubeconfig")
    add(get("NPM_CONFIG_USERCONFIG") or get("npm_config_userconfig"), "npmrc")
    add(get("NETRC"), "netrc")
    add(get("PGPASSFILE"), "pgpass")
    add(get("GOOGLE_APPLICATION_CREDENTIALS"), "gcloud")
    add_dir(get("CLOUDSDK_CONFIG"), "application_default_credentials.json", "gcloud")
    add_dir(get("CLOUDSDK_CONFIG"), "credentials.db", "gcloud-credentials-db")
    add_dir(get("CLOUDSDK_CONFIG"), "access_tokens.db", "gcloud-access-tokens-db")
    add_dir(get("CODEX_HOME"), "auth.json", "codex-auth")
    add_dir(get("CLAUDE_CONFIG_DIR"), ".credentials.json", "claude-credentials")
    add(get("BOTO_CONFIG"), "boto-config")
    add(get("RCLONE_CONFIG"), "rclone-config")
    add_dir(get("CARGO_HOME"), "credentials.toml", "cargo-credentials")
    add_dir(get("GRADLE_USER_HOME"), "gradle.properties", "gradle-properties")
    add(get("PIP_CONFIG_FILE"), "pip-conf")
    add_dir(get("AZURE_CONFIG_DIR"), "msal_token_cache.json", "azure-msal-cache")
    add_dir(get("AZURE_CONFIG_DIR"), "accessTokens.json", "azure-access-tokens")
    add(get("HISTFILE"), "zsh_history" if "zsh" in (get("SHELL") or "") else "bash_history")
    return found


def _expand(home_dir: str, specs: Iterable[StoreSpec]) -> list[tuple[str, StoreSpec]]:
    result: list[tuple[str, StoreSpec]] = []
    for spec in specs:
        target = os.path.join(home_dir, spec.pattern)
        if "*" in spec.pattern:
            matches = sorted(glob.glob(os.path.join(glob.escape(home_dir), spec.pattern)))
            result.extend((path, spec) for path in matches if spec.accept is None or spec.accept(path))
        elif os.path.lexists(target):
            result.append((target, spec))
    return result


def parse_store_file(path: str, spec: StoreSpec, sink: Sink,
                     max_size: int = DEFAULT_MAX_FILE_SIZE) -> int | None:
    """Read one store file and report it. Returns the number of hits, or None if it was not read."""
    if spec.reader is not None:
        try:
            return spec.reader(path, spec.store, sink, max_size)
        except Exception as exc:  # bad input must never crash a scan
            sink.warn(f"{path}: could not read {spec.store} file ({type(exc).__name__})")
            return None
    data = read_regular_file(path, max_size)
    if isinstance(data, SkipReason):
        if data != SKIP_VANISHED:
            sink.skip(path, data)
        if spec.parser is not None and data == SKIP_BINARY:
            sink.warn(f"{path}: expected a text {spec.store} file, found binary data; not parsed")
        return None
    if spec.transform is not None:
        data = spec.transform(data)
    text, with_errors = decode(data)
    if spec.parser is None:
        origin = Location(path=display_path(path), line=None, column=None, source=SourceKind.HOME, store=spec.store)
        sink.document(Document(text=text, origin=origin, size=len(data), decoded_with_errors=with_errors))
        return 0
    store_file = StoreFile(path=path, store=spec.store, text=text, sink=sink)
    try:
        spec.parser(store_file)
    except StoreFormatError as exc:
        store_file.warn(f"malformed {spec.store} file: {exc}")
    except Exception as exc:  # bad input must never crash a scan
        # The exception text could quote file content (and so a secret): report its type only.
        store_file.warn(f"could not parse {spec.store} file ({type(exc).__name__})")
    return store_file.hits


def collect_home(home_dir: str, sink: Sink, environ: Mapping[str, str] | None = None,
                 max_size: int = DEFAULT_MAX_FILE_SIZE,
                 stores: Iterable[StoreSpec] = KNOWN_STORES) -> list[SourceStats]:
    """Parse every known credential store under ``home_dir`` (and env-relocated ones).

    Returns one :class:`SourceStats` per store name that had at least one file read
    (``name`` is ``home:<store>``; ``hits`` counts parser hits, not later detector hits).
    """
    home_dir = os.path.abspath(home_dir)
    candidates = _expand(home_dir, stores)
    if environ is not None:
        candidates.extend(env_store_paths(environ))
    seen: set[str] = set()
    items: dict[str, int] = {}
    hits: dict[str, int] = {}
    for path, spec in candidates:
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        count = parse_store_file(path, spec, sink, max_size)
        if count is None:
            continue
        items[spec.store] = items.get(spec.store, 0) + 1
        hits[spec.store] = hits.get(spec.store, 0) + count
    return [SourceStats(name=f"home:{store}", items=items[store], hits=hits[store]) for store in items]
