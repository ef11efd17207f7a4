"""SARIF reporter: schema-valid, code-scanning friendly, stable identities, never a raw secret.

The results are built from the model dataclasses with realistic values (a Railway token found in
a workspace file, in git history and in the environment; a GitHub PAT in a file whose name holds
``|``, a backtick and a space; an AWS key in ~/.aws/credentials; ...) and validated against the
official SARIF 2.1.0 schema vendored in tests/data (oasis-tcs/sarif-spec,
Schemata/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
import yaml

from scanner.detect.rules import KIND_ROTATION
from scanner.model import (
    Action,
    Assessment,
    BlastRadius,
    Capability,
    Credential,
    EnvClass,
    Location,
    Resource,
    ScanResult,
    ScanStats,
    Severity,
    SourceKind,
    Verification,
    VerificationStatus,
)
from scanner.redact import fingerprint, preview
from scanner.report.common import GENERIC_ROTATION
from scanner.report.sarif import render_sarif
from tests import sarif_multitool

DATA = Path(__file__).parent / "data"
PROJECT = Path(__file__).resolve().parents[1]
ROOT = "/srv/checkouts/pocketos"

RAILWAY_SECRET = "5f0c3c2e-8d1a-4f7b-9e6a-2b4c8d9e1f3a"
GITHUB_SECRET = "ghp_R4nd0mL00k1ngT0k3nV4lu3F0rT3st1ng9Z"
AWS_KEY_ID = "AKIAZ7XQ3HN5EXAMPLE7"
AWS_SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
STRIPE_SECRET = "sk_test_51HqLyjWDarjtT1zdp7dcXoJq2ZgFkU0aQeXtYe"
PG_SECRET = "postgres://app:S3cr3t_pw-2024@db.internal.example:5432/app"

ALL_SECRETS = (RAILWAY_SECRET, GITHUB_SECRET, AWS_KEY_ID, AWS_SECRET_KEY, STRIPE_SECRET, PG_SECRET)
PIPE_PATH = "docs/notes |draft` v2.md"
HISTORY_COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


def _cred(provider: str, kind: str, secret: str, locations: tuple[Location, ...],
          companions: dict[str, str] | None = None) -> Credential:
    return Credential(id=f"C-{kind}", provider=provider, kind=kind, fingerprint=fingerprint(secret),
                      preview=preview(secret), locations=locations, secret=secret,
                      companions=companions or {}, rules=(kind.replace("_", "-"),))


def sample_result(line_shift: int = 0, railway_path: str = "app/.env") -> ScanResult:
    """A realistic scan of a checkout at ROOT; ``line_shift`` moves every workspace line."""
    prod_volume = Resource("volume", "pg-data", environment="production", env_class=EnvClass.PRODUCTION,
                           parent="project pocketos")
    railway = Assessment(
        credential=_cred("railway", "railway_account_token", RAILWAY_SECRET, (
            Location(railway_path, 3 + line_shift, 19, SourceKind.WORKSPACE, tracked=True),
            Location(f"git:{HISTORY_COMMIT}:config/old.env", 2, 19, SourceKind.GIT_HISTORY,
                     commit=HISTORY_COMMIT, author_date="2024-03-02T10:11:12Z", history_only=True),
            Location("env:RAILWAY_API_TOKEN", None, None, SourceKind.ENV),
        )),
        verification=Verification(VerificationStatus.LIVE, "viewer query succeeded",
                                  endpoint="https://backboard.railway.com/graphql/v2"),
        blast_radius=BlastRadius(
            identity="ops@pocketos.example", token_type="account",
            resources=(prod_volume,),
            capabilities=(Capability(Action.DELETE, "volumeDelete", (prod_volume,)),
                          Capability(Action.WRITE, "variableUpsert", (prod_volume,), certain=False)),
            notes=("The token belongs to a workspace admin.",),
            unknowns=("Whether volume backups can be deleted cannot be known without writing.",)),
        severity=Severity.CRITICAL,
        reasons=("Live Railway account token that can delete volume `pg-data` in production.",
                 "An agent can read it in app/.env, git history and the environment."),
    )
    github = Assessment(
        credential=_cred("github", "github_classic_pat", GITHUB_SECRET, (
            Location(PIPE_PATH, 10 + line_shift, 5, SourceKind.WORKSPACE, gitignored=True),)),
        verification=Verification(VerificationStatus.LIVE, "GET /user returned 200",
                                  endpoint="https://api.github.com"),
        blast_radius=BlastRadius(identity="octo-dev", scopes=("repo", "workflow"),
                                 capabilities=(Capability(Action.WRITE, "push",
                                                          (Resource("repository", "pocketos/api"),)),)),
        severity=Severity.HIGH,
        reasons=("Live GitHub token with repo scope: it can push to pocketos/api.",),
    )
    aws = Assessment(
        credential=_cred("aws", "aws_access_key", AWS_KEY_ID, (
            Location(os.path.expanduser("~/.aws/credentials"), 2, 19, SourceKind.HOME,
                     store="aws-credentials", profile="prod"),),
            companions={"secret_access_key": AWS_SECRET_KEY}),
        verification=Verification(VerificationStatus.UNVERIFIABLE, "network unreachable"),
        blast_radius=BlastRadius(),
        severity=Severity.MEDIUM,
        reasons=("AWS key that could not be checked (network unreachable).",),
    )
    postgres = Assessment(
        credential=_cred("postgres", "postgres_url", PG_SECRET, (
            Location("infra/docker-compose.yml", 14 + line_shift, 23, SourceKind.WORKSPACE, tracked=True),)),
        verification=Verification(VerificationStatus.INVALID, "password authentication failed"),
        blast_radius=BlastRadius(),
        severity=Severity.LOW,
        reasons=("The database rejected the password.",),
    )
    stripe = Assessment(
        credential=_cred("stripe", "stripe_test_key", STRIPE_SECRET, (
            Location("web/.env.example", 1 + line_shift, 19, SourceKind.WORKSPACE, tracked=True),)),
        verification=Verification(VerificationStatus.LIVE, "test mode"),
        blast_radius=BlastRadius(),
        severity=Severity.INFO,
        reasons=(),
    )
    stats = ScanStats(roots=(ROOT,), files_scanned=42, bytes_scanned=123_456, skipped=(),
                      warnings=("git history limited to 1000 commits",))
    # Deliberately not in severity order: the reporter sorts.
    return ScanResult(stats=stats, assessments=(postgres, stripe, aws, github, railway))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def validate(doc: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


PRODUCED: list[str] = []
"""Every log this module's tests render; the last test validates them all with the multitool."""


def sarif_text(result: ScanResult, **kwargs: Any) -> str:
    text = render_sarif(result, tool_version="0.1.0", cwd=ROOT, **kwargs)
    PRODUCED.append(text)
    return text


def render(result: ScanResult, **kwargs: Any) -> dict[str, Any]:
    return json.loads(sarif_text(result, **kwargs))


def by_kind(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in doc["runs"][0]["results"]}


# RFC 3986 URI-reference characters; a relative reference must not look like a scheme.
_URI_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def test_vendored_schema_is_the_official_one(schema: dict[str, Any]) -> None:
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(schema)
    assert {"result", "run", "physicalLocation", "reportingDescriptor"} <= set(schema["definitions"])


def test_sarif_validates_against_the_schema(schema: dict[str, Any]) -> None:
    doc = render(sample_result())
    validate(doc, schema)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "credreach"
    assert run["tool"]["driver"]["semanticVersion"] == "0.1.0"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == f"file://{ROOT}/"
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"].startswith("git history")


def test_schema_rejects_a_broken_log(schema: dict[str, Any]) -> None:
    """The validation above means something: a result without a message is refused."""
    doc = render(sample_result())
    del doc["runs"][0]["results"][0]["message"]
    with pytest.raises(AssertionError):
        validate(doc, schema)


def test_empty_scan_is_valid(schema: dict[str, Any]) -> None:
    empty = replace(sample_result(), assessments=())
    doc = render(empty)
    validate(doc, schema)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["tool"]["driver"]["rules"] == []


def test_one_rule_per_kind_with_help_and_a_stable_severity() -> None:
    doc = render(sample_result())
    rules = doc["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    # The AWS key is only in ~/.aws: it is a notification, not a result, so it has no rule.
    assert len(ids) == len(set(ids)) == 4 and "aws_access_key" not in ids
    for result in doc["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    by_id = {r["id"]: r for r in rules}
    github = by_id["github_classic_pat"]
    assert KIND_ROTATION["github_classic_pat"] in github["help"]["text"]
    assert github["shortDescription"]["text"] and github["fullDescription"]["text"]
    assert github["properties"]["security-severity"] == "8.0"
    assert "security" in github["properties"]["tags"]
    # A kind no rule describes falls back to generic text.
    stripe = by_id["stripe_test_key"]
    assert GENERIC_ROTATION in stripe["help"]["text"] or KIND_ROTATION.get("stripe_test_key", "@") in \
        stripe["help"]["text"]
    assert by_id["railway_account_token"]["defaultConfiguration"]["level"] == "error"
    assert by_id["stripe_test_key"]["properties"]["security-severity"] == "3.0"
    # Stable: the rule's severity does not follow this run's results (the Railway result is critical).
    assert by_id["railway_account_token"]["properties"]["security-severity"] == "8.0"
    downgraded = replace(sample_result(), assessments=tuple(
        replace(a, severity=Severity.LOW) for a in sample_result().assessments))
    again = {r["id"]: r for r in render(downgraded)["runs"][0]["tool"]["driver"]["rules"]}
    assert {k: r["properties"]["security-severity"] for k, r in again.items()} == \
        {k: r["properties"]["security-severity"] for k, r in by_id.items()}


def test_run_carries_information_uri_and_automation_details() -> None:
    run = render(sample_result())["runs"][0]
    assert run["tool"]["driver"]["informationUri"].startswith("https://")
    assert run["automationDetails"]["id"] == "credreach/"
    assert render(sample_result(), category="credreach-pr")["runs"][0]["automationDetails"]["id"] == "credreach-pr/"


def test_severity_levels_and_security_severity() -> None:
    doc = render(sample_result())
    results = by_kind(doc)
    expected = {"railway_account_token": ("error", "9.5"), "github_classic_pat": ("error", "8.0"),
                "postgres_url": ("note", "3.0"), "stripe_test_key": ("note", "1.0")}
    for kind, (level, score) in expected.items():
        assert results[kind]["level"] == level
        assert results[kind]["properties"]["security-severity"] == score
        assert 0.0 < float(score) <= 10.0
    # Worst first.
    order = [r["ruleId"] for r in doc["runs"][0]["results"]]
    assert order == ["railway_account_token", "github_classic_pat", "postgres_url", "stripe_test_key"]


def test_messages_state_the_blast_radius_with_the_preview() -> None:
    results = by_kind(render(sample_result()))
    text = results["railway_account_token"]["message"]["text"]
    assert text.startswith("Critical:")
    assert preview(RAILWAY_SECRET) in text
    assert "can delete volume `pg-data` in production" in text
    props = results["railway_account_token"]["properties"]
    assert props["verification"] == "live"
    assert {"action": "delete", "operation": "volumeDelete", "certain": True,
            "resources": ["volume `pg-data` in environment `production` of project pocketos"]} \
        in props["capabilities"]


def test_workspace_locations_are_relative_encoded_uris() -> None:
    results = by_kind(render(sample_result()))
    loc = results["github_classic_pat"]["locations"][0]["physicalLocation"]
    uri = loc["artifactLocation"]["uri"]
    assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    assert _URI_CHARS.match(uri), uri
    assert urlsplit(uri).scheme == "" and not uri.startswith("/")
    assert "%7C" in uri and "%60" in uri and "%20" in uri
    assert unquote(uri) == PIPE_PATH
    assert loc["region"] == {"startLine": 10, "startColumn": 5, "endColumn": 5 + len(GITHUB_SECRET)}
    assert results["github_classic_pat"]["locations"][0]["properties"]["gitignored"] is True


def test_absolute_workspace_paths_are_made_relative_to_the_root() -> None:
    result = sample_result(railway_path=f"{ROOT}/services/api/.env")
    loc = by_kind(render(result))["railway_account_token"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "services/api/.env"


def test_git_history_is_described_not_faked() -> None:
    result = by_kind(render(sample_result()))["railway_account_token"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in result["locations"]]
    assert uris == ["app/.env"]
    assert not any(u.startswith("git:") or "config/old.env" in u for u in uris)
    described = {d["source"]: d for d in result["properties"]["credreachLocations"]}
    history = described["git-history"]
    assert history["commit"] == HISTORY_COMMIT
    assert history["path"] == "config/old.env"
    assert history["historyOnly"] is True
    assert described["env"]["variable"] == "RAILWAY_API_TOKEN"
    assert result["properties"]["credreachSource"] == ["env", "git-history", "workspace"]
    assert "git history: config/old.env:2:19 in commit 1a2b3c4d5e6f" in result["message"]["text"]
    assert "environment variable RAILWAY_API_TOKEN" in result["message"]["text"]


def test_home_only_credential_is_a_counted_notification_not_a_result(schema: dict[str, Any]) -> None:
    """GitHub rejects the whole upload for one result without locations (GH1015/GH1017/GH2012)."""
    doc = render(sample_result())
    validate(doc, schema)
    run = doc["runs"][0]
    assert "aws_access_key" not in by_kind(doc)
    assert all(r["locations"] and "physicalLocation" in r["locations"][0] for r in run["results"])
    assert run["properties"]["outsideRepositoryCount"] == 1
    notes = run["invocations"][0]["toolExecutionNotifications"]
    summary = next(n for n in notes if "outsideRepositoryCount" in n.get("properties", {}))
    assert summary["properties"] == {"outsideRepositoryCount": 1, "bySource": {"home": 1}}
    (aws,) = [n for n in notes if n.get("properties", {}).get("kind") == "aws_access_key"]
    assert aws["level"] == "warning"
    assert aws["properties"]["credentialId"] == "C-aws_access_key"
    home = aws["properties"]["credreachLocations"][0]
    assert home["store"] == "aws-credentials" and home["profile"] == "prod"
    assert "~/.aws/credentials:2:19 [profile prod] (aws-credentials)" in aws["message"]["text"]
    assert preview(AWS_KEY_ID) in aws["message"]["text"]


def test_history_only_credential_is_anchored_at_its_path_in_the_commit() -> None:
    result = sample_result()
    railway = next(a for a in result.assessments if a.credential.kind == "railway_account_token")
    history_only = replace(railway, credential=replace(railway.credential, locations=(
        railway.credential.locations[1],)))
    entry = by_kind(render(replace(result, assessments=(history_only,))))["railway_account_token"]
    (loc,) = entry["locations"]
    assert loc["physicalLocation"]["artifactLocation"] == {"uri": "config/old.env", "uriBaseId": "%SRCROOT%"}
    assert loc["physicalLocation"]["region"]["startLine"] == 2
    assert loc["properties"]["commit"] == HISTORY_COMMIT
    assert loc["properties"]["authorDate"] == "2024-03-02T10:11:12Z"
    assert entry["properties"]["historyOnly"] is True
    assert entry["properties"]["commit"] == HISTORY_COMMIT
    assert entry["properties"]["authorDate"] == "2024-03-02T10:11:12Z"
    assert "only in git history" in entry["message"]["text"]


def test_partial_fingerprints_survive_line_moves_and_renames() -> None:
    before = by_kind(render(sample_result()))
    after = by_kind(render(sample_result(line_shift=7, railway_path="config/app.env")))
    assert after["github_classic_pat"]["locations"][0]["physicalLocation"]["region"]["startLine"] == 17
    for kind, result in before.items():
        assert result["partialFingerprints"] == after[kind]["partialFingerprints"]
        fp = result["partialFingerprints"]
        assert fp["credreach/v1"].startswith(f"{kind}:")
        assert re.fullmatch(r"[0-9a-f]{16}:1", fp["primaryLocationLineHash"])
    prints = [r["partialFingerprints"]["credreach/v1"] for r in before.values()]
    assert len(set(prints)) == len(prints)


def test_partial_fingerprint_changes_when_the_secret_is_rotated() -> None:
    result = sample_result()
    rotated_secret = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    railway = next(a for a in result.assessments if a.credential.kind == "railway_account_token")
    rotated = replace(railway, credential=replace(railway.credential, fingerprint=fingerprint(rotated_secret),
                                                  secret=rotated_secret))
    doc = render(replace(result, assessments=(rotated,)))
    old = by_kind(render(result))["railway_account_token"]["partialFingerprints"]
    assert doc["runs"][0]["results"][0]["partialFingerprints"] != old


def test_no_raw_secret_in_the_output() -> None:
    text = sarif_text(sample_result())
    for secret in ALL_SECRETS:
        assert secret not in text
    # Not even JSON-escaped (e.g. the "/" in the AWS secret key).
    assert json.dumps(AWS_SECRET_KEY)[1:-1] not in text


def test_a_secret_leaking_into_a_reason_is_scrubbed() -> None:
    result = sample_result()
    github = next(a for a in result.assessments if a.credential.kind == "github_classic_pat")
    leaky = replace(github, reasons=(f"Provider said: bad credentials for {GITHUB_SECRET}",),
                    blast_radius=replace(github.blast_radius, notes=(f"key {AWS_SECRET_KEY}",)))
    text = sarif_text(replace(result, assessments=(leaky, *result.assessments[:3])))
    assert GITHUB_SECRET not in text and AWS_SECRET_KEY not in text
    assert preview(GITHUB_SECRET) in text


def test_show_secrets_includes_them(schema: dict[str, Any]) -> None:
    doc = render(sample_result(), show_secrets=True)
    validate(doc, schema)
    assert by_kind(doc)["github_classic_pat"]["properties"]["secret"] == GITHUB_SECRET


def test_paths_outside_the_root_are_not_physical() -> None:
    result = sample_result(railway_path="/tmp/elsewhere/.env")
    railway = by_kind(render(result))["railway_account_token"]
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"] for loc in railway["locations"]]
    assert uris == ["config/old.env"]  # anchored in history, never at /tmp/elsewhere
    sources = [d["source"] for d in railway["properties"]["credreachLocations"]]
    assert sources.count("workspace") == 1


def test_every_log_this_module_renders_is_ingestible() -> None:
    """GitHub's ingestion rules (multitool ``--rule-kind Gh;Sarif``) on every log rendered above,
    plus each shape on its own (so the test means the same when run alone): zero errors."""
    result = sample_result()
    railway = next(a for a in result.assessments if a.credential.kind == "railway_account_token")
    aws = next(a for a in result.assessments if a.credential.kind == "aws_access_key")
    shapes = [
        result, replace(result, assessments=()),
        replace(result, assessments=(replace(railway, credential=replace(
            railway.credential, locations=(railway.credential.locations[1],))),)),   # history only
        replace(result, assessments=(aws,)),                                         # home only
        sample_result(railway_path="/tmp/elsewhere/.env"),                           # outside the root
    ]
    texts = [sarif_text(shape) for shape in shapes] + [sarif_text(result, show_secrets=True),
                                                       sarif_text(result, category="credreach-pr")]
    sarif_multitool.assert_ingestible(*dict.fromkeys(PRODUCED + texts))


# --- integration files that feed code scanning and pre-commit -----------------------------------

def test_action_yml_runs_scan_then_uploads_sarif() -> None:
    action = yaml.safe_load((PROJECT / "action.yml").read_text(encoding="utf-8"))
    assert action["name"] == "credreach" and action["description"]
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    scan_index = next(i for i, s in enumerate(steps) if "credreach scan" in s.get("run", ""))
    scan = steps[scan_index]
    assert "credreach scan --format sarif --output \"$SARIF_FILE\"" in scan["run"]
    assert action["inputs"]["sarif-file"]["default"] == "credreach.sarif"
    upload_index = next(i for i, s in enumerate(steps)
                        if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload_index > scan_index
    assert steps[upload_index]["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif-file }}"
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{ inputs." not in step["run"], "inputs must reach scripts via env only"
    assert set(action["outputs"]) == {"sarif-file", "exit-code"}


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list) and len(hooks) == 1
    hook = hooks[0]
    assert hook["id"] == "credreach"
    assert hook["entry"].startswith("credreach scan --staged")
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True  # pre-commit appends the files it selected
    assert {"name", "description"} <= set(hook)


def test_gitlab_doc_uses_json_and_the_exit_code() -> None:
    doc = (PROJECT / "docs" / "gitlab-ci.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(.*?)```", doc, re.S)
    assert block
    job = yaml.safe_load(block.group(1))["credreach"]
    assert any(line.startswith("credreach scan") and "--format json" in line for line in job["script"])
    assert job["artifacts"]["when"] == "always"
    assert "exit code" in doc.lower()
