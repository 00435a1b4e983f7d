"""Replace secret-looking values by a marker before any text leaves the machine.

Two kinds of rules. Format rules follow the published shape of each credential (AWS, Google, Azure,
GitHub, GitLab, Slack, Stripe, Twilio, SendGrid, npm, PyPI, model providers, private key blocks, JWTs,
passwords in URLs, Authorization headers); they fire wherever the value appears. The assignment rule
catches what has no format: a literal assigned to a name that says secret, token, key or password
(`NAME = "..."`, `NAME: ...`, `"name": "..."`, `export NAME=...`, `NAME := ...`), when the literal looks
like a credential (token-shaped, not a reference, a path or a placeholder, enough entropy).
A third pass finds key material without its frame: base64 lines of a PEM or OpenSSH key whose BEGIN
line was cut off by a line range, a window or a notebook output tail, also inside JSON strings (`\\n`),
behind line numbers or diff markers. Values right after an escape (`\\n`, `\\t`, `%3D`, an ANSI colour
code) count as starting a token. Files of credentials (git credentials, .netrc, .pgpass, cargo, Hugging
Face...) are covered by the format and assignment rules.
False positives cost a little context; false negatives leak a key, so doubtful values are redacted.
Redaction is idempotent: markers are never matched again.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

MARKER = "[REDACTED:{kind}]"
_MARKER_PREFIX = "[REDACTED:"


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    group: int = 0  # the group holding the secret; 0 = whole match
    verify: bool = False  # the format is loose: the value must also look like a credential
    needs: re.Pattern[str] | None = None  # a cheap search that must hit before the rule is tried
    context: Callable[[str, int], bool] | None = None  # the match must also fit its line


def _rule(
    kind: str,
    pattern: str,
    group: int = 0,
    *,
    verify: bool = False,
    needs: str | None = None,
    context: Callable[[str, int], bool] | None = None,
) -> _Rule:
    return _Rule(kind, re.compile(pattern), group, verify, re.compile(needs) if needs else None, context)


def _netrc_line(text: str, index: int) -> bool:
    """`machine HOST login USER password PASS` on one line, or `password PASS` under a `login` line."""
    line_start = text.rfind("\n", 0, index) + 1
    line = _GUTTER.sub("", text[line_start:index].lstrip(), count=1).lstrip()
    if line.startswith(("machine ", "machine\t", "default")):
        return True
    if line:
        return False
    previous = text[text.rfind("\n", 0, max(line_start - 1, 0)) + 1 : max(line_start - 1, 0)].lstrip()
    return _GUTTER.sub("", previous, count=1).lstrip().startswith(("login ", "login\t"))


_GUTTER = re.compile(r"\A(?:\d+\|[ \t]?)+")


def _rules(kind: str, prefixes: tuple[str, ...], rest: str, group: int = 0, *, verify: bool = False) -> list[_Rule]:
    """One rule per literal prefix: re finds a literal prefix fast, an alternation of them slowly."""
    return [_rule(kind, re.escape(p) + rest, group, verify=verify) for p in prefixes]


_B64 = r"[A-Za-z0-9+/]"

# Patterns start with a literal where they can: Python's re then skips ahead with a fast search, which
# makes the whole set about ten times cheaper than leading `\b`s. The word boundary before a match is
# checked in `_sub_rule` instead. Order matters where formats nest (sk-ant- before sk-).
_RULES: tuple[_Rule, ...] = (
    _rule(
        "private-key",
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
        r"-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----",
    ),
    _rule("private-key", r"PuTTY-User-Key-File-\d: [\s\S]*?(?:Private-MAC: [0-9a-f]+|\Z)"),
    _rule("aws-access-key", r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
    *_rules(
        "aws-secret-key",
        ("aws", "AWS", "Aws"),
        r".{0,24}?(?:secret|key|SECRET|KEY|Secret|Key).{0,24}?[:=>][ \t]*[\"']?(" + _B64 + r"{40})(?![A-Za-z0-9+/])",
        group=1,
    ),
    _rule("github-token", r"(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b"),
    *_rules("gitlab-token", ("glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "gloas-"),
            r"[A-Za-z0-9_\-]{20,}"),
    _rule("gitlab-token", r"GR1348941[A-Za-z0-9_\-]{20,}"),
    _rule("anthropic-key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    _rule("openai-key", r"sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_\-]{20,}"),
    *_rules("provider-key", ("gsk_", "xai-", "pplx-", "r8_", "fw_", "hf_", "nvapi-", "csk-"), r"[A-Za-z0-9_\-]{20,}",
            verify=True),
    _rule("google-api-key", r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"),
    _rule("google-oauth-secret", r"GOCSPX-[A-Za-z0-9_\-]{20,}"),
    _rule("google-oauth-token", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    _rule("slack-token", r"xox[abposre]-[A-Za-z0-9-]{10,}"),
    _rule("slack-token", r"xapp-\d-[A-Za-z0-9-]{10,}"),
    _rule("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_\-]{20,}"),
    *_rules("stripe-key", ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_"), r"[0-9a-zA-Z]{16,}\b"),
    _rule("stripe-key", r"whsec_[0-9a-zA-Z]{20,}\b"),
    *_rules("twilio-key", ("SK", "AC"), r"[0-9a-fA-F]{32}\b"),
    _rule("sendgrid-key", r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{30,64}"),
    _rule("npm-token", r"npm_[A-Za-z0-9]{36}\b"),
    _rule("npm-token", r"(?i)(_auth(?:Token)?[ \t]*=[ \t]*)([^\s\"']{8,})", group=2, verify=True),
    _rule("pypi-token", r"pypi-AgE[A-Za-z0-9_\-]{50,}"),
    *_rules(
        "azure-key",
        ("AccountKey=", "SharedAccessKey=", "SharedAccessSignature=", "AccessKey=", "accountkey=", "sig="),
        r"([A-Za-z0-9+/%_\-]{16,}={0,2})",
        group=1,
        verify=True,
    ),
    _rule("jwt", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    _rule("url-password", r"://[^\s:/@\"'`\[\]]*:([^\s@/\"'`]{3,})@", group=1, verify=True),
    _rule("netrc-password", r"password[ \t]+(\S+)", group=1, context=_netrc_line),
    _rule(
        "pgpass-password",
        r"(?m)^(?:\d+\|[ \t]?)*(?:[^:\s|]+|\*):(?:\d{1,5}|\*):(?:[^:\s]+|\*):(?:[^:\s]+|\*):(\S+)$",
        group=1,
        needs=r":(?:\d{1,5}|\*):",
    ),
    *_rules(
        "authorization",
        ("Bearer", "bearer", "BEARER", "Basic", "basic", "BASIC", "Token", "token", "TOKEN"),
        r"[ \t]+([A-Za-z0-9._~+/\-]{16,}=*)",
        group=1,
        verify=True,
    ),
)

# Names that say secret: found by keyword (a fast literal search), then grown to the whole identifier.
# A loose prefilter (it also hits "sey" or "Tass"): `_name_kind` decides. One leading character class
# with one alternation is about three times faster than an alternation of whole words in their cases.
_KEYWORD = re.compile(r"[STPKACstpkac](?:ecret|ECRET|oken|OKEN|ass|ASS|wd|WD|ey|EY|uth|UTH|red|RED)")
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_NAME_TAIL = re.compile(r"[A-Za-z0-9_.\-]*")
# After the name: its closing quote or bracket, an assignment operator, then a quoted or bare literal.
# A terminal colour code, raw or as programs print it (`\\e[`, `\\033[`, `\\x1b[`, `\\u001b[`, cat -v's `^[[`).
_ANSI = r"(?:\x1b\[[0-9;]*[A-Za-z]|\\(?:e|033|x1[bB]|u001[bB])\[[0-9;]*[A-Za-z]|\^\[\[[0-9;]*[A-Za-z])"
_VALUE = re.compile(
    r"[\"'`]?\]?[ \t]*(?P<op>:=|=>|==|=|%3[dD]|:|[ \t](?=[\"']))[ \t]*(?:" + _ANSI + r")*"
    r"(?:\"([^\"\n]*)\"|'([^'\n]*)'|`([^`\n]*)`|([^\s\"'`,;()\[\]{}\x1b\\&]+))"
)
# What may come right before a token yet still end the word before it: an escape sequence.
_ESCAPE_BEFORE = re.compile(r"(?:\\[ntrfvb0]|%[0-9A-Fa-f]{2}|" + _ANSI + r")\Z")

_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pw"})
_SECRET_WORDS = frozenset(
    {"secret", "secrets", "token", "key", "apikey", "auth", "credential", "credentials", "creds",
     "privatekey", "accesskey", "secretkey", "authtoken", "accesstoken", "clientsecret", "sas"}
) | _PASSWORD_WORDS
_NOT_SECRET_WORDS = frozenset({"public", "publishable", "tokens", "max", "count", "len", "length", "type",
                               "name", "names", "id", "path", "file", "url", "uri", "endpoint", "env",
                               "var", "field", "header", "prefix", "format", "size", "limit", "kind"})
_PLACEHOLDERS = ("changeme", "change_me", "example", "placeholder", "your_", "your-", "<", "xxxx", "****",
                 "....", "dummy", "redacted", "todo", "fixme", "replace")
_PLACEHOLDER_VALUES = frozenset({"password", "passwd", "secret", "pass", "none", "null", "true", "false",
                                 "undefined", "string", "str", "bytes", "optional", "required"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_REFERENCE = re.compile(
    r"(?:\$|%\(|\{\{|\{|os\.|env\.|process\.|settings\.|config\.|self\.|this\.|ctx\.|request\.|args\.)"
)
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_\-.~:@!#$%^&*?|]+")
_WORDISH = re.compile(r"[a-z]+(?:[._:/\- _][a-z]+)*|[A-Z]+(?:[._:/\-][A-Z]+)*|[A-Za-z][a-z]+(?:[A-Z][a-z]+)*")
_CAMEL = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _words(name: str) -> list[str]:
    return [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _CAMEL.findall(part)]


def _name_kind(name: str) -> str | None:
    """'password', 'secret' or None, from the words of an identifier."""
    words = _words(name)
    if "private" in words and "key" in words:
        return "secret"
    if not words or words[-1] in _NOT_SECRET_WORDS or "public" in words or "publishable" in words:
        return None
    joined = "".join(words)
    if any(w in _PASSWORD_WORDS for w in words) or "password" in joined or (len(words) > 1 and words[-1] == "pass"):
        return "password"
    if any(w in _SECRET_WORDS for w in words) or joined.endswith(("secret", "token", "apikey")):
        return "secret"
    return None


def _entropy(value: str) -> float:
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _looks_secret(value: str, kind: str, *, bare: bool = False, env_style: bool = False) -> bool:
    """A literal that could be a credential: not a reference, a path, a URL, a placeholder or prose.

    `kind` is "password" (short and low-entropy values count), "url" (a password inside a URL) or
    "secret" (must look random). A `bare` value is unquoted: in code that is an expression, so an
    identifier-shaped one counts only when it looks random. In an `env_style` line (`NAME=value` or
    `name: value` starting a line, as in .env, shell and YAML files) a bare value is a literal: a
    password counts at any length from 4, a secret from 6 when it has a digit.
    """
    if value.startswith(_MARKER_PREFIX) or _REFERENCE.match(value):
        return False
    lower = value.lower()
    if "://" in value or value.startswith(("/", "./", "~/", "../")) or any(p in lower for p in _PLACEHOLDERS):
        return False
    if lower in _PLACEHOLDER_VALUES or any(c.isspace() for c in value):
        return False
    entropy = _entropy(value)
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    if env_style and bare and _env_literal(value, kind, has_digit):
        return True
    if bare and _IDENTIFIER.fullmatch(value):  # a name, unless it reads like a random `.env` value
        mixed = any(re.search(r"[A-Za-z]", p) and re.search(r"\d", p) for p in value.split("_"))
        return "." not in value and bool(mixed) and len(value) >= 16 and entropy >= 3.5
    if kind == "url":
        return len(value) >= 3
    if kind == "password":
        return len(value) >= 4
    if len(value) < 10 or not _TOKEN_CHARS.fullmatch(value) or _WORDISH.fullmatch(value):
        return False
    if value.isdigit() or re.fullmatch(r"\d+(?:\.\d+)+", value):
        return False
    if has_digit and has_alpha:
        return entropy >= 3.0
    return len(value) >= 20 and entropy >= 3.5


_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
_CODE_AFTER = re.compile(r"[ \t]*[|=,)\]\[(.]")


def _env_literal(value: str, kind: str, has_digit: bool) -> bool:
    """A bare value on an env-style line: a literal unless it reads as a name (a constant, a type, a
    variable: identifiers without digits), which in code it is."""
    if _IDENTIFIER.fullmatch(value) and ("." in value or not has_digit):
        return kind == "password" and len(value) >= 12 and not _CONSTANT.fullmatch(value) and "_" not in value \
            and "." not in value
    if kind == "password":
        return len(value) >= 4
    return len(value) >= 6 and has_digit and not value.isdigit()


def redact(text: str) -> tuple[str, int]:
    """Return the text with secrets replaced by markers, and how many were replaced. Never raises."""
    count = 0
    for rule in _RULES:
        text, n = _sub_rule(rule, text)
        count += n
    text, n = _sub_key_material(text)
    count += n
    text, n = _sub_assignments(text)
    return text, count + n


def _word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] == "_")


def _token_start(text: str, index: int) -> bool:
    """A token may start here: after a non-word character, or right after an escape sequence."""
    return not _word_char(text, index - 1) or _ESCAPE_BEFORE.search(text, max(0, index - 16), index) is not None


def _sub_rule(rule: _Rule, text: str) -> tuple[str, int]:
    if rule.needs is not None and rule.needs.search(text) is None:
        return text, 0
    marker = MARKER.format(kind=rule.kind)
    boundary = rule.group == 0 and rule.kind != "private-key"  # may follow an escaped newline
    verify_kind = "url" if rule.kind == "url-password" else "secret"
    count = 0

    def replace(m: re.Match[str]) -> str:
        nonlocal count
        secret = m.group(rule.group)
        if boundary and not _token_start(text, m.start()):
            return m.group(0)
        if rule.context is not None and not rule.context(text, m.start()):
            return m.group(0)
        if _MARKER_PREFIX in secret or (rule.verify and not _looks_secret(secret, verify_kind)):
            return m.group(0)
        count += 1
        if rule.group == 0:
            return marker
        s, e = m.start(rule.group) - m.start(0), m.end(rule.group) - m.start(0)
        whole = m.group(0)
        return whole[:s] + marker + whole[e:]

    return rule.pattern.sub(replace, text), count


def _sub_assignments(text: str) -> tuple[str, int]:
    """Literals assigned to secret-ish names, found from the keyword outwards."""
    parts: list[str] = []
    done = 0  # text[:done] is already in parts
    scanned = 0  # keywords before this index belong to a name already looked at
    count = 0
    marker = MARKER.format(kind="secret-assignment")
    for hit in _KEYWORD.finditer(text):
        if hit.start() < scanned:
            continue
        start = _name_start(text, hit.start())
        tail = _NAME_TAIL.match(text, hit.end())
        end = tail.end() if tail else hit.end()
        scanned = end
        m = _VALUE.match(text, end)
        if m is None:
            continue
        group = next(g for g in range(2, 6) if m.group(g) is not None)  # group 1 is the operator
        value = m.group(group)
        kind = _name_kind(text[start:end])
        env_style = (
            m.group("op") in ("=", "%3D", "%3d", ":")
            and end == m.start("op")
            and _line_start(text, start)
            and _CODE_AFTER.match(text, m.end()) is None  # `name: Type | None`, `name=value,` are code
        )
        if kind is None or not _looks_secret(value, kind, bare=group == 5, env_style=env_style):
            continue
        if group == 5 and m.end() < len(text) and text[m.end()] in "([":
            continue  # a call or subscript, not a literal
        parts.append(text[done : m.start(group)])
        parts.append(marker)
        done = scanned = m.end(group)
        count += 1
    parts.append(text[done:])
    return "".join(parts), count


def _name_start(text: str, index: int) -> int:
    """Grow a name leftwards from a keyword, stopping at an escape (`\\nNAME` names NAME)."""
    while index > 0 and text[index - 1] in _NAME_CHARS:
        if index >= 2 and text[index - 2] == "\\" and text[index - 1] in "ntr":
            break
        index -= 1
    return index


_LINE_LEAD = re.compile(
    r"(?:^|\n|\\n|\\r|\r)[ \t]*(?:\d+\|[ \t]?)*[ \t]*(?:[+\-][ \t]*)?(?:export[ \t]+|-[ \t]+)?\Z"
)


def _line_start(text: str, index: int) -> bool:
    """Whether a name starts its line (after indentation, `export ` or a YAML `- `)."""
    return _LINE_LEAD.search(text, max(0, index - 80), index) is not None


# ---------------------------------------------------------------- key material without its frame

_B64_RUN = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")
_NEXT_LINE_B64 = re.compile(
    r"[\"',\] \t]*(?:(?:\\n|\r?\n)[\"',\[\] \t]*){1,3}(?:\d+\|[ \t]?)*(?:[+\->][ \t]*)?[\"',\[ \t]*"
    r"[A-Za-z0-9+/]{16}"
)


def _key_pair(text: str) -> bool:
    """Two wrapped lines of base64 in a row: otherwise this pass has nothing to find."""
    return any(_NEXT_LINE_B64.match(text, m.end()) for m in _B64_RUN.finditer(text))


_SEGMENT_END = re.compile(r"\\n|\r?\n")
# A line of a wrapped key: behind indentation, a read_file gutter (`12| `), a diff marker or a quote.
_FRAMED = re.compile(
    r"(?P<lead>[ \t]*(?:\d+\|[ \t]?)*(?:[+\->][ \t]*)?[\"',\[ \t]*)(?P<body>[A-Za-z0-9+/]{4,80}={0,2})"
    r"(?P<trail>[\"',\] \t]*\\?)$"
)
_FRAME_MARK = re.compile(r"(?:-----BEGIN|-----END|KEY-----|KEY BLOCK-----|PuTTY-User-Key)")
_PUBLIC_BEGIN = re.compile(r"-----BEGIN (?:CERTIFICATE|PUBLIC KEY|RSA PUBLIC KEY|PGP PUBLIC KEY BLOCK|"
                           r"X509 CRL|CERTIFICATE REQUEST|NEW CERTIFICATE REQUEST|TRUSTED CERTIFICATE|"
                           r"DH PARAMETERS|EC PARAMETERS|SSH2 PUBLIC KEY|OPENSSH PUBLIC KEY)")
# Data that is wrapped like a key but is not one: images, archives, compressed blobs.
_NOT_KEYS = ("iVBORw0KGgo", "/9j/", "R0lGOD", "UEsDB", "H4sI", "Qk", "AAAA", "PD94bWwg", "PHN2Zy", "T2dnUw",
             "SUkq", "TU0AK", "JVBERi0")


def _sub_key_material(text: str) -> tuple[str, int]:
    """Base64 lines of a key whose BEGIN line is not in the text (cut off, or never copied)."""
    if not _key_pair(text) and _FRAME_MARK.search(text) is None:
        return text, 0
    segments = _segments(text)
    bodies = [_key_line(text, start, end) for start, end in segments]
    hits = _key_runs(text, segments, bodies)
    if not hits:
        return text, 0
    marker = MARKER.format(kind="private-key")
    out: list[str] = []
    done = 0
    for start, end in hits:
        out.append(text[done:start])
        out.append(marker)
        done = end
    out.append(text[done:])
    return "".join(out), len(hits)


def _segments(text: str) -> list[tuple[int, int]]:
    """Lines, where a line also ends at an escaped newline (`\\n` inside a JSON string)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SEGMENT_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _key_line(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of a base64 key line inside the segment, if the segment is one."""
    if end - start > 120:
        return None
    m = _FRAMED.match(text, start, end)
    if m is None or m.end() != end or _MARKER_PREFIX in text[start:end]:
        return None
    return m.start("body"), m.end("body")


Span = tuple[int, int]


_GLUE = re.compile(r"[\"',\[\] \t]*")


def _key_runs(text: str, segments: list[Span], bodies: list[Span | None]) -> list[Span]:
    """Runs of key lines: two full lines (40+ characters) in a row, or one next to a key's frame.
    Segments of only quotes and commas between them (a notebook's `"...\\n",` lines) do not break a run."""
    hits: list[Span] = []
    i = 0
    while i < len(bodies):
        if bodies[i] is None:
            i += 1
            continue
        j = i
        while j < len(bodies) and (bodies[j] is not None or _glue(text, segments, bodies, j)):
            j += 1
        run = [b for b in bodies[i:j] if b is not None]
        full = [b for b in run if b[1] - b[0] >= 40 and _mixed(text[b[0]:b[1]])]
        framed = _frame_near(text, segments, i, j)
        if (len(full) >= 2 or (full and framed)) and not _public_or_data(text, segments, i, run):
            hits += _edge(text, segments, i - 1, _TAIL_B64)
            hits += [b for b in run if b[1] - b[0] >= 40 or b is run[-1]]
            hits += _edge(text, segments, j, _HEAD_B64)
        i = j
    return hits


_TAIL_B64 = re.compile(r"[A-Za-z0-9+/]{8,}={0,2}(?=[\"']?\Z)")
_HEAD_B64 = re.compile(r"\A[ \t\"']*([A-Za-z0-9+/]{8,}={0,2})")


def _edge(text: str, segments: list[tuple[int, int]], k: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """The cut-off part of a key line on the line before or after a run (`"...AAoIBAQC7\\nMIIE...`)."""
    if not 0 <= k < len(segments):
        return []
    start, end = segments[k]
    segment = text[start:end]
    if _FRAME_MARK.search(segment) or _MARKER_PREFIX in segment:
        return []
    m = pattern.search(segment)
    if m is None or not _mixed(m.group(m.lastindex or 0)):
        return []
    group = m.lastindex or 0
    return [(start + m.start(group), start + m.end(group))]


_CAMEL_WORDS = re.compile(r"(?:[A-Z][a-z]+|[0-9]+|[A-Z]{1,3}(?=[A-Z][a-z]|[0-9]|$))+")


def _glue(text: str, segments: list[Span], bodies: list[Span | None], j: int) -> bool:
    """A segment of only quotes, commas and brackets between two key lines."""
    return j + 1 < len(bodies) and bodies[j + 1] is not None and _GLUE.fullmatch(text, *segments[j]) is not None


def _mixed(body: str) -> bool:
    """Looks like encoded random bytes: every character class, high entropy, not CamelCase words."""
    if not (any(c.isdigit() for c in body) and any(c.isupper() for c in body) and any(c.islower() for c in body)):
        return False
    return len(body) < 40 or (_CAMEL_WORDS.fullmatch(body) is None and _entropy(body) >= 4.2)


_PEM_HEADER = re.compile(r"[ \t]*(?:[A-Za-z-]+: .*)?[ \t]*")


def _frame_near(text: str, segments: list[tuple[int, int]], i: int, j: int) -> bool:
    """A BEGIN line before the run (across blank and `Proc-Type:` header lines), or an END line after."""
    if j < len(segments) and _FRAME_MARK.search(text, *segments[j]):
        return True
    for k in range(i - 1, max(-1, i - 6), -1):
        start, end = segments[k]
        if _FRAME_MARK.search(text, start, end):
            return True
        if not _PEM_HEADER.fullmatch(text, start, end):
            return False
    return False


def _public_or_data(text: str, segments: list[tuple[int, int]], i: int, run: list[tuple[int, int]]) -> bool:
    """A certificate or public key whose BEGIN line is in view, or a base64 image or archive."""
    first = text[run[0][0] : run[0][1]]
    if first.startswith(_NOT_KEYS):
        return True
    for k in range(i - 1, max(-1, i - 200), -1):
        segment = text[segments[k][0] : segments[k][1]]
        if "-----BEGIN" in segment or "-----END" in segment:
            return _PUBLIC_BEGIN.search(segment) is not None
    return False
