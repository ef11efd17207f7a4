# ruff: noqa: E501  (sample templates read best on one line each)
"""A labelled detection corpus, generated from providers' documented token formats in file contexts.

Every sample is one small file holding one candidate value; its label says whether a person
reading the file would see a credential (``secret``) or not (``nonsecret``). Values are drawn
with a fixed seed from each format's documented shape (prefix, length, alphabet, checksum), so
no real credential is involved and the corpus is the same on every run. Contexts are the file
syntaxes an agent reads (env, shell, YAML, JSON, INI, TOML, XML, HCL, source in several
languages, Dockerfile, Kubernetes, CI, logs, SQL, connection strings).

Negatives are the false alarms scanners are known for: placeholders, references to variables,
documented example keys, malformed look-alikes (wrong length, bad alphabet, bad checksum,
repeated runs), ordinary words, and random-looking values that are not credentials (hashes,
ids, integrity digests, UUIDs of requests, build numbers).

The format shapes follow the sources cited in scanner/detect/data/catalog.toml and the
provider docs in shared/reference/providers.md; the generator is independent from the rules'
own test strings (other names, other contexts, other random bodies).
"""

from __future__ import annotations

import base64
import json
import random
import string
import zlib
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class Sample:
    name: str
    text: str
    label: str  # "secret" | "nonsecret"
    category: str


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def crc_token(self, prefix: str) -> str:
        body = self.s(ALNUM, 30)
        value = zlib.crc32(body.encode()) & 0xFFFFFFFF
        digits = ""
        while value:
            value, rem = divmod(value, 62)
            digits = B62[rem] + digits
        return prefix + body + digits.rjust(6, "0")

    def password(self) -> str:
        words = ["Sommer", "Blue", "Tiger", "River", "Maple", "Orbit", "Cobalt", "Falcon", "Nimbus", "Quartz"]
        style = self.r.randrange(3)
        if style == 0:
            return self.r.choice(words) + self.s(string.digits, 4) + self.r.choice("!#$%*") + self.s(ALNUM, 3)
        if style == 1:
            return self.s(ALNUM + "!#%*+-_", self.r.randint(12, 20))
        return self.s(string.ascii_lowercase, 4) + self.r.choice("-_.") + self.s(ALNUM, 8)

    def jwt(self) -> str:
        def part(obj: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
        return (part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": self.s(HEX, 8), "iat": 1700000000})
                + "." + self.s(ALNUM + "-_", 43))


def provider_tokens(g: Gen) -> list[tuple[str, str]]:
    """(name, value) of documented prefixed formats."""
    return [
        ("GITHUB_TOKEN", g.crc_token("ghp_")), ("GH_OAUTH", g.crc_token("gho_")),
        ("NPM_TOKEN", g.crc_token("npm_")), ("GITLAB_TOKEN", "glpat-" + g.s(ALNUM + "_-", 20)),
        ("AWS_ACCESS_KEY_ID", "AKIA" + g.s(string.ascii_uppercase + "234567", 16)),
        ("SLACK_BOT_TOKEN", f"xoxb-{g.s(string.digits, 11)}-{g.s(string.digits, 12)}-{g.s(ALNUM, 24)}"),
        ("STRIPE_SECRET_KEY", "sk_live_" + g.s(ALNUM, 24)),
        ("SENDGRID_API_KEY", "SG." + g.s(ALNUM + "_-", 22) + "." + g.s(ALNUM + "_-", 43)),
        ("OPENAI_API_KEY", "sk-proj-" + g.s(ALNUM + "_-", 64)),
        ("ANTHROPIC_API_KEY", "sk-ant-api03-" + g.s(ALNUM + "_-", 93) + "AA"),
        ("HF_TOKEN", "hf_" + g.s(ALNUM, 34)),
        ("GOOGLE_API_KEY", "AIza" + g.s(ALNUM + "_-", 35)),
        ("GOOGLE_CLIENT_SECRET", "GOCSPX-" + g.s(ALNUM + "_-", 28)),
        ("GCP_ACCESS_TOKEN", "ya29." + g.s(ALNUM + "_-", 150)),
        ("GOOGLE_REFRESH_TOKEN", "1//0" + g.s(ALNUM + "_-", 98)),
        ("SHOPIFY_TOKEN", "shpat_" + g.s(HEX, 32)),
        ("SQUARE_TOKEN", "EAAA" + g.s(ALNUM + "_-", 60)),
        ("BRAINTREE_TOKEN", f"access_token$production${g.s(string.ascii_lowercase + string.digits, 16)}${g.s(HEX, 32)}"),
        ("MAILGUN_KEY", "key-" + g.s(HEX, 32)), ("MAILCHIMP_KEY", g.s(HEX, 32) + "-us" + str(g.r.randint(1, 20))),
        ("TELEGRAM_TOKEN", f"{g.r.randint(100000000, 999999999)}:AA{g.s(ALNUM + '_-', 33)}"),
        ("ATLASSIAN_TOKEN", "ATATT3" + g.s(ALNUM + "_-", 180)),
        ("POSTMAN_KEY", f"PMAK-{g.s(HEX, 24)}-{g.s(HEX, 34)}"), ("PULUMI_TOKEN", "pul-" + g.s(HEX, 40)),
        ("TFC_TOKEN", g.s(ALNUM, 14) + ".atlasv1." + g.s(ALNUM + "_-", 67)),
        ("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmc" + g.s(ALNUM + "_-", 70)),
        ("RUBYGEMS_KEY", "rubygems_" + g.s(HEX, 48)),
        ("NUGET_KEY", "oy2" + g.s(string.ascii_lowercase + string.digits, 43)),
        ("DOCKER_TOKEN", "dckr_pat_" + g.s(ALNUM + "_-", 27)),
        ("DO_TOKEN", "dop_v1_" + g.s(HEX, 64)), ("HEROKU_TOKEN", "HRKU-AA" + g.s(ALNUM + "_-", 58)),
        ("LINEAR_KEY", "lin_api_" + g.s(ALNUM, 40)), ("SENTRY_TOKEN", "sntryu_" + g.s(HEX, 64)),
        ("VAULT_TOKEN", "hvs." + g.s(ALNUM + "_-", 90)), ("GRAFANA_TOKEN", "glsa_" + g.s(ALNUM, 32) + "_" + g.s(HEX, 8)),
        ("AGE_KEY", "AGE-SECRET-KEY-1" + g.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58)),
        ("SESSION_JWT", g.jwt()), ("TWILIO_KEY", "SK" + g.s(HEX, 32)),
        ("AZURE_CLIENT_SECRET", g.s(ALNUM, 3) + str(g.r.randint(0, 9)) + "Q~" + g.s(ALNUM + "_~.-", 34)),
        ("SUPABASE_TOKEN", "sbp_" + g.s(HEX, 40)), ("CF_TOKEN", "cfut_" + g.s(ALNUM, 40) + g.s(HEX, 8)),
    ]


CONTEXTS = [
    ("{slug}.env", "{n}={v}\n"),
    ("deploy-{slug}.sh", "#!/bin/sh\nexport {n}=\"{v}\"\n./deploy --env prod\n"),
    ("{slug}.yaml", "service:\n  name: api\n  {camel}: {v}\n"),
    ("{slug}.json", '{{\n  "name": "api",\n  "{camel}": "{v}"\n}}\n'),
    ("{slug}.py", 'import os\n\n{lower} = "{v}"\n'),
    ("{slug}.js", "module.exports = {{ {camel}: '{v}' }};\n"),
    ("{slug}.go", 'package cfg\n\nconst {camel} = "{v}"\n'),
    ("Dockerfile.{slug}", "FROM python:3.12\nENV {n}={v}\n"),
    ("{slug}.tf", 'provider "x" {{\n  {lower} = "{v}"\n}}\n'),
    ("{slug}.ini", "[default]\n{lower} = {v}\n"),
    ("{slug}.xml", "<config>\n  <{camel}>{v}</{camel}>\n</config>\n"),
    ("{slug}.log", "2024-05-01T10:00:00Z INFO starting with {n}={v}\n"),
    (".github-{slug}.yml", "jobs:\n  build:\n    env:\n      {n}: {v}\n"),
    ("{slug}.php", "<?php\nreturn [\n    '{lower}' => '{v}',\n];\n"),
    ("{slug}.rb", "Rails.application.configure do\n  config.{lower} = '{v}'\nend\n"),
    ("{slug}.kt", "object Config {{\n    const val {n} = \"{v}\"\n}}\n"),
    ("{slug}.properties", "# service\n{dotted}={v}\n"),
    ("{slug}.toml", "[service]\n{lower} = \"{v}\"\n"),
    ("{slug}.config", "<configuration>\n  <appSettings>\n    <add key=\"{camel}\" value=\"{v}\" />\n  </appSettings>\n</configuration>\n"),
    ("{slug}.ipynb", '{{"cells": [{{"cell_type": "code", "source": ["{lower} = \\"{v}\\"\\n", "client.connect()"]}}]}}\n'),
    ("{slug}.md", "## Setup\n\n```sh\nexport {n}={v}\nmake run\n```\n"),
    ("helm-{slug}.yaml", "global:\n  env: prod\napp:\n  secrets:\n    {camel}: \"{v}\"\n"),
    ("{slug}.cs", "public static class Keys\n{{\n    public const string {n} = \"{v}\";\n}}\n"),
    ("{slug}.ts", "export const config = {{\n  {camel}: \"{v}\",\n}};\n"),
    ("{slug}.hcl", "variable \"x\" {{\n  default = \"{v}\"\n}}\n# {lower} for the provider\n"),
]


def _camel(name: str) -> str:
    head, *rest = name.lower().split("_")
    return head + "".join(p.capitalize() for p in rest)


def _render(g: Gen, template: tuple[str, str], name: str, value: str, index: int) -> tuple[str, str]:
    file_name, body = template
    slug = f"s{index:04d}"
    return file_name.format(slug=slug), body.format(n=name, v=value, camel=_camel(name), lower=name.lower(),
                                                    dotted=name.lower().replace("_", "."))


def build(seed: int = 20241202) -> list[Sample]:
    g = Gen(seed)
    samples: list[Sample] = []

    def add(template: tuple[str, str], name: str, value: str, label: str, category: str) -> None:
        file_name, text = _render(g, template, name, value, len(samples))
        samples.append(Sample(file_name, text, label, category))

    # --- secrets: provider tokens in three contexts each -------------------------------------
    for _ in range(2):
        for name, value in provider_tokens(g):
            for template in g.r.sample(CONTEXTS, 2):
                add(template, name, value, "secret", "provider-token")
    # --- secrets: keyword-assigned passwords and prefix-less keys ----------------------------
    password_names = ["DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "SMTP_PASS", "ADMIN_PWD", "REDIS_PASSWORD",
                      "LDAP_BIND_PASSWORD", "KEYSTORE_PASSPHRASE", "RABBITMQ_DEFAULT_PASS"]
    key_names = ["PAYMENT_API_KEY", "SERVICE_SECRET", "WEBHOOK_SECRET", "CLIENT_SECRET", "APP_SECRET_KEY",
                 "INTERNAL_AUTH_TOKEN", "ANALYTICS_API_TOKEN", "SIGNING_KEY", "DATADOG_API_KEY", "ALGOLIA_ADMIN_KEY"]
    for _ in range(4):
        for name in password_names:
            add(g.r.choice(CONTEXTS), name, g.password(), "secret", "keyword-password")
        for name in key_names:
            value = g.s(g.r.choice([ALNUM, HEX, ALNUM + "_-"]), g.r.choice([24, 32, 40, 48]))
            add(g.r.choice(CONTEXTS), name, value, "secret", "keyword-key")
    # --- secrets: command lines, headers, SQL, connection strings, URLs, keys, k8s -----------
    for _ in range(8):
        pw = g.password()
        tok = g.s(ALNUM, 40)
        user = g.r.choice(["deploy", "admin", "svc", "app", "ci"])
        host = g.r.choice(["db.internal", "mq.prod.local", "10.0.3.7", "cache.internal"])
        shaped = [
            ("run.sh", f"curl -u {user}:{pw} https://{host}/api\n"),
            ("debug.log", f"> GET /v2/items HTTP/1.1\n> Authorization: Bearer {tok}\n"),
            ("backup.sh", f"mysqldump -u {user} -p{pw} --all-databases > dump.sql\n"),
            ("init.sql", f"CREATE USER '{user}'@'%' IDENTIFIED BY '{pw}';\n"),
            ("roles.sql", f"CREATE ROLE {user} WITH LOGIN PASSWORD '{pw}';\n"),
            ("appsettings.json", '{"ConnectionStrings": {"Main": "Server=' + host + ';Database=app;User Id='
             + user + ';Password=' + pw + ';"}}\n'),
            ("broker.env", f"CELERY_BROKER_URL=amqp://{user}:{pw}@{host}:5672//\n"),
            ("cache.yaml", f"redis:\n  url: redis://:{pw}@{host}:6379/0\n"),
            ("mongo.ts", f"const uri = \"mongodb+srv://{user}:{pw}@{host}/app?retryWrites=true\";\n"),
            ("storage.env", "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=acct"
             f"{g.s(string.digits, 3)};AccountKey={g.s(ALNUM + '+/', 86)}==;EndpointSuffix=core.windows.net\n"),
            ("secret.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n"
             f"  password: {base64.b64encode(pw.encode()).decode()}\n"),
            ("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(g.s(ALNUM + "+/", 70) for _ in range(5))
             + "\n-----END OPENSSH PRIVATE KEY-----\n"),
            ("settings.xml", f"<settings><servers><server><id>nexus</id><username>{user}</username>"
             f"<password>{pw}</password></server></servers></settings>\n"),
            ("login.sh", f"docker login -u {user} -p {pw} registry.internal\n"),
            ("next.yaml", f"database:\n  password:\n    {pw}\n"),
            ("Program.cs", f"var conn = new SqlConnection(\"Data Source={host};User ID={user};Pwd={pw};\");\n"),
        ]
        for file_name, text in shaped:
            samples.append(Sample(f"{len(samples):04d}-{file_name}", text, "secret", "context"))
    # --- nonsecrets --------------------------------------------------------------------------
    placeholders = ["changeme", "xxxxxxxxxxxxxxxxxxxx", "<your-api-key>", "${API_TOKEN}", "{{ .Values.password }}",
                    "your_api_key_here", "REPLACE_ME", "********", "TODO", "<PASSWORD>", "%(db_password)s",
                    "$(cat /run/secrets/token)", "null", "dummy-secret", "test", "example-token-123"]
    for _ in range(2):
        for value in placeholders:
            add(g.r.choice(CONTEXTS), g.r.choice(password_names + key_names), value, "nonsecret", "placeholder")
    refs = [("app.py", 'password = os.environ["DB_PASSWORD"]\n'), ("app.js", "const token = process.env.GITHUB_TOKEN;\n"),
            ("cfg.go", 'secret := os.Getenv("APP_SECRET")\n'), ("App.java", 'String apiKey = System.getenv("API_KEY");\n'),
            ("values.yaml", "password: ${DB_PASSWORD}\n"), ("ci.yml", "env:\n  TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n"),
            ("Settings.cs", 'var key = Configuration["Stripe:SecretKey"];\n'), ("main.tf", "password = var.db_password\n"),
            ("compose.yml", "environment:\n  - POSTGRES_PASSWORD_FILE=/run/secrets/db\n"),
            ("app.rb", "token = ENV.fetch('API_TOKEN')\n"), ("k8s.yaml", "env:\n  - name: DB_PASSWORD\n    valueFrom:\n"
                                                            "      secretKeyRef: {name: db, key: password}\n")]
    for _ in range(3):
        for file_name, text in refs:
            samples.append(Sample(f"{len(samples):04d}-{file_name}", text, "nonsecret", "reference"))
    examples = ["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="]
    for value in examples * 3:
        add(g.r.choice(CONTEXTS), g.r.choice(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AZURE_STORAGE_KEY"]),
            value, "nonsecret", "example-key")
    for _ in range(3):
        malformed = [
            ("GITHUB_TOKEN", "ghp_" + g.s(ALNUM, 20)), ("GITHUB_TOKEN", "ghp_" + "x" * 36),
            ("STRIPE_SECRET_KEY", "sk_live_" + "0" * 24), ("SLACK_BOT_TOKEN", "xoxb-123-456-abc"),
            ("AWS_ACCESS_KEY_ID", "AKIA" + "A" * 16), ("OPENAI_API_KEY", "sk-proj-" + "abcdefgh" * 4),
            ("SENDGRID_API_KEY", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ("NPM_TOKEN", "npm_" + "1234567890" * 3 + "abcdef"),
        ]
        for name, value in malformed:
            add(g.r.choice(CONTEXTS), name, value, "nonsecret", "malformed")
    words = ["password", "secret", "postgres", "string", "hunter", "admin", "letmein", "required", "none", "default"]
    for _ in range(2):
        for value in words:
            add(g.r.choice(CONTEXTS), g.r.choice(password_names), value, "nonsecret", "dictionary-word")
    for _ in range(6):
        randomish = [
            ("package-lock.json", '{"node_modules/x": {"version": "1.0.0", "integrity": "sha512-'
             + g.s(ALNUM + "+/", 86) + '=="}}\n'),
            ("build.env", f"GIT_COMMIT={g.s(HEX, 40)}\nBUILD_NUMBER={g.r.randint(1000, 99999)}\n"),
            ("log.txt", f"request_id={g.s(HEX, 8)}-{g.s(HEX, 4)}-4{g.s(HEX, 3)}-a{g.s(HEX, 3)}-{g.s(HEX, 12)} done\n"),
            ("checksums.txt", f"{g.s(HEX, 64)}  dist/app-1.2.3.tar.gz\n"),
            ("types.ts", "export interface Credentials {\n  password: string;\n  token?: string;\n}\n"),
            ("config.py", f"MAX_TOKENS = 4096\nTOKEN_TYPE = \"bearer\"\nCACHE_KEY = \"user:{g.s(HEX, 6)}\"\n"),
            ("form.html", '<input type="password" name="password" placeholder="Enter password">\n'),
            ("style.css", f".icon-{g.s(string.ascii_lowercase, 6)} {{ background: url(data:image/png;base64,"
             f"{g.s(ALNUM + '+/', 60)}); }}\n"),
            ("go.sum", f"github.com/x/y v1.2.3 h1:{g.s(ALNUM + '+/', 43)}=\n"),
            ("docs.md", "Set `API_KEY` to the key from the dashboard, e.g. `API_KEY=<key>`.\n"),
        ]
        for file_name, text in randomish:
            samples.append(Sample(f"{len(samples):04d}-{file_name}", text, "nonsecret", "random-not-secret"))
    return samples
