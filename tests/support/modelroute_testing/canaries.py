"""Fake credentials in the published format of every kind, each in the file syntax it usually lives in.

Values are generated from a seeded RNG so they have real entropy and no two tests share one; `leaks`
checks for any 12-character window of a secret, so a partly redacted value still counts as leaked.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

UPPER_DIGITS = string.ascii_uppercase + string.digits
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
WINDOW = 12


def rand(seed: str, alphabet: str, n: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Canary:
    kind: str
    secret: str  # what must never be sent (or any WINDOW-long part of it)
    text: str  # a line or block of a file that holds it
    file: str  # where such a line usually lives


def _pem(label: str, seed: str) -> tuple[str, str]:
    body = "\n".join(rand(seed + str(i), B64, 64) for i in range(6))
    return body, f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"


def _jwt(seed: str) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': seed, 'n': rand(seed, ALNUM, 12)})}." \
           f"{rand(seed, URLSAFE, 43)}"


def _gcp_service_account() -> Canary:
    body, _ = _pem("PRIVATE KEY", "gcp")
    key = "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n"
    doc = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": rand("gcp-id", HEX, 40),
        "private_key": key,
        "client_email": "deploy@acme-prod.iam.gserviceaccount.com",
        "client_id": "104217893274619283746",
    }
    return Canary("gcp-service-account", body.replace("\n", "\\n"), json.dumps(doc, indent=2), "gcp.json")


def _all() -> list[Canary]:
    c: list[Canary] = []

    def add(kind: str, secret: str, text: str, file: str) -> None:
        c.append(Canary(kind, secret, text, file))

    v = "AKIA" + rand("aws-id", UPPER_DIGITS, 16)
    add("aws-access-key-id", v, f"AWS_ACCESS_KEY_ID={v}", ".env")
    v = rand("aws-secret", B64, 40)
    add("aws-secret-access-key", v, f"[default]\naws_secret_access_key = {v}\n", "aws.ini")
    c.append(_gcp_service_account())
    gid = rand("gcp-id", HEX, 40)
    add("gcp-private-key-id", gid, f'"private_key_id": "{gid}",', "gcp.json")
    v = rand("azure-storage", B64, 86) + "=="
    add("azure-storage-key", v, f"AZURE_STORAGE_CONNECTION_STRING=\"DefaultEndpointsProtocol=https;"
        f"AccountName=acmeprod;AccountKey={v};EndpointSuffix=core.windows.net\"", "settings.py")
    v = rand("azure-sb", B64, 43) + "="
    add("azure-servicebus-key", v, f'conn = "Endpoint=sb://acme.servicebus.windows.net/;'
        f'SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={v}"', "bus.py")
    v = rand("azure-sas", URLSAFE, 40) + "%3D"
    add("azure-sas", v, f'SAS_URL = "https://acme.blob.core.windows.net/c?sv=2022-11-02&ss=b&srt=co'
        f'&sp=rl&se=2030-01-01T00:00:00Z&sig={v}"', "storage.py")
    v = "sk-proj-" + rand("openai-proj", URLSAFE, 56)
    add("openai-project-key", v, f'client = OpenAI(api_key="{v}")', "llm.py")
    v = "sk-" + rand("openai-legacy", ALNUM, 48)
    add("openai-legacy-key", v, f"openai.api_key = '{v}'", "legacy.py")
    v = "sk-ant-api03-" + rand("anthropic", URLSAFE, 93) + "AA"
    add("anthropic-key", v, f'const anthropic = new Anthropic({{ apiKey: "{v}" }});', "ai.ts")
    v = "sk-or-v1-" + rand("openrouter", HEX, 64)
    add("openrouter-key", v, f"OPENROUTER_API_KEY={v}", ".env.local")
    v = "sk-" + rand("deepseek", HEX, 32)
    add("deepseek-key", v, f'deepseek:\n  key: "{v}"', "models.yaml")
    v = "gsk_" + rand("groq", ALNUM, 52)
    add("groq-key", v, f'GROQ = "{v}"', "groq.py")
    v = "hf_" + rand("hf", ALNUM, 34)
    add("huggingface-token", v, f"huggingface-cli login --token {v}", "setup.sh")
    v = "xai-" + rand("xai", ALNUM, 80)
    add("xai-key", v, f'XAI_API_KEY = "{v}"', "grok.toml")
    v = "AIza" + rand("google", URLSAFE, 35)
    add("google-api-key", v, f'<meta name="maps-key" content="{v}">', "index.html")
    v = rand("mistral", ALNUM, 32)
    add("mistral-key", v, f"MISTRAL_API_KEY={v}", ".envrc")
    v = "ghp_" + rand("ghp", ALNUM, 36)
    add("github-pat-classic", v, f'git remote add origin "https://{v}@github.com/acme/app.git"', "clone.sh")
    v = "gho_" + rand("gho", ALNUM, 36)
    add("github-oauth", v, f"oauth: {v}", "hub.yml")
    v = "github_pat_" + rand("gh-fine", ALNUM, 22) + "_" + rand("gh-fine2", ALNUM, 59)
    add("github-pat-fine", v, f'{{"github": {{"token": "{v}"}}}}', "ci.json")
    v = "glpat-" + rand("gitlab", URLSAFE, 20)
    add("gitlab-token", v, f"GITLAB_TOKEN: {v}", ".gitlab-ci.yml")
    v = "xoxb-" + rand("slack-a", string.digits, 12) + "-" + rand("slack-b", string.digits, 13) + "-" \
        + rand("slack-c", ALNUM, 24)
    add("slack-bot-token", v, f'SlackClient("{v}")', "notify.py")
    v = "T" + rand("sw1", UPPER_DIGITS, 8) + "/B" + rand("sw2", UPPER_DIGITS, 8) + "/" + rand("sw3", ALNUM, 24)
    add("slack-webhook", v, f"WEBHOOK = 'https://hooks.slack.com/services/{v}'", "alerts.py")
    v = "sk_live_" + rand("stripe", ALNUM, 24)
    add("stripe-secret-key", v, f"Stripe.apiKey = '{v}';", "Pay.java")
    v = "rk_live_" + rand("stripe-rk", ALNUM, 24)
    add("stripe-restricted-key", v, f"stripe.api_key = '{v}'", "billing.rb")
    v = "whsec_" + rand("stripe-wh", ALNUM, 32)
    add("stripe-webhook-secret", v, f"endpoint_secret = '{v}'", "hooks.py")
    v = "SK" + rand("twilio-sk", HEX, 32)
    add("twilio-api-key", v, f'twilio.New("{v}")', "sms.go")
    v = rand("twilio-token", HEX, 32)
    add("twilio-auth-token", v, f"TWILIO_AUTH_TOKEN={v}", "twilio.env")
    v = "SG." + rand("sendgrid-a", URLSAFE, 22) + "." + rand("sendgrid-b", URLSAFE, 43)
    add("sendgrid-key", v, f"sg = SendGridAPIClient('{v}')", "mail.py")
    v = "npm_" + rand("npm", ALNUM, 36)
    add("npm-token", v, f"//registry.npmjs.org/:_authToken={v}", ".npmrc")
    v = rand("npm-legacy", HEX, 8) + "-" + rand("npm-legacy2", HEX, 4) + "-4" + rand("npm-legacy3", HEX, 3) \
        + "-a" + rand("npm-legacy4", HEX, 3) + "-" + rand("npm-legacy5", HEX, 12)
    add("npm-legacy-token", v, f"_auth = {v}", "npmrc")
    v = "pypi-AgEIcHlwaS5vcmc" + rand("pypi", URLSAFE, 70)
    add("pypi-token", v, f"[pypi]\n  username = __token__\n  password = {v}\n", ".pypirc")
    for label, seed in (("RSA PRIVATE KEY", "rsa"), ("EC PRIVATE KEY", "ec"),
                        ("OPENSSH PRIVATE KEY", "openssh"), ("PGP PRIVATE KEY BLOCK", "pgp"),
                        ("ENCRYPTED PRIVATE KEY", "pkcs8enc"), ("DSA PRIVATE KEY", "dsa")):
        body, block = _pem(label, seed)
        add(f"private-key-{seed}", body.splitlines()[2], f"KEY = '''\n{block}'''", f"{seed}.py")
    v = _jwt("jwt")
    add("jwt", v, f'fetch(url, {{ headers: {{ "X-Session": "{v}" }} }})', "api.js")
    v = rand("pg", ALNUM, 18)
    add("url-password-postgres", v, f'DATABASE_URL = "postgres://app:{v}@db.internal:5432/app"', "db.py")
    v = rand("redis", ALNUM, 20)
    add("url-password-redis", v, f"REDIS_URL=redis://:{v}@cache:6379/0", "redis.env")
    v = rand("mongo", ALNUM + "!*", 16)
    add("url-password-mongo", v, f"uri: mongodb+srv://admin:{v}@cluster0.mongodb.net/test", "mongo.yaml")
    v = rand("bearer", URLSAFE, 40)
    add("bearer-header", v, f"curl -H 'Authorization: Bearer {v}' https://api.acme.io/v1", "call.sh")
    # Formatless secrets assigned to secret-ish names, in each file syntax.
    v = "django-insecure-" + rand("django", ALNUM + "!@#%^&*(-_=+)", 50)
    add("assign-python", v, f"SECRET_KEY = '{v}'", "settings.py")
    v = rand("js", ALNUM, 32)
    add("assign-js", v, f"const clientSecret = \"{v}\";", "auth.js")
    v = rand("yaml", ALNUM + "_-", 28)
    add("assign-yaml", v, f"oauth:\n  client_id: acme-web\n  client_secret: {v}\n", "oauth.yaml")
    v = rand("dotenv", ALNUM, 40)
    add("assign-dotenv", v, f"SESSION_SECRET={v}", ".env.production")
    v = rand("json", HEX, 48)
    add("assign-json", v, f'{{"name": "svc", "authToken": "{v}"}}', "config.json")
    v = rand("toml", B64, 44)
    add("assign-toml", v, f'[signing]\nsigning_key = "{v}"\n', "app.toml")
    v = rand("shell", ALNUM, 24)
    add("assign-shell-export", v, f"export DATABASE_PASSWORD='{v}'", "deploy.sh")
    v = rand("go", ALNUM, 30)
    add("assign-go", v, f'apiToken := "{v}"', "main.go")
    v = "Tr0ub4dor&3x"
    add("assign-password", v, f'db.connect(user="app", password="{v}")', "conn.py")
    v = rand("kotlin", ALNUM, 26)
    add("assign-encryption-key", v, f'val ENCRYPTION_KEY = "{v}"', "Crypto.kt")
    c.extend(_issue_11())
    return c


def _issue_11() -> list[Canary]:
    """What issue 11 (class 4) found leaking: short values, keys without their frame, tokens after escapes,
    and the credential files a prompt-injected README asked for."""
    c: list[Canary] = []

    def add(kind: str, secret: str, text: str, file: str) -> None:
        c.append(Canary(kind, secret, text, file))

    add("short-dotenv-password", "k9Tz2LmQ8vXr", "DB_PASSWORD=k9Tz2LmQ8vXr", ".env")
    v = rand("short-yaml", ALNUM, 9) + "7"
    add("short-yaml-password", v, f"database:\n  password: {v}", "config.yml")
    body, _ = _pem("RSA PRIVATE KEY", "cut-begin")
    lines = body.splitlines()
    add("pem-without-begin", lines[3], "\n".join(lines[2:]) + "\n-----END RSA PRIVATE KEY-----", "key-tail.txt")
    add("pem-body-only", lines[2], "\n".join(lines[1:4]), "window.txt")
    add("pem-numbered-window", lines[4], "\n".join(f"{40 + i}| {line}" for i, line in enumerate(lines[3:])), "read.txt")
    escaped = "\\n".join(lines[1:])
    add("pem-in-json-cut", lines[3], f'{{"private_key": "{lines[0][20:]}\\n{escaped}\\n-----END PRIVATE KEY-----\\n"}}',
        "sa.json")
    v = "ghp_" + rand("after-newline", ALNUM, 36)
    add("token-after-escaped-newline", v, f'{{"log": "pushed\\n{v}"}}', "log.json")
    v = "ghp_" + rand("after-ansi", ALNUM, 36)
    add("token-after-ansi", v, f"\x1b[32m{v}\x1b[0m", "out.txt")
    v = rand("after-pct", ALNUM, 20)
    add("token-after-pct3d", v, f"GET /cb?state=x&access_token%3D{v}&y=1", "access.log")
    v = "ghp_" + rand("after-tab", ALNUM, 36)
    add("token-after-tab", v, f"token\t{v}", "table.tsv")
    v = rand("ansi-password", ALNUM, 10) + "9"
    add("password-after-ansi", v, f"DB_PASSWORD=\x1b[1m{v}\x1b[0m", "env-colored.txt")
    v = rand("git-cred", ALNUM, 14)
    add("git-credentials", v, f"https://alice:{v}@github.com", "git-credentials")
    v = "cio" + rand("cargo", ALNUM, 32)
    add("cargo-credentials", v, f'[registry]\ntoken = "{v}"', "credentials.toml")
    v = "hf_" + rand("hf-file", ALNUM, 34)
    add("huggingface-token-file", v, v, "token")
    v = rand("netrc", ALNUM, 12)
    add("netrc", v, f"machine api.example.com login alice password {v}", ".netrc")
    v = rand("pgpass", ALNUM, 12)
    add("pgpass", v, f"db.internal:5432:app:alice:{v}", ".pgpass")
    return c


CANARIES: tuple[Canary, ...] = tuple(_all())
KINDS = frozenset(x.kind for x in CANARIES)


def leaks(secret: str, text: str) -> bool:
    """True when the secret, or any WINDOW-long part of it, appears in the text."""
    if len(secret) <= WINDOW:
        return secret in text
    return any(secret[i : i + WINDOW] in text for i in range(len(secret) - WINDOW + 1))


def leaked(text: str) -> list[str]:
    return [x.kind for x in CANARIES if leaks(x.secret, text)]


# Code that names keys, tokens and passwords without holding one: the redactor must keep it as is.
ORDINARY = [
    "token = os.environ['GITHUB_TOKEN']",
    "api_key = settings.api_key",
    "password = getpass()",
    "password = getpass.getpass('Password: ')",
    "SECRET_NAME = 'prod'",
    "def get_token(self): return self._token",
    "max_tokens = 4096",
    "sort_key = lambda item: item.name",
    "cache_key = f'user:{user_id}:profile'",
    "primary_key = 'id'",
    "'price_key': 'input_mtok',",
    "const apiKey = process.env.OPENAI_API_KEY;",
    "export GITHUB_TOKEN=$(gh auth token)",
    'password: ${DB_PASSWORD}',
    'api_key: "{{ vault_api_key }}"',
    'secret_key = "changeme"',
    "TOKEN_URL = 'https://oauth2.googleapis.com/token'",
    "key_path = '/etc/ssl/private/server.key'",
    "RegOpenKeyEx = win32api.RegOpenKeyEx",
    "keep = {'keep_old_secret_active_for_24_hours': keep_old_secret_active_for_24_hours}",
    "Authorization header is sent as a bearer token on each request",
    "postgres://user:password@localhost/db",
    "if token_type == 'Bearer':",
    "hf_hub_download(repo_id, filename)",
    "auth = ('user', password)",
]


def file_with_secrets(lines: int, every: int) -> tuple[str, int]:
    """A `lines`-line file of ORDINARY code with a canary's text at every `every`-th line, cycling
    through the kinds; returns (text, number of canaries planted)."""
    ordinary = (ORDINARY * (lines // len(ORDINARY) + 1))[:lines]
    planted = 0
    for i in range(0, lines, every):
        ordinary[i] = CANARIES[planted % len(CANARIES)].text
        planted += 1
    return "\n".join(ordinary), planted
