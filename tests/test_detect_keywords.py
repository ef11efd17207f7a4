"""Keyword-assigned secrets in every file syntax an agent reads (issue 14.1), on real files.

Each case writes a small file into a temp workspace, scans it with the real pipeline, and checks
the value found (positive) or that nothing is reported (negative: references, placeholders).
Values are made up here, random-looking, and never real credentials.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from scanner.pipeline import ScanOptions, collect

PW = "Tr0ub4dor&3xQ"  # a password-looking value
TOKEN = "q7Vd2LmX9pRt4ZwK8sNb3Hc6"  # a token-looking value without a known prefix


def found(tmp_path: Path, name: str, content: str) -> set[str]:
    target = tmp_path / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(content)
    sink = collect(ScanOptions(roots=(str(tmp_path),), offline=True))
    return {h.secret for h in sink.hits}


POSITIVE = [
    (".env", f"SENDGRID_TOKEN={TOKEN}\n", TOKEN),
    ("deploy.sh", f"export DB_PASSWORD='{PW}'\n", PW),
    ("env.bat", f"set API_KEY={TOKEN}\n", TOKEN),
    ("values.yaml", f"datadog:\n  apiKey: {TOKEN}\n", TOKEN),
    ("multi.yaml", f"a: 1\n---\nservice:\n  db:\n    password: \"{PW}\"\n", PW),
    ("next.yaml", f"db:\n  password:\n    {PW}\n", PW),
    ("block.yaml", f"auth:\n  client_secret: |\n    {TOKEN}\n", TOKEN),
    ("appsettings.json", f'{{"Smtp": {{"Password": "{PW}"}}}}\n', PW),
    ("app.ini", f"[db]\npassword = {PW}\n", PW),
    ("pyproject.toml", f'[tool.x]\napi_token = "{TOKEN}"\n', TOKEN),
    ("app.properties", f"spring.datasource.password={PW}\n", PW),
    ("settings.xml", f"<settings><server><id>r</id><password>{PW}</password></server></settings>\n", PW),
    ("web.config", f'<appSettings><add key="StripeSecret" value="{TOKEN}" /></appSettings>\n', TOKEN),
    ("main.tf", f'resource "x" "y" {{\n  master_password = "{PW}"\n}}\n', PW),
    ("app.py", f'CONFIG = {{"api_key": "{TOKEN}"}}\n', TOKEN),
    ("conn.py", f'psycopg2.connect(host="h", password="{PW}")\n', PW),
    ("index.ts", f'const apiKey: string = "{TOKEN}";\n', TOKEN),
    ("main.go", f'cfg := Config{{Password: "{PW}"}}\nsecret := "{TOKEN}"\n', TOKEN),
    ("App.java", f'private static final String DB_PASSWORD = "{PW}";\n', PW),
    ("Program.cs", f'var clientSecret = @"{TOKEN}";\n', TOKEN),
    ("config.rb", f"config.secret_token = '{TOKEN}'\n", TOKEN),
    ("config.php", f"$config['db_password'] = '{PW}';\n", PW),
    ("Build.kt", f'val authToken = "{TOKEN}"\n', TOKEN),
    ("Dockerfile", f"FROM alpine\nENV ADMIN_PASSWORD {PW}\nARG NPM_AUTH_TOKEN={TOKEN}\n", PW),
    (".gitlab-ci.yml", f"variables:\n  DEPLOY_TOKEN: \"{TOKEN}\"\n", TOKEN),
    ("run.log", f"+ ./tool --password {PW} --verbose\n", PW),
    ("curl.sh", f"curl -u deploy:{PW} https://api.internal.test/x\n", PW),
    ("req.http", f"GET /v1 HTTP/1.1\nAuthorization: Bearer {TOKEN}\n", TOKEN),
    ("db.sh", f"mysql -u root -p{PW} app\n", PW),
    ("init.sql", f"CREATE USER app IDENTIFIED BY '{PW}';\n", PW),
    ("roles.sql", f"ALTER ROLE app WITH LOGIN PASSWORD '{PW}';\n", PW),
    ("ado.config", f"Server=db;Database=app;User Id=sa;Pwd={PW};\n", PW),
    ("jdbc.properties", "url=jdbc:mysql://db:3306/app?user=app&password=Jd8cPass9x&ssl=true\n", "Jd8cPass9x"),
    ("broker.env", f"BROKER=amqp://svc:{PW}@mq.internal:5672/vhost\n", PW),
    ("heredoc.sh", f"cat > .env <<EOF\nSERVICE_SECRET={TOKEN}\nEOF\n", TOKEN),
]


@pytest.mark.parametrize(("name", "content", "secret"), POSITIVE, ids=[p[0] for p in POSITIVE])
def test_keyword_assigned_value_is_found(tmp_path: Path, name: str, content: str, secret: str) -> None:
    assert secret in found(tmp_path, name, content)


def test_kubernetes_secret_data_is_decoded_and_reported(tmp_path: Path) -> None:
    encoded = base64.b64encode(PW.encode()).decode()
    placeholder = base64.b64encode(b"changeme").decode()
    manifest = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  db-pass: {encoded}\n"
                f"  other: {placeholder}\n")
    secrets = found(tmp_path, "secret.yaml", manifest)
    assert encoded in secrets and placeholder not in secrets


NEGATIVE = [
    ("app.py", 'password = os.environ["DB_PASSWORD"]\ntoken = settings.API_TOKEN\n'),
    ("app.js", "const apiKey = process.env.API_KEY;\n"),
    (".env", "DB_PASSWORD=${DB_PASSWORD}\nAPI_KEY=changeme\nSECRET=<your-secret-here>\n"),
    ("values.yaml", "db:\n  password: postgres\n  token: xxxxxxxxxxxxxxxx\n"),
    ("app.ts", "interface Login { password: string; token: string }\n"),
    ("form.html", '<input type="password" name="password" placeholder="Password">\n'),
    ("settings.py", 'PASSWORD_MIN_LENGTH = 12\nTOKEN_URL = "https://auth.example.test/token"\n'),
    ("keys.py", 'primary_key = "user_id_column_name"\npublic_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"\n'),
    ("short.env", "API_TOKEN=abc\nPASSWORD=aaaaaaaa\n"),
]


@pytest.mark.parametrize(("name", "content"), NEGATIVE, ids=[n[0] + str(i) for i, n in enumerate(NEGATIVE)])
def test_references_placeholders_and_non_secrets_are_not_reported(tmp_path: Path, name: str, content: str) -> None:
    assert found(tmp_path, name, content) == set()
