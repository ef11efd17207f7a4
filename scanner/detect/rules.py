"""Our own provider rules: patterns detect-secrets lacks, and context rules for prefix-less tokens.

Each rule names the provider and credential kind so a provider module can claim it. Patterns
come from ``shared/reference/providers.md`` (gitleaks/trufflehog/Kingfisher, tagged there).
The ``secret`` group is the credential; ``keywords`` are cheap literals that must occur in a
buffer before the regex runs (the prefilter, see :mod:`scanner.detect.engine`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    provider: str
    kind: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    """Literals (lower-case) of which at least one must appear in the text for the rule to run."""
    description: str
    rotate: str = "Revoke it at the provider and issue a new one; move it out of the agent's reach."


def _rule(id: str, provider: str, kind: str, regex: str, keywords: tuple[str, ...], description: str,
          rotate: str = "", flags: int = 0) -> Rule:
    return Rule(id, provider, kind, re.compile(regex, flags), tuple(k.lower() for k in keywords),
                description, rotate or "Revoke it at the provider and issue a new one; "
                "move it out of the agent's reach.")


_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Assignment in env files, shell, YAML, JSON, TOML: NAME = "value", NAME: value, "NAME": "value"
_ASSIGN = r"""["']?\s*[:=]\s*["']?"""

RULES: tuple[Rule, ...] = (
    # --- Railway: UUIDs, only with context --------------------------------------------------
    _rule("railway-project-token", "railway", "railway_project_token",
          rf"\bRAILWAY_TOKEN{_ASSIGN}(?P<secret>{_UUID})\b", ("railway_token",),
          "Railway project token (RAILWAY_TOKEN): bound to one project environment.",
          "Delete it under Project Settings → Tokens in Railway and create a new one."),
    _rule("railway-api-token", "railway", "railway_account_token",
          rf"\bRAILWAY_API_TOKEN{_ASSIGN}(?P<secret>{_UUID})\b", ("railway_api_token",),
          "Railway account or workspace token (RAILWAY_API_TOKEN): reaches every project the account or "
          "workspace can see, production included.",
          "Delete it under Account Settings → Tokens in Railway and create a narrower one."),
    _rule("railway-context-token", "railway", "railway_account_token",
          rf"(?i)railway[\w .-]{{0,30}}(?:token|key|auth)[\w.-]*{_ASSIGN}(?P<secret>{_UUID})\b"
          rf"|Bearer\s+(?P<bearer>{_UUID})(?=[^\n]{{0,120}}backboard\.railway)",
          ("railway",),
          "Railway token found next to the word `railway`.",
          "Delete it under Account Settings → Tokens in Railway and create a narrower one."),
    # --- GitHub -----------------------------------------------------------------------------
    _rule("github-fine-grained-pat", "github", "github_fine_grained_pat",
          r"\b(?P<secret>github_pat_[0-9a-zA-Z_]{82})\b", ("github_pat_",),
          "GitHub fine-grained personal access token.",
          "Revoke it at github.com/settings/tokens (Fine-grained tokens)."),
    _rule("github-classic-pat", "github", "github_classic_pat",
          r"\b(?P<secret>ghp_[0-9a-zA-Z]{36,251})\b", ("ghp_",),
          "GitHub classic personal access token.", "Revoke it at github.com/settings/tokens."),
    _rule("github-oauth-token", "github", "github_oauth_token",
          r"\b(?P<secret>gho_[0-9a-zA-Z]{36,251})\b", ("gho_",),
          "GitHub OAuth app user token (the GitHub CLI stores one).",
          "Revoke the OAuth app authorization at github.com/settings/applications; `gh auth logout`."),
    _rule("github-app-user-token", "github", "github_app_user_token",
          r"\b(?P<secret>ghu_[0-9a-zA-Z]{36,251})\b", ("ghu_",), "GitHub App user-to-server token."),
    _rule("github-app-installation-token", "github", "github_app_installation_token",
          r"\b(?P<secret>ghs_[0-9a-zA-Z]{36,251})\b", ("ghs_",), "GitHub App installation token."),
    _rule("github-refresh-token", "github", "github_refresh_token",
          r"\b(?P<secret>ghr_[0-9a-zA-Z]{36,251})\b", ("ghr_",),
          "GitHub App refresh token (never used by credreach: using it rotates it)."),
    # --- GitLab -----------------------------------------------------------------------------
    _rule("gitlab-pat", "gitlab", "gitlab_pat",
          r"\b(?P<secret>glpat-[0-9a-zA-Z_\-]{20,300}(?:\.[0-9a-z]{2}[0-9a-z]{7})?)\b", ("glpat-",),
          "GitLab personal, project or group access token.",
          "Revoke it under GitLab → Preferences → Access tokens."),
    _rule("gitlab-deploy-token", "gitlab", "gitlab_deploy_token",
          r"\b(?P<secret>gldt-[0-9a-zA-Z_\-]{20})\b", ("gldt-",), "GitLab deploy token."),
    _rule("gitlab-runner-token", "gitlab", "gitlab_runner_token",
          r"\b(?P<secret>glrt-[0-9a-zA-Z_\-]{20,300})\b", ("glrt-",), "GitLab runner token."),
    # --- AI providers -----------------------------------------------------------------------
    _rule("openai-project-key", "openai", "openai_project_key",
          r"\b(?P<secret>sk-proj-[A-Za-z0-9_-]{20,200})", ("sk-proj-",), "OpenAI project API key."),
    _rule("openai-service-account-key", "openai", "openai_service_account_key",
          r"\b(?P<secret>sk-svcacct-[A-Za-z0-9_-]{20,200})", ("sk-svcacct-",),
          "OpenAI service-account key."),
    _rule("openai-admin-key", "openai", "openai_admin_key",
          r"\b(?P<secret>sk-admin-[A-Za-z0-9_-]{20,200})", ("sk-admin-",), "OpenAI admin key."),
    _rule("openai-legacy-key", "openai", "openai_user_key",
          r"\b(?P<secret>sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20})\b", ("t3blbkfj",),
          "OpenAI legacy user API key."),
    _rule("anthropic-admin-key", "anthropic", "anthropic_admin_key",
          r"\b(?P<secret>sk-ant-admin01-[a-zA-Z0-9_\-]{93}AA)", ("sk-ant-admin01-",),
          "Anthropic Admin API key (manages the organization)."),
    _rule("anthropic-api-key", "anthropic", "anthropic_api_key",
          r"\b(?P<secret>sk-ant-api03-[a-zA-Z0-9_\-]{93}AA)", ("sk-ant-api03-",), "Anthropic API key."),
    _rule("huggingface-token", "huggingface", "huggingface_token",
          r"\b(?P<secret>(?:hf_|api_org_)[a-zA-Z0-9]{34})\b", ("hf_", "api_org_"), "Hugging Face token."),
    # --- Package registries and containers --------------------------------------------------
    _rule("npm-token", "npm", "npm_token", r"\b(?P<secret>npm_[a-zA-Z0-9]{36})\b", ("npm_",),
          "npm access token.", "Revoke it with `npm token revoke` or at npmjs.com → Access Tokens."),
    _rule("npm-legacy-token", "npm", "npm_token",
          rf"_authToken\s*=\s*(?P<secret>{_UUID})", ("_authtoken",), "npm legacy (UUID) token."),
    _rule("pypi-token", "pypi", "pypi_token", r"\b(?P<secret>pypi-AgE[A-Za-z0-9_-]{50,})", ("pypi-age",),
          "PyPI API token."),
    _rule("docker-pat", "docker", "docker_pat",
          r"\b(?P<secret>dckr_pat_[a-zA-Z0-9_-]{27}|dckr_oat_[a-zA-Z0-9_-]{32})(?![a-zA-Z0-9_-])",
          ("dckr_pat_", "dckr_oat_"), "Docker Hub personal or organization access token."),
    # --- Cloud and platforms ----------------------------------------------------------------
    _rule("digitalocean-token", "digitalocean", "digitalocean_token",
          r"\b(?P<secret>do[op]_v1_[a-f0-9]{64})\b", ("dop_v1_", "doo_v1_"), "DigitalOcean API token."),
    _rule("aws-access-key", "aws", "aws_access_key",
          r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b", ("akia", "asia", "abia", "acca"),
          "AWS access key ID (with its secret access key nearby).",
          "Deactivate and delete the key in IAM → Users → Security credentials; prefer SSO or roles."),
    _rule("cloudflare-api-token", "cloudflare", "cloudflare_api_token",
          r"\b(?P<secret>cf[ua]t_[a-zA-Z0-9]{40}[a-f0-9]{8})\b", ("cfut_", "cfat_"),
          "Cloudflare API token."),
    _rule("cloudflare-context-token", "cloudflare", "cloudflare_api_token",
          rf"\bCLOUDFLARE_API_TOKEN{_ASSIGN}(?P<secret>[A-Za-z0-9_-]{{40}})\b", ("cloudflare_api_token",),
          "Cloudflare API token (CLOUDFLARE_API_TOKEN)."),
    _rule("vercel-token", "vercel", "vercel_token",
          rf"\bVERCEL_(?:TOKEN|API_TOKEN){_ASSIGN}(?P<secret>[A-Za-z0-9]{{24}})\b", ("vercel_",),
          "Vercel access token."),
    _rule("supabase-pat", "supabase", "supabase_access_token", r"\b(?P<secret>sbp_[a-f0-9]{40})\b", ("sbp_",),
          "Supabase personal access token (Management API)."),
    _rule("supabase-secret-key", "supabase", "supabase_secret_key",
          r"\b(?P<secret>sb_secret_[A-Za-z0-9_-]{20,})", ("sb_secret_",),
          "Supabase secret API key (bypasses row-level security)."),
    _rule("supabase-service-role-jwt", "supabase", "supabase_service_role_jwt",
          rf"\b(?:SUPABASE_)?SERVICE_ROLE(?:_KEY)?{_ASSIGN}(?P<secret>eyJ[A-Za-z0-9_-]{{10,}}\.eyJ[A-Za-z0-9_-]{{10,}}"
          r"\.[A-Za-z0-9_-]{10,})", ("service_role",),
          "Supabase service-role key (a JWT that bypasses row-level security)."),
    _rule("heroku-token", "heroku", "heroku_token", r"\b(?P<secret>HRKU-AA[0-9a-zA-Z_-]{58})\b", ("hrku-",),
          "Heroku API token."),
    _rule("heroku-legacy-token", "heroku", "heroku_token",
          rf"\bHEROKU_API_KEY{_ASSIGN}(?P<secret>{_UUID})\b", ("heroku_api_key",), "Heroku API key."),
    _rule("fly-token", "fly", "fly_token", r"(?P<secret>\bFlyV1 fm\d+_[A-Za-z0-9+/=,_-]{40,})", ("flyv1",),
          "Fly.io macaroon token."),
    _rule("linear-api-key", "linear", "linear_api_key", r"\b(?P<secret>lin_api_[0-9A-Za-z]{40})\b",
          ("lin_api_",), "Linear API key."),
    _rule("sentry-user-token", "sentry", "sentry_user_token", r"\b(?P<secret>sntryu_[a-f0-9]{64})\b",
          ("sntryu_",), "Sentry user auth token."),
    _rule("sentry-org-token", "sentry", "sentry_org_token",
          r"\b(?P<secret>sntrys_eyJ[a-zA-Z0-9+/=]{20,400}_[a-zA-Z0-9+/]{43})", ("sntrys_",),
          "Sentry organization auth token."),
    _rule("datadog-api-key", "datadog", "datadog_api_key",
          rf"\b(?:DD|DATADOG)_API_KEY{_ASSIGN}(?P<secret>[a-f0-9]{{32}})\b", ("dd_api_key", "datadog_api_key"),
          "Datadog API key."),
    _rule("twilio-api-key", "twilio", "twilio_api_key", r"\b(?P<secret>SK[0-9a-fA-F]{32})\b", ("sk",),
          "Twilio API key SID (its secret is needed too)."),
    _rule("gcp-service-account-key", "gcp", "gcp_service_account_key",
          r'"type"\s*:\s*"service_account"[^}]*?"private_key"\s*:\s*"(?P<secret>-----BEGIN PRIVATE KEY-----'
          r'[^"]+-----END PRIVATE KEY-----(?:\\n)?)"', ("service_account",),
          "Google Cloud service-account JSON key.", flags=re.S),
    _rule("azure-client-secret", "azure", "azure_client_secret",
          r"(?<![A-Za-z0-9_~.-])(?P<secret>[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
          ("q~",), "Microsoft Entra ID (Azure AD) client secret."),
    # --- Messaging, payments ---------------------------------------------------------------
    _rule("slack-bot-token", "slack", "slack_bot_token",
          r"\b(?P<secret>xoxb-[0-9]{8,13}-[0-9]{8,13}[a-zA-Z0-9-]*)", ("xoxb-",), "Slack bot token."),
    _rule("slack-user-token", "slack", "slack_user_token",
          r"\b(?P<secret>xox[pe](?:-[0-9]{8,13}){3}-[a-zA-Z0-9-]{28,34})", ("xoxp-", "xoxe-"),
          "Slack user token."),
    _rule("slack-app-token", "slack", "slack_app_token", r"(?i)\b(?P<secret>xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)",
          ("xapp-",), "Slack app-level token."),
    _rule("slack-webhook", "slack", "slack_webhook",
          r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,80})",
          ("hooks.slack.com",), "Slack incoming webhook URL (posting to it is the only way to test it;"
          " credreach never does)."),
    _rule("stripe-live-secret", "stripe", "stripe_live_secret_key",
          r"\b(?P<secret>sk_live_[a-zA-Z0-9]{10,99})\b", ("sk_live_",), "Stripe live secret key.",
          "Roll the key in the Stripe Dashboard → Developers → API keys."),
    _rule("stripe-live-restricted", "stripe", "stripe_live_restricted_key",
          r"\b(?P<secret>rk_live_[a-zA-Z0-9]{10,99})\b", ("rk_live_",), "Stripe live restricted key."),
    _rule("stripe-test-key", "stripe", "stripe_test_key",
          r"\b(?P<secret>[sr]k_test_[a-zA-Z0-9]{10,99})\b", ("sk_test_", "rk_test_"),
          "Stripe test-mode key (no real money, but real account data in test mode)."),
    _rule("sendgrid-api-key", "sendgrid", "sendgrid_api_key",
          r"\b(?P<secret>SG\.[a-zA-Z0-9=_\-]{22}\.[a-zA-Z0-9=_\-]{43})(?![a-zA-Z0-9=_\-])", ("sg.",),
          "SendGrid API key."),
    # --- Keys and databases ----------------------------------------------------------------
    _rule("private-key", "generic", "private_key",
          r"(?P<secret>-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
          r"[\s\S]{20,16000}?-----END (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----)",
          ("private key",), "Private key.", "Replace the key pair and remove the public half everywhere."),
    _rule("postgres-url", "postgres", "postgres_url",
          r"(?P<secret>\bpostgres(?:ql)?(?:\+[a-z0-9]+)?://[^\s:/@'\"]+:[^\s@'\"/]+@[^\s'\"<>]+)",
          ("postgres",), "PostgreSQL connection URL with a password.",
          "Change the role's password (ALTER ROLE … PASSWORD) and keep the URL out of the workspace."),
    _rule("mysql-url", "mysql", "mysql_url",
          r"(?P<secret>\bmysql(?:\+[a-z0-9]+)?://[^\s:/@'\"]+:[^\s@'\"/]+@[^\s'\"<>]+)", ("mysql",),
          "MySQL connection URL with a password."),
    _rule("mongodb-url", "mongodb", "mongodb_url",
          r"(?P<secret>\bmongodb(?:\+srv)?://[^\s:/@'\"]+:[^\s@'\"/]+@[^\s'\"<>]+)", ("mongodb",),
          "MongoDB connection URL with a password."),
    _rule("redis-url", "redis", "redis_url",
          r"(?P<secret>\brediss?://[^\s:/@'\"]*:[^\s@'\"/]+@[^\s'\"<>]+)", ("redis",),
          "Redis connection URL with a password."),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}

# Token prefixes a plugin may report on their own when its regex captures only a prefix group
# (detect-secrets' GitHub and GitLab plugins do): such a value is a cut-off token, never a secret.
KNOWN_PREFIXES = frozenset({
    "ghp", "gho", "ghu", "ghs", "ghr", "github_pat", "glpat", "gldt", "glft", "glsoat", "glrt", "glcbt",
    "glptt", "glimt", "glagent", "gloas", "npm", "pypi", "sk", "rk", "xoxb", "xoxp", "xoxa", "xoxe", "xapp",
    "sg", "hf", "dckr_pat", "sbp", "sntrys", "sntryu", "lin_api", "akia", "asia", "aiza",
})

# Kinds whose value cannot be told apart from a random string without context; they come only
# from rules with context or from store parsers. Used by `credreach providers` and SARIF help.
# The first rule of a kind is its most precise one, so it describes the kind.
KIND_DESCRIPTIONS: dict[str, str] = {}
KIND_ROTATION: dict[str, str] = {}
for _rule_of_kind in RULES:
    KIND_DESCRIPTIONS.setdefault(_rule_of_kind.kind, _rule_of_kind.description)
    KIND_ROTATION.setdefault(_rule_of_kind.kind, _rule_of_kind.rotate)
# Kinds only home-store parsers produce (scanner/sources/store_parsers/).
KIND_DESCRIPTIONS.setdefault("ssh_private_key", "SSH private key without a passphrase: anyone who reads the "
                             "file can use it")
KIND_DESCRIPTIONS.setdefault("private_key_encrypted", "Private key protected by a passphrase (encrypted); "
                             "usable only with the passphrase")
KIND_DESCRIPTIONS.setdefault("aws_sso_access_token", "AWS IAM Identity Center (SSO) access token from the CLI cache")
KIND_DESCRIPTIONS.setdefault("anthropic_oauth_token", "Claude Code login (Anthropic OAuth access token)")
KIND_DESCRIPTIONS.setdefault("chatgpt_oauth_access_token", "Codex CLI ChatGPT login (OAuth access token)")


def classify_token(value: str) -> tuple[str, str] | None:
    """(provider, kind) when a rule in :mod:`scanner.detect.rules` matches the whole value.

    Store parsers use this for fields that may hold any provider's token (``.netrc`` passwords,
    ``.git-credentials``, docker auths): a ``ghp_`` token stored for git is still a GitHub PAT.
    Only self-identifying (prefixed) rules count; context rules need their context.
    """
    from scanner.detect.catalog import active_rules  # the catalog builds on this module

    value = value.strip()
    for rule in active_rules():
        if rule.provider == "generic":
            continue
        for match in rule.pattern.finditer(value):
            secret = match.groupdict().get("secret")
            if secret == value and match.start("secret") == 0:
                return rule.provider, rule.kind
    return None
