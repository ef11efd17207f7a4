"""What the guard sees in a command: shell structure, recognisers, small local files, bypass shapes.

Decisions here come from the real engine with real temp workspaces and no reach map (every
credential unknown, counting as production), so each expectation follows from the documented
default policy alone.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from scanner.guard.commands import graphql
from scanner.guard.commands.shell import parse
from scanner.guard.engine import SHELL, ToolCall, evaluate


def decide(command: str, workspace: Path, **env: str) -> tuple[str, str]:
    environ = {"HOME": str(workspace / "home"), "XDG_CACHE_HOME": str(workspace / "cache"), "PATH": "/usr/bin",
               **env}
    verdict, _ = evaluate(ToolCall("test", SHELL, "Bash", str(workspace), command=command), environ)
    return verdict.decision, verdict.reason


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "home").mkdir()
    return tmp_path


@pytest.mark.parametrize("command", [
    "railway volume delete --volume pg-data",
    "railway volume --volume pg-data delete",                      # flag reordering
    "sh -c 'railway volume delete -v pg-data'",
    "bash -lc \"railway volume delete -v pg-data\"",
    "bash -c \"sh -c 'railway volume delete -v pg-data'\"",
    "CMD='railway volume delete -v pg-data'; eval \"$CMD\"",
    "X=railway; $X volume delete -v pg-data",                      # variable as the command
    "'rail''way' volume delete -v pg-data",                        # quoting
    "echo " + base64.b64encode(b"railway volume delete -v pg-data").decode() + " | base64 -d | sh",
    "sh -c \"$(echo " + base64.b64encode(b"railway volume delete -v pg-data").decode() + " | base64 -d)\"",
    "env -u RAILWAY_TOKEN railway volume delete -v pg-data",
    "true && railway volume delete -v pg-data || echo failed",
    "(cd /tmp; railway volume delete -v pg-data)",
    "sudo -u deploy nohup railway volume delete -v pg-data &",
    "bash <<'EOF'\nrailway volume delete -v pg-data\nEOF",
])
def test_bypass_shapes_of_a_production_delete_are_blocked(ws: Path, command: str) -> None:
    decision, reason = decide(command, ws)
    assert decision == "block", reason
    assert "volumeDelete" in reason or "environmentDelete" in reason


@pytest.mark.parametrize("command,expected", [
    ("ls -la && git status", "allow"),
    ("railway status", "allow"),
    ("railway logs --environment staging", "allow"),
    ("curl -s https://example.com/health", "allow"),
    ("psql -h db.staging.internal -c 'SELECT count(*) FROM users'", "allow"),
    ("rm -rf node_modules dist", "monitor"),
    ("git push origin feature/login", "monitor"),
    ("git push", "ask"),
    ("git push --force origin main", "block"),
    ("git push origin :main", "block"),
    ("psql \"$DATABASE_URL\" -c 'DELETE FROM users'", "block"),
    ("psql \"$DATABASE_URL\" -c 'DELETE FROM users WHERE id = 4'", "ask"),
    ("mysql -e 'TRUNCATE orders'", "block"),
    ("mongosh --eval 'db.users.deleteMany({})'", "block"),
    ("redis-cli FLUSHALL", "block"),
    ("aws s3 mv s3://prod-uploads/a.png s3://tmp/a.png", "block"),
    ("aws s3 ls s3://prod-uploads", "allow"),
    ("aws rds modify-db-instance --db-instance-identifier db1 --backup-retention-period 0", "block"),
    ("aws s3api put-bucket-lifecycle-configuration --bucket logs --lifecycle-configuration file://x.json", "block"),
    ("kubectl --context prod delete deployment api", "block"),
    ("kubectl get pods -n staging", "allow"),
    ("helm uninstall api -n production", "block"),
    ("terraform destroy -auto-approve", "block"),
    ("terraform plan", "allow"),
    ("pulumi destroy --stack prod --yes", "block"),
    ("prisma migrate reset --force", "block"),
    ("npx prisma db push --accept-data-loss", "block"),
    ("drizzle-kit push --force", "block"),
    ("alembic downgrade base", "block"),
    ("bin/rails db:drop", "block"),
    ("php artisan migrate:fresh --seed", "block"),
    ("python manage.py flush --no-input", "block"),
    ("heroku pg:backups:restore b101 DATABASE_URL -a shop", "block"),
    ("fly volumes destroy vol_123 -a api", "block"),
    ("vercel remove shop --yes", "block"),
    ("supabase db reset", "monitor"),
    ("supabase db reset --linked", "block"),
    ("stripe customers delete cus_123 --live", "block"),
    ("gh repo delete acme/api --yes", "block"),
    ("gh api -X DELETE /repos/acme/api", "block"),
    ("gh pr list", "allow"),
    ("docker volume rm pg-prod-data", "block"),
    ("docker volume rm scratch", "ask"),
    ("docker compose -p shop down -v", "ask"),
    ("rm -rf /var/lib/postgresql/data", "block"),
    ("rm -rf ~", "block"),
    ("find /data -name '*.db' -delete", "block"),
    ("curl -X POST https://backboard.railway.app/graphql/v2 -d '{\"query\":\"query { me { id } }\"}'", "allow"),
    ("http POST backboard.railway.app/graphql/v2 query='mutation { projectDelete(id: \"p1\") }'", "block"),
    ("wget --method=DELETE https://api.vercel.com/v9/projects/shop", "block"),
    ("node -e \"fetch('https://backboard.railway.app/graphql/v2',{method:'POST',body:JSON.stringify({query:"
     "'mutation { serviceDelete(id: \\\"s1\\\") }'})})\"", "block"),
    ("python3 -c 'from app.db import Base, engine; Base.metadata.drop_all(engine)'", "block"),
])
def test_recognisers_and_default_policy(ws: Path, command: str, expected: str) -> None:
    decision, reason = decide(command, ws)
    assert decision == expected, reason


def test_graphql_restore_and_replace_all_variables_are_destructive_without_a_delete_word(ws: Path) -> None:
    restore = json.dumps({"query": 'mutation { volumeInstanceBackupRestore(volumeInstanceId: "vi-1", '
                                   'volumeInstanceBackupId: "b-1") }'})
    assert decide(f"curl https://backboard.railway.app/graphql/v2 -d '{restore}'", ws)[0] == "block"
    replace = json.dumps({"query": "mutation($i: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $i) }",
                          "variables": {"i": {"projectId": "p", "environmentId": "e", "replace": True,
                                              "variables": {"A": "1"}}}})
    decision, reason = decide(f"curl https://backboard.railway.app/graphql/v2 --json '{replace}'", ws)
    assert decision == "block" and "variableCollectionUpsert" in reason


def test_small_local_files_a_command_runs_are_read_and_judged(ws: Path) -> None:
    (ws / "package.json").write_text(json.dumps({"scripts": {"db:reset": "prisma migrate reset --force",
                                                             "lint": "eslint ."}}))
    (ws / "Makefile").write_text("nuke: clean\n\tterraform destroy -auto-approve\nclean:\n\trm -rf build\n")
    (ws / "scripts").mkdir()
    (ws / "scripts" / "wipe.sh").write_text("#!/bin/sh\npsql \"$DATABASE_URL\" -c 'DROP SCHEMA public CASCADE'\n")
    (ws / "reset.sql").write_text("-- reset\nTRUNCATE users;\n")
    assert decide("npm run db:reset", ws)[0] == "block"
    assert decide("npm run lint", ws)[0] == "allow"
    assert decide("make nuke", ws)[0] == "block"
    assert decide("bash scripts/wipe.sh", ws)[0] == "block"
    assert decide("sh ./scripts/wipe.sh", ws)[0] == "block"
    assert decide("psql -f reset.sql", ws)[0] == "block"
    assert decide("psql < reset.sql", ws)[0] == "block"


def test_a_script_that_cannot_be_read_is_opaque_never_allowed(ws: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "evil.sh"
    outside.write_text("railway volume delete -v pg-data\n")
    (ws / "link.sh").symlink_to(outside)
    decision, reason = decide("bash link.sh", ws, RAILWAY_TOKEN="some-unknown-token-value-1234")
    assert decision in ("ask", "block") and "cannot read" in reason


def test_env_fallback_trap_resolves_to_the_dot_env_database(ws: Path) -> None:
    (ws / ".env").write_text("DATABASE_URL=postgres://app:pw@db.prod.example.com/app\n")
    decision, reason = decide("NODE_ENV=staging npx prisma migrate reset --force", ws)
    assert decision == "block"
    assert "no `.env.staging`" in reason and "DATABASE_URL in `.env`" in reason
    assert "pw@" not in reason


def test_shell_structure_heredoc_substitution_pipes() -> None:
    parsed = parse("A=1 psql \"$DB\" <<SQL\nDROP TABLE t;\nSQL\necho $(cat f) | xargs rm; ls # c")
    first = parsed.pipelines[0][0]
    assert first.words == ["A=1", "psql", "$DB"] and first.stdin_text == "DROP TABLE t;\n"
    assert [c.words[0] for c in parsed.pipelines[1]] == ["echo", "xargs"]
    assert parsed.pipelines[1][1].piped_in and parsed.substitutions == ["cat f"]
    assert parsed.pipelines[2][0].words == ["ls"]


@pytest.mark.parametrize("document,variables", [
    ('mutation { volumeDelete(volumeId: "v1") }', None),
    ('mutation Del($id: String!) { a: volumeDelete(volumeId: $id) serviceDelete(id: "s", environmentId: "e") }',
     {"id": "v9"}),
    ('query { me { id workspaces { id } } }', None),
    ('{ project(id: "p") { volumes { edges { node { id } } } } }', None),
    ('mutation { variableCollectionUpsert(input: {projectId: "p", environmentId: "e", replace: true, '
     'variables: {A: "1"}}) }', None),
    ('# comment\nmutation { projectDelete(id: """block""") }', None),
])
def test_graphql_lexer_agrees_with_graphql_core(document: str, variables: dict[str, str] | None) -> None:
    from graphql import OperationDefinitionNode
    from graphql import parse as gql_parse

    ours = graphql.parse(document, variables)
    theirs = [d for d in gql_parse(document).definitions if isinstance(d, OperationDefinitionNode)]
    assert [op.kind for op in ours] == [d.operation.value for d in theirs]
    assert [[f.name for f in op.fields] for op in ours] == [
        [s.name.value for s in d.selection_set.selections] for d in theirs]  # type: ignore[attr-defined]
    if variables:
        assert ours[0].fields[0].args == {"volumeId": "v9"}


def test_guard_environment_words_match_the_providers_classifier() -> None:
    from providers.base import classify_environment
    from scanner.guard.envclass import classify

    for name in ("production", "prod-db", "main", "staging", "pre-prod", "uat", "dev", "test-db", "preview",
                 "pocketos-pr-42", "product-api", "qa", "live", "sandbox", "", "marketing"):
        assert classify(name) == classify_environment(name).value, name


def test_hook_entry_imports_no_heavy_dependency(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("import sys, json; sys.argv=['x']; from scanner.guard.engine import ToolCall, evaluate, SHELL; "
            "evaluate(ToolCall('t', SHELL, 'Bash', '/tmp', command='railway volume delete -v x && curl -d @a u'), "
            "{'HOME': '/tmp', 'XDG_CACHE_HOME': '/tmp/none'}); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('typer','rich','requests','detect_secrets','graphql','yaml','click'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(Path(__file__).parents[1]),
                         env={**os.environ, "HOME": str(tmp_path)}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
