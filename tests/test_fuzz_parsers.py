"""Hostile content: every credential-store parser and the detectors, fuzzed with hypothesis.

Properties, for any input:

* :func:`scanner.sources.stores.parse_store_file` never raises; anything it could not make sense
  of ends as a warning that starts with the file's path;
* the parsers themselves raise nothing but :class:`StoreFormatError` (the dispatcher's catch-all is
  a safety net, not how malformed input is handled), and warnings never quote an emitted secret;
* every hit points at its file, and when it has a line and column the secret is really there;
* :func:`scanner.detect.engine.detect` on arbitrary text never raises and every hit's secret is
  the text at the line and column it reports.

Generated documents are shaped like each format (JSON/YAML trees with the keys the parsers look
for, INI, netrc, pgpass, git-credentials lines) and also arbitrary text and bytes. Example counts
stay modest so the suite stays fast.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.detect.engine import LineIndex, detect
from scanner.model import Location, SourceKind
from scanner.sources.base import Document
from scanner.sources.store_parsers._common import StoreFile, StoreFormatError
from scanner.sources.stores import KNOWN_STORES, StoreSpec, parse_store_file
from tests.helpers import CollectingSink

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PARSED_STORES: list[StoreSpec] = list({spec.parser: spec for spec in KNOWN_STORES if spec.parser}.values())
STORE_IDS = [f"{spec.store}:{spec.pattern}" for spec in PARSED_STORES]

# Keys the parsers look for, so generated trees reach past the first `isinstance` check.
KEYS = [
    "auths", "auth", "identitytoken", "credsStore", "credHelpers", "Credentials", "AccessKeyId",
    "SecretAccessKey", "SessionToken", "AssumedRoleUser", "Arn", "users", "user", "oauth_token",
    "github.com", "token", "password", "username", "client-key-data", "clusters", "cluster",
    "contexts", "context", "current-context", "server", "exec", "command", "auth-provider", "name",
    "type", "private_key", "client_email", "refresh_token", "client_secret", "credentials",
    "access-token", "auth-contexts", "default", "projects", "user_token", "token_id", "AccessToken",
    "secret", "accessToken", "credential", "credentials.app.terraform.io", "app.terraform.io",
    "tokens", "access_token", "RefreshToken", "Account", "project", "environment",
]
TOKENS = [
    "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u", "gho_" + "a" * 36, "npm_" + "b" * 36,
    "AKIA" + "QYLPMN5HFIQR7XYZ", "5f3c1a2b-9d8e-4f7a-b6c5-1e2d3f4a5b6c", "xoxb-1-2-abc",
    "glpat-" + "x" * 20, "HRKU-" + "c" * 60, "pypi-" + "AgEI" * 10, "dckr_pat_" + "d" * 27,
    "dXNlcjpwYXNz", "dXNlcg==", "", "\\", "\x00", "é", "\U0001f600", "${TOKEN}", "*", "&a",
    "-----BEGIN PRIVATE KEY-----", "https://u:p@h", "null", "1e999", "0x1f",
]
scalars = st.one_of(
    st.sampled_from(TOKENS), st.text(max_size=40), st.integers(), st.floats(allow_nan=False),
    st.booleans(), st.none(),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), children, max_size=5),
    ),
    max_leaves=30,
)


def _ini(draw: Callable[[Any], Any]) -> str:
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            lines.append(f"[{draw(st.sampled_from(['default', 'profile x', 'sso-session s', 'pypi', '', ' ]']))}]")
        elif kind == 1:
            key = draw(st.sampled_from(["aws_access_key_id", "aws_secret_access_key", "aws_session_token",
                                        "region", "credential_process", "password", "username",
                                        "repository", "sso_session", "web_identity_token_file"]))
            sep = draw(st.sampled_from(["=", " = ", ":", "=  ", ""]))
            lines.append(f"{key}{sep}{draw(st.sampled_from(TOKENS))}")
        elif kind == 2:
            lines.append(" " + draw(st.text(max_size=20)))
        else:
            lines.append(draw(st.text(max_size=30)))
    return "\n".join(lines)


def _words(draw: Callable[[Any], Any], vocabulary: list[str]) -> str:
    parts = draw(st.lists(st.one_of(st.sampled_from(vocabulary), st.sampled_from(TOKENS),
                                    st.text(max_size=10)), max_size=20))
    seps = draw(st.lists(st.sampled_from([" ", "\n", "\t", "\n\n", ":", "\\:", '"']),
                         min_size=len(parts), max_size=len(parts)))
    return "".join(p + s for p, s in zip(parts, seps, strict=True))


@st.composite
def documents(draw: Callable[[Any], Any], spec: StoreSpec) -> str:
    """A document shaped like ``spec``'s format half of the time, arbitrary text otherwise."""
    shape = draw(st.integers(0, 3))
    if shape == 0:
        return str(draw(st.text(max_size=300)))
    if shape == 1:
        return json.dumps(draw(trees))
    if shape == 2:
        try:
            return yaml.safe_dump(draw(trees), allow_unicode=True)
        except yaml.YAMLError:
            return ""
    name = spec.store
    if name in ("aws-credentials", "aws-config", "pypirc"):
        return _ini(draw)
    if name in ("netrc",):
        return _words(draw, ["machine", "default", "login", "password", "account", "macdef",
                             "api.heroku.com", "github.com", "port"])
    if name == "pgpass":
        return _words(draw, ["localhost", "5432", "*", "db", "user", "#", "\\"])
    if name == "git-credentials":
        return _words(draw, ["https://", "http://u:", "@github.com", "%", "%zz", "%41", "/path", "[::1]"])
    if name == "npmrc":
        return _words(draw, ["//registry.npmjs.org/:_authToken=", "_auth=", "_password=", "username=",
                             "registry=", "email=", "always-auth=true", "${NPM_TOKEN}"])
    return json.dumps(draw(trees)) if draw(st.booleans()) else yaml.safe_dump(draw(trees))


_TMP = tempfile.TemporaryDirectory(prefix="credreach-fuzz-")


def _write(name: str, data: bytes) -> str:
    path = os.path.join(_TMP.name, name.replace("/", "_").replace("*", "x"))
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def _check_store(spec: StoreSpec, data: bytes) -> None:
    path = _write(spec.pattern, data)
    sink = CollectingSink()
    count = parse_store_file(path, spec, sink)          # never raises
    assert count is None or count == len(sink.hits)
    for warning in sink.warnings:
        assert warning.startswith(path), warning
    for hit in sink.hits:
        assert hit.location.path == path and hit.location.store == spec.store
        assert hit.secret
        for warning in sink.warnings:
            assert len(hit.secret) < 8 or hit.secret not in warning, "a warning quotes a secret"
    # The parser proper raises only StoreFormatError: the dispatcher's catch-all is never needed.
    if spec.parser is not None and count is not None:
        text = data.decode("utf-8", "surrogateescape")
        if spec.transform is not None:
            text = spec.transform(data).decode("utf-8", "surrogateescape")
        with contextlib.suppress(StoreFormatError):
            spec.parser(StoreFile(path=path, store=spec.store, text=text, sink=CollectingSink()))
    _check_positions(sink.hits, data.decode("utf-8", "surrogateescape"))


def _check_positions(hits: list[Any], text: str) -> None:
    """A hit with a line and column must point at its secret (or the secret's JSON spelling)."""
    lines = text.split("\n")
    for hit in hits:
        line, column = hit.location.line, hit.location.column
        if line is None or column is None:
            continue
        assert 1 <= line <= len(lines), (line, len(lines))
        at = lines[line - 1][column - 1:]
        spellings = {hit.secret, json.dumps(hit.secret)[1:-1], json.dumps(hit.secret)[1:-1].replace("/", "\\/")}
        # Values may be quoted/escaped/percent-encoded in the file; the first character still matches.
        # A value stored base64-encoded (npm `_auth`, docker `auth`) is found at its encoded form.
        assert (any(at.startswith(s) for s in spellings) or at[:1] in (hit.secret[:1], "%", "\\", '"', "'")
                or hit.secret in _base64_decoded_prefix(at)), (hit.kind, line, column)


def _base64_decoded_prefix(text: str) -> str:
    """The decoding of the base64 run at the start of ``text`` ('' when there is none)."""
    run = re.match(r"[A-Za-z0-9+/=]+", text)
    if not run:
        return ""
    token = run.group(0)
    try:
        return base64.b64decode(token + "=" * (-len(token) % 4)).decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return ""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("spec", PARSED_STORES, ids=STORE_IDS)
@FUZZ
@given(data=st.data())
def test_store_parser_survives_format_shaped_input(spec: StoreSpec, data: st.DataObject) -> None:
    text = data.draw(documents(spec))
    _check_store(spec, text.encode("utf-8", "surrogateescape"))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("spec", PARSED_STORES, ids=STORE_IDS)
@FEW
@given(raw=st.binary(max_size=400))
def test_store_parser_survives_arbitrary_bytes(spec: StoreSpec, raw: bytes) -> None:
    _check_store(spec, raw)


# --- specific hostile documents --------------------------------------------------------------------

def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines.append("users: [{name: x, user: {token: *a9}}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "yaml billion laughs": _billion_laughs(),
    "yaml python tag": "!!python/object/apply:os.system ['touch /tmp/credreach-pwned']\n",
    "yaml deep nesting": "[" * 5000 + "]" * 5000,
    "yaml recursive alias": "a: &a [*a]\n",
    "json deep nesting": "[" * 100000 + "]" * 100000,
    "json huge integer": "{\"auths\": " + "9" * 100000 + "}",
    "json lone surrogate": '{"auths": {"r": {"auth": "\\udc80"}}}',
    "nul bytes": "\x00" * 100,
    "only a BOM": "\ufeff",
    "CR line ends": "[default]\raws_access_key_id=AKIAQYLPMN5HFIQR7XYZ\r",
    "one megabyte line": "x" * (1 << 20),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("spec", PARSED_STORES, ids=STORE_IDS)
def test_hostile_documents(spec: StoreSpec, name: str) -> None:
    _check_store(spec, HOSTILE[name].encode("utf-8", "surrogateescape"))
    assert not Path("/tmp/credreach-pwned").exists()


def test_malformed_json_and_yaml_warnings_name_the_path_not_the_content() -> None:
    secret = "ghp_" + "R8fK2mQ9xZ4vB7nL1pW3sT6yH0jD5cG8aE2u"
    by_store = {spec.store: spec for spec in PARSED_STORES}
    for store, text in (("docker-config", '{"auths": {"r": {"auth": "' + secret + '"}'),
                        ("gh-hosts", f"github.com:\n  oauth_token: {secret}\n  user: [unclosed\n"),
                        ("kubeconfig", f"users:\n- name: x\n  user: {{token: {secret}\n")):
        path = _write(store, text.encode())
        sink = CollectingSink()
        parse_store_file(path, by_store[store], sink)
        assert sink.warnings and all(w.startswith(path) for w in sink.warnings)
        assert not any(secret in w for w in sink.warnings)
        assert any("not valid" in w or "malformed" in w for w in sink.warnings)


# --- detectors --------------------------------------------------------------------------------------

ORIGIN = Location(path="fuzz.txt", line=None, column=None, source=SourceKind.WORKSPACE)
token_text = st.lists(st.one_of(st.sampled_from(TOKENS + [
    "GITHUB_TOKEN=", "RAILWAY_TOKEN=", "aws_secret_access_key = ", "password: ", "Bearer ",
    "postgres://app:", "@db:5432/x", "\n", " ", '"', "'", "=", "-----END PRIVATE KEY-----",
    "# pragma: allowlist secret", "eyJhbGciOiJIUzI1NiJ9.", "sk_live_", "SG.",
]), st.text(max_size=20)), max_size=30).map("".join)


def _check_detect(text: str) -> None:
    doc = Document(text, ORIGIN, len(text.encode("utf-8", "surrogateescape")))
    hits = detect(doc)
    index = LineIndex(text)
    for hit in hits:
        assert hit.location.path == "fuzz.txt" and hit.secret
        line, column = hit.location.line, hit.location.column
        assert line is not None and column is not None
        start = index.starts[line - 1] + column - 1
        assert text[start:start + len(hit.secret)] == hit.secret, (hit.rule, line, column)


@pytest.mark.timeout(300)
@FUZZ
@given(text=token_text)
def test_detect_on_token_soup(text: str) -> None:
    _check_detect(text)


@pytest.mark.timeout(300)
@FUZZ
@given(text=st.text(max_size=500))
def test_detect_on_arbitrary_text(text: str) -> None:
    _check_detect(text)


@pytest.mark.timeout(300)
@FEW
@given(raw=st.binary(max_size=500))
def test_detect_on_undecodable_bytes(raw: bytes) -> None:
    _check_detect(raw.decode("utf-8", "surrogateescape"))


ADVERSARIAL = {
    "one letter": "A" * 300_000, "base64 soup": "aB3+/" * 60_000, "ghp prefixes": "ghp_" * 50_000,
    "key=": "key=" * 50_000, "postgres colons": "postgres://" + "a:" * 50_000,
    "long password": "postgres://u:" + "p" * 100_000 + "@", "at signs": "https://" + "a@" * 50_000,
    "unterminated PEM": "-----BEGIN PRIVATE KEY-----\n" + "A" * 100_000, "AKIA run": "AKIA" + "A" * 100_000,
    "secret= run": "secret_key=" + "A/" * 50_000, "quotes": '"' * 100_000, "uuid chain": "5f3c1a2b-9d8e-" * 20_000,
    "xoxb chain": "xoxb-1-" * 30_000, "bearers": "Authorization: Bearer " * 10_000, "jwt-ish": "eyJ" + "a" * 100_000,
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_detectors_have_no_catastrophic_backtracking(name: str) -> None:
    """Inputs shaped to make a careless regex backtrack: the time bound is pytest-timeout's."""
    _check_detect(ADVERSARIAL[name])
