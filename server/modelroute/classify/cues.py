"""The lexicon: weighted cues read from the instruction's wording.

Each cue is a regular expression over normalised text with a weight per category (negative weights
argue against a label) and a reason template a user can read; `{m}` is the matched text. Cues are
matched against one of three windows: the lead clause (the imperative or question that opens the
instruction), the head (first few thousand characters, where intent lives) or the body (the whole
text up to a cap, scanned only for structure such as tracebacks and bug-report sections).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from modelroute.categories import Category
from modelroute.classify.corpus import CORPUS
from modelroute.classify.prefilter import Prefilter, gram_counts, prefilter_for

M = Category.MULTI_FILE_REFACTOR
S = Category.SHELL_AUTOMATION
U = Category.UI_GREENFIELD
R = Category.CODE_REVIEW
D = Category.DEBUGGING
Q = Category.QUICK_EDIT
E = Category.EXPLAIN

Window = Literal["lead", "head", "body"]
# "@G" in a pattern: any character inside one sentence; a dot followed by a word character (a file
# name such as utils.ts) does not end the sentence.
_GAP = r"(?:[^.?!\n]|[.](?=\w))"

_ALWAYS = Prefilter()  # no known literal: always search


@dataclass(frozen=True)
class Cue:
    name: str
    pattern: re.Pattern[str]
    weights: dict[Category, float]
    reason: str
    window: Window = "head"
    topic: bool = False  # names a subject, not an intent: halved when another label has a clear intent
    prefilter: Prefilter = _ALWAYS  # literals every match contains (prefilter.py)


# How common each 4-character gram is in ordinary requests (the learned vote's corpus): the cue
# prefilter indexes each literal by its rarest gram.
_GRAM_COUNTS = gram_counts(text.lower() for _label, text in CORPUS)

_TOPICS = frozenset({
    "scheduling", "containers", "build_tools", "target", "ci", "pipeline", "servers", "permissions",
    "system_paths", "infra", "ports", "backups_logs", "env", "visual", "ui_elements", "frontend_tech",
    "from_scratch", "bug_word", "flaky", "versions", "improve", "diff_words", "security_review", "migrate",
    "callers", "shell_words", "shell_file",
    "local_scope", "plot", "concept", "edit_lead", "deploy_topic", "regressed", "puzzled",
})


def _cue(name: str, pattern: str, weights: dict[Category, float], reason: str,
         window: Window = "head") -> Cue:
    compiled = re.compile(pattern.replace("@G", _GAP), re.MULTILINE)
    return Cue(name, compiled, weights, reason, window, name in _TOPICS, prefilter_for(compiled, _GRAM_COUNTS))


# Request framings stripped before reading the lead verb ("could you please review ...").
POLITE = re.compile(
    r"^(?:(?:hey|hi|hello|ok|okay|so|now|also|then|pls|please|kindly|quick one|task)[,:!]?\s+)*"
    r"(?:(?:can|could|would|will) (?:you|u|we)(?: please| kindly)?\s+"
    r"|i(?:'d| would) like (?:you )?to\s+|i (?:want|need) (?:you )?to\s+|help me(?: to)?\s+"
    r"|let's\s+|let us\s+|your (?:task|job|goal) is to\s+|you (?:need|have|must) to\s+"
    r"|we (?:need|want|have) to\s+|i need\s+|i want\s+)?(?:please\s+)?"
)
QUESTION_START = re.compile(
    r"^(?:what|what's|whats|why|how|when|where|which|who|whose|is|are|does|do|did|can|could|should"
    r"|would|will|has|have|isn't|aren't|doesn't|don't|am i|was|were)\b"
)
# An edit asked for next to a question ("why does X return None? fix it").
EDIT_REQUEST = re.compile(
    r"(?:^|[.?!;:\n]\s*|\band\s+|\bthen\s+|\bplease\s+|\bcan you\s+|\bcould you\s+)"
    r"(?:fix|change|update|make it|rewrite|refactor|add|remove|implement|correct|patch|repair|resolve"
    r"|write|create|build|set up|install|convert|rename|move|do it|just do it|go ahead|set (?:it|that|this) up)\b"
)
# "why does my app return 404", "why is our build failing": a question about the user's own failure.
WHY_OWN = re.compile(r"^(?:why|how come|what(?:'s| is) causing|what causes)\b[^?]{0,120}?(?<!`)\b(?:my|our|this|these"
                     r"|the (?:app|build|code|script|test|tests|function|query|server|page|job|service))\b")
FAILURE_VERB = re.compile(r"\b(?:fail|fails|crash|crashes|break|breaks|error|errors|hang|hangs|freeze|freezes"
                          r"|leak|leaks|throw|throws|raise|raises|return \d{3}|returns? \d{3}|slow|stuck|empty"
                          r"|only|wrong|not|never|undefined|null|none|nan)\b")
# "is this thread-safe?", "does this component re-render too often?": a yes/no question about this code.
YES_NO_THIS = re.compile(r"^(?:[^:?\n]{0,40}:\s*)?(?:is|are|does|do|did|can|could|will|would|should|has|have"
                         r"|am i|isn't|doesn't)\b"
                         r"[^?]{0,80}?\b(?:this|these|my|our)\b")
BACKEND_WORDS = re.compile(
    r"\b(?:api|endpoint|backend|back-end|cli|command[- ]line|daemon|cron|microservice|rest|grpc"
    r"|database|db|schema|script|server|service)\b"
)

_UI_NOUN = (
    r"(?:landing page|home ?page|web ?page|web ?site|website|web ?app|single[- ]page app|page|screen"
    r"|component|dashboard|form|modal|dialog|nav ?bar|navigation|menu|sidebar|side panel|header|footer"
    r"|hero(?: section)?|layout|ui|(?:user|web|chat|admin|graphical|simple|clean|nice|modern|minimal|new|an?)"
    r" interface|front-?end|widget|cards?|portfolio|blog"
    r"|storefront|shop|store|checkout|login|sign-?up|signup|wizard|carousel|gallery|kanban|calendar"
    r"|charts?|game|clone|view|theme|template|mock-?up|animation|timeline|player|app|application"
    r"|editor|board|table|chat interface|profile|feed|slideshow|visuali[sz]ation|infographic|svg)"
)
_CREATE = (r"(?:build|create|design|make|develop|generate|code (?:me |up )?(?=an? )|implement|craft|mock ?up|prototype"
           r"|scaffold|write|produce|put together|give me|want|need)")

CUES: tuple[Cue, ...] = (
    # --- debugging: failures, errors, traces, bug-report structure
    _cue("traceback", r"traceback \(most recent call last\)|^\s+file \"[^\"]+\", line \d+",
         {D: 4.0}, "contains a Python traceback", "body"),
    _cue("stack_frames", r"^\s*at [\w$.<>\[\]/]+ ?\(?[^()\n]*:\d+(?::\d+)?\)?\s*$|^\s*#\d+ +0x[0-9a-f]+"
         r"|goroutine \d+ \[|^\s*--> [\w./-]+:\d+:\d+|^error(?:\[\w+\])?: |^\s+[\w./-]+\.(?:go|rs"
         r"|java|kt|py|js|ts|rb|cs|cpp|c):\d+",
         {D: 3.5}, "contains stack-trace frames", "body"),
    _cue("exception_colon", r"\b(?:[a-z_][\w]*\.)*[a-z_]*(?:error|exception|panic|fault)\b:\s*\S",
         {D: 3.0}, "names an error ('{m}')", "body"),
    _cue("exception_name", r"\b(?:[a-z]+(?:error|exception)|segfault|sigsegv|sigabrt|sigkill|oomkilled"
         r"|nullpointer|null pointer|nil pointer|undefined is not|cannot read propert(?:y|ies))\b",
         {D: 2.5}, "mentions an exception ('{m}')"),
    _cue("failure_words", r"\b(?:crash(?:es|ed|ing)?|broken|breaks|fails|failing|failed|failure|regression"
         r"|panics?|panicked|segmentation fault|core dumped|stack overflow|out of memory|memory leak"
         r"|leaks memory|deadlocks?|race condition|data race|infinite loop|hangs|hanging|freezes|frozen"
         r"|times? out|timing out|errors? out|throws|blows up|timed out|leak(?:s|ing)?|crashloop\w*"
         r"|disconnects?"
         r"|drops (?:the )?connection|keeps (?:crashing|restarting|failing|reconnecting)"
         r"|eating (?:memory|cpu)"
         r"|white screen|blank (?:page|screen)|nothing happens|has no effect|stuck)\b",
         {D: 2.5}, "describes a failure ('{m}')"),
    _cue("bug_word", r"\b(?:bug|bugs|buggy|glitch|glitchy|problem|error|errors|exception|warning)\b"
         r"(?!\s+(?:messages?|handling|handlers?|codes?|pages?|states?|boundar\w+|types?|classe?s?|toasts?))",
         {D: 1.0}, "mentions '{m}'"),
    _cue("not_working", r"\b(?:doesn't|does not|don't|do not|isn't|is not|won't|will not|can't|cannot"
         r"|can not|not|never|no longer|stopped|stops)\s+(?:\w+\s+)?(?:work|working|load|loading|render"
         r"|rendering|compile|compiling|start|starting|run|running|return|returning|save|saving|update"
         r"|updating|show|showing|display|displaying|connect|connecting|respond|responding|build|building"
         r"|trigger|triggering|fire|firing|close|closing|open|opening|persist|found|recogni[sz]ed|log in|sign in"
         r"|login|be set|set|select|click|scroll|type|tap|submit)\b",
         {D: 2.5}, "says something does not work ('{m}')"),
    _cue("wrong_result", r"\b(?:wrong|incorrect(?:ly)?|unexpected(?:ly)?|off by one|off-by-one"
         r"|not as expected|unstable|non-?deterministic|swap places|flicker\w*|jumps to|stale"
         r"|out of order|in the wrong order|exactly double|twice as|duplicat\w* (?:rows|entries|items)"
         r"|(?:returns?|returning|got|getting|throws?) (?:an? )?(?:http )?[45]\d\d\b"
         r"|takes \d+ ?(?:s|sec|seconds|minutes)\b|performance regression|(?:much |very )?slower"
         r"|inconsistent|resets? to|on every (?:page )?(?:refresh|reload|restart)|even though"
         r"|even when|whenever|every time i|corrupt(?:ed|s)?|garbled"
         r"|duplicated? rows|dropping rows|drops rows|missing rows"
         r"|returns? (?:none|null|undefined|nil|nan|empty|an empty|zero|0|false|the wrong)"
         r"|(?:is|are|gets?|becomes?) (?:none|null|undefined|nil|nan))\b",
         {D: 2.0}, "reports a wrong result ('{m}')"),
    _cue("report_sections", r"\b(?:expected (?:behaviou?r|result|output|outcome)|actual (?:behaviou?r|result"
         r"|output|outcome)|steps to reproduce|to reproduce|repro(?:duction)? steps|minimal reproduc\w*"
         r"|describe the bug|bug report|current behaviou?r|observed behaviou?r|error log|stack ?trace"
         r"|^\W*error messages?\W*$)\b",
         {D: 3.0}, "reads like a bug report ('{m}')", "body"),
    _cue("fix_request", r"\b(?:fix|fixes|fixing|repair|resolve|patch)\b(?!\s+(?:the\s+|a\s+|this\s+|any\s+)?"
         r"(?:typos?|spelling|indentation|formatting|format|lint|import order|imports|naming|wording"
         r"|(?:merge )?conflicts|import paths?|imports?|callers|call sites|references|paths"
         r"|scripts? (?:in|that|which)\b))",
         {D: 2.5}, "asks to fix something ('{m}')"),
    _cue("debug_verbs", r"\b(?:debug(?!\s+(?:level|logs?|logging|messages?|mode|output|flag|build|print\w*))"
         r"(?<!to debug)|debugging(?!\s+(?:statements?|prints?|output|code|logs?|helpers?|calls?))"
         r"|diagnose|troubleshoot|investigate|root cause|figure out why"
         r"|find out why|find (?:why|where|what) |find the cause|track down|work out why"
         r"|why is (?:it|this) (?:failing|crashing|slow)"
         r"|what(?:'s| is) causing|track (?:it |this |that )?down|find the (?:leak|bug|culprit|problem)"
         r"|what broke|what(?:'s| is| was) broken|where (?:is|are) [^?.!\n]{0,30}leaking"
         r"|get (?:this|it) to (?:compile|work|run|build|pass))\b",
         {D: 3.0}, "asks to find a cause ('{m}')"),
    _cue("failing_tests", r"\b(?:failing|failed|broken|flaky|red) (?:unit )?(?:tests?|specs?|build|ci"
         r"|pipeline"
         r"|job|check)s?\b|\btests? (?:fail|fails|failing|are failing|is failing|broke)\b",
         {D: 2.5}, "a failing test or build ('{m}')"),
    _cue("exit_code", r"\b(?:exit(?:s|ed)? (?:with )?(?:code|status) [1-9]\d*|killed by (?:the )?oom"
         r"|oom[- ]?kill\w*|non-zero exit|returned non-zero|exit code"
         r" [1-9]|status code 5\d\d|http 5\d\d|500 internal server error)\b",
         {D: 2.5}, "a failing exit status ('{m}')"),
    _cue("i_get_error", r"\b(?:i(?:'m| am) getting|i get|i got|i see|i'm seeing|we get|we see|gives me|shows)"
         r" (?:an? |the |this |following )?(?:error|exception|crash|warning|stack ?trace|traceback|segfault"
         r"|panic|blank|nothing|404|500)",
         {D: 2.5}, "reports getting an error"),
    _cue("flaky", r"\b(?:sometimes|intermittent(?:ly)?|flaky|randomly|occasionally|under load|only on"
         r"|only in production|used to work|stopped working|after upgrading|after updating|since upgrading"
         r"|since version|worked in)\b",
         {D: 1.5}, "intermittent or regressed behaviour ('{m}')"),
    _cue("versions", r"^\s*[-*]?\s*(?:version|os|python|node|browser|platform|environment|package version"
         r"|operating system|\w+ version)\s*[:=]\s*\S",
         {D: 1.5}, "lists environment versions, as a bug report does", "body"),
    _cue("typo_fix", r"\bfix(?:ing)? (?:the |a |this |any |all )?(?:typos?|spelling|indentation|formatting"
         r"|wording)\b",
         {Q: 3.0, D: -2.0}, "a cosmetic fix ('{m}')"),
    # --- shell automation: terminal, build, CI, containers, servers, scheduling
    _cue("script_request", r"\b(?:write|create|make|give me|need|want|add|put together|generate|have|provide)\b@G{0,40}"
         r"\b(?:script|one-liner|cron ?job|crontab entry|alias|systemd unit|service file|hook)\b",
         {S: 3.5}, "asks for a script or job ('{m}')"),
    _cue("shell_words", r"\b(?:bash|zsh|fish shell|shell|powershell|terminal|command[- ]line|one-liner"
         r"|shell script|script)\b",
         {S: 2.0}, "shell or terminal wording ('{m}')"),
    _cue("scheduling", r"\b(?:cron(?:tab)?|cron ?jobs?|systemd|systemctl|launchd|supervisord?|daemon"
         r"|every (?:night|day|morning|hour|minute|week|month|\d+ (?:minutes|hours|seconds|days))"
         r"|nightly|hourly|daily|weekly|older than \d+\s*(?:days|hours|weeks|minutes)|logrotate)\b",
         {S: 3.0}, "scheduling or system services ('{m}')"),
    _cue("containers", r"\b(?:docker(?:file)?|docker-compose|docker compose|compose file|containers?"
         r"|containeri[sz]e|dockeri[sz]e|kubernetes|k8s|kubectl|helm|podman|multi-stage|base image"
         r"|docker image|container image|image size|registry)\b",
         {S: 3.0}, "containers ('{m}')"),
    _cue("build_tools", r"\b(?:makefile|make target|make targets|cmake|autotools|configure script|gcc|clang"
         r"|g\+\+|kernel modules?|kernel headers|compile|compiles|compiling|compiler|linker"
         r"|build from source|from source|cargo build"
         r"|go build|mvn|maven|gradle|bazel|msbuild|ninja|webpack config|vite config|build step"
         r"|build system)\b",
         {S: 2.5}, "build tooling ('{m}')"),
    _cue("target", r"\b(?:target|targets|recipe|phony)\b", {S: 1.0}, "mentions a build target"),
    _cue("ci", r"\b(?:ci|ci/cd|cicd|continuous integration|github actions?|gitlab[- ]ci|jenkins(?:file)?"
         r"|circleci|travis|azure pipelines|buildkite|build matrix|workflow file|pre-commit|git hooks?)\b",
         {S: 3.0}, "CI/CD ('{m}')"),
    _cue("pipeline", r"\b(?:pipeline|workflow|matrix|job|jobs|runner|artifacts?|caches? (?:pip|npm|deps"
         r"|dependencies))\b", {S: 1.0}, "pipeline wording ('{m}')"),
    _cue("servers", r"\b(?:nginx|apache2?|httpd|caddy|haproxy|traefik|reverse proxy|load balancer|ssl|tls"
         r"|https certificate|certbot|let's encrypt|letsencrypt|firewall|iptables|ufw|dns|ssh|sshd|rsync"
         r"|scp|sftp|ftp server|samba|nfs|vpn|wireguard|openvpn|redis server|postgres server"
         r"|mysql server|web server|mail server|smtp server|git server|ssh keys?)\b",
         {S: 3.0}, "server set-up ('{m}')"),
    _cue("packages", r"\b(?:apt(?:-get)?|yum|dnf|apk add|brew|homebrew|pacman|pip install|pipx|npm install"
         r"|yarn add|pnpm add|conda|virtualenv|venv|pyenv|nvm|rustup|package manager|dependencies installed"
         r"|install(?:ed|ing|s)?)\b",
         {S: 2.5}, "installing software ('{m}')"),
    _cue("sysadmin_verbs", r"\b(?:set ?up|setup|configure|provision|automate|mount|partition|spin up|tear down"
         r"|migrate the server)\b|^(?:deploy|host|schedule|restart|reboot|publish|release|ship)\b",
         {S: 2.0}, "system set-up wording ('{m}')"),
    _cue("env", r"\b(?:environment variables?|env vars?|\$path|path variable|\.bashrc|\.zshrc|\.profile"
         r"|dotfiles?|shebang|stdin|stdout|stderr|exit code|pipe (?:it|the output)|redirect|git config"
         r"|configure git|gpg|ssh keys?|default branch)\b",
         {S: 2.5}, "shell environment ('{m}')"),
    _cue("permissions", r"\b(?:chmod|chown|sudo|sudoers|non-root|root user|run as root|user and group"
         r"|file permissions|ulimit|selinux|apparmor)\b",
         {S: 2.5}, "system permissions ('{m}')"),
    _cue("unix_tools", r"\b(?:grep|sed|awk|xargs|jq|curl|wget|tar|gzip|gunzip|unzip|bzip2|zstd|nohup|tmux"
         r"|pkill|lsof|netstat|htop|journalctl|dmesg|find \. |ps aux|df -h|du -sh|tail -f|ffmpeg"
         r"|imagemagick|openssl|git bisect|git rebase|git submodule|git lfs)\b",
         {S: 3.0}, "Unix tools ('{m}')"),
    _cue("system_paths", r"(?<![\w.])(?:/etc|/var|/usr|/opt|/tmp|/home|/srv|/root|/mnt|/app|/data|/dev|~)"
         r"/[\w.*-]",
         {S: 2.5}, "system paths ('{m}')"),
    _cue("dir_files", r"\b(?:all |the |every )?files in (?:the |this |a "
                      r"|that )?(?:current )?(?:directory|folder|dir)\b",
         {S: 2.5}, "works on files in a directory ('{m}')"),
    _cue("infra", r"\b(?:terraform|ansible|vagrant|cloudformation|pulumi|ec2|s3 bucket|aws cli|gcloud"
         r"|azure cli"
         r"|vm|virtual machine|raspberry pi|vps|droplet|cluster|node pool|heroku|fly\.io|vercel deploy"
         r"|netlify deploy)\b",
         {S: 2.5}, "infrastructure ('{m}')"),
    _cue("ports", r"\bport \d{2,5}\b|\blisten(?:s|ing)? on\b|\blocalhost:\d+|\b0\.0\.0\.0\b",
         {S: 1.5}, "network ports ('{m}')"),
    _cue("services", r"\b(?:start|stop|restart|reload|enable|run)s? (?:the )?(?:service|server|daemon"
         r"|container|process|worker|agent)\b",
         {S: 2.5}, "service control ('{m}')"),
    _cue("backups_logs", r"\b(?:pg_dump|pg_restore|mysqldump|database dump|dumps|backups?|restore|log files?"
         r"|logs|disk space|disk usage|free space|space (?:was )?saved|archive|rotate)\b",
         {S: 2.0}, "files, logs or backups ('{m}')"),
    _cue("run_tools", r"\b(?:runs?|running|execute|invoke)s? (?:the )?(?:tests?|test suite|linters?|ruff|mypy"
         r"|eslint|pytest|npm|make|tox|nox|benchmarks?)\b",
         {S: 1.5}, "runs tools ('{m}')"),
    # --- ui greenfield: creating interfaces, visual design
    _cue("create_ui", r"\b" + _CREATE + r"\b(?:(?!\b(?:out of|into|in the|inside|from|follows?|within|of the"
         r"|at the|csv|tsv|json|jsonl|parquet|sqlite)\b)@G){0,60}?(?<![/.])\b" + _UI_NOUN + r"\b(?![/.]\w)"
         r"(?!\s+(?:size|sizes|number|count|limit|title|load|views|break|width|height|handlers?|logic|layers?"
         r"|code|data|validation|state|tests?|schema|service|adapters?|submissions?|fields? validation|wait|work|run"
         r"|start|use|read|load|handle|connect|stop|support|accept|crash\w*)\b)",
         {U: 3.5}, "asks to create a UI ('{m}')"),
    _cue("new_ui", r"\b(?:new|fresh|blank|standalone|simple|interactive|responsive)\s+(?:\w+\s+|\"q\"\s+)?"
         r"(?:page|screen|view|component|dashboard|app|site|website|layout|landing page|ui|modal|widget"
         r"|form|game)\b",
         {U: 2.5}, "a new interface ('{m}')"),
    _cue("clone", r"\b[a-z0-9]+ clone\b|\bclone of\b|\blike (?:spotify|netflix|airbnb|twitter|instagram"
         r"|youtube|trello|notion|slack|uber)\b",
         {U: 3.0}, "a clone of a known product ('{m}')"),
    _cue("visual", r"\b(?:responsive|mobile[- ]friendly|mobile-first|sleek|beautiful|elegant|minimalist"
         r"|minimal design|clean design|stylish|animated|animations?|transitions|hover effects?|gradients?"
         r"|glassmorphism|neumorphism|dark mode|light mode|color scheme|colou?r palette|palette|typography"
         r"|fonts?|tailwind|css|scss|bootstrap|material ui|mui|shadcn|chakra|styled-components|figma"
         r"|pixel|look and feel|look (?:warm|modern|nice|good|great|clean|professional)|modern|aesthetic"
         r"|visually|eye-catching|polished|parallax|hero image|background image)\b",
         {U: 2.0}, "visual design wording ('{m}')"),
    _cue("ui_elements", r"\b(?:drag and drop|drag-and-drop|buttons?|dropdowns?|tabs|tooltips?|sliders?"
         r"|progress bar|input fields?|checkbox(?:es)?|search bar|infinite scroll|pagination|avatars?"
         r"|icons?|navbar|sidebar|modal|toast|spinner|accordion|stepper|toggle|switch|cards|grid|hero"
         r"|contact form|sign-?up form|login form|landing|ui|ux)\b",
         {U: 1.5}, "UI elements ('{m}')"),
    _cue("frontend_tech", r"\b(?:html|html5|jsx|tsx|react|vue|svelte|angular|next\.?js|nuxt|solidjs|flutter"
         r"|swiftui|jetpack compose|canvas|svg|three\.js|p5\.js|webgl|d3|chart\.js|recharts|framer motion"
         r"|single html file|in (?:the|a|your) browser)\b",
         {U: 1.5}, "front-end technology ('{m}')"),
    _cue("from_scratch", r"\b(?:from scratch|greenfield|empty page|blank page|starter page)\b",
         {U: 1.5}, "built from nothing ('{m}')"),
    # --- code review: judge, report, no edits
    _cue("review_verbs", r"\b(?:review|code review|audit|critique|critici[sz]e|assess|evaluate|vet"
         r"|sanity[- ]check|double[- ]check|proofread|grade|rate (?:this|my|the|our|these))\b",
         {R: 3.5}, "asks for a review ('{m}')"),
    _cue("look_over", r"(?<!to )(?<!it )(?<!which )(?<!that )\b(?:look|go|read|glance) (?:over|through)\b"
         r"|\btake a look at\b|\bhave a look\b"
         r"|\bcheck (?:this|my|the|these|over)\b|\bcheck (?:if|whether) (?:this|my|the|our|there)\b"
         r"|\bcheck (?:it|them|this|that|these) for\b",
         {R: 2.5}, "asks to look the code over ('{m}')"),
    _cue("feedback", r"\b(?:(?:your|some|any|quick|honest|early|initial|general) feedback|feedback (?:on|about"
         r"|please|welcome|appreciated)|^feedback|thoughts on|your opinion|second pair of eyes|second opinion|nitpicks?"
         r"|lgtm|comments on|suggestions? for improvement|red flags?"
         r"|what do you think (?:of|about)|(?:would you|you'?d) do differently"
         r"|anything (?:off|wasteful|risky|suspicious|wrong)|anything i(?:'ve)? missed"
         r"|did i miss anything)\b",
         {R: 3.0}, "asks for feedback ('{m}')"),
    _cue("list_problems", r"\b(?:point out|spot|flag|identify|list|find|catch|report|highlight|enumerate"
         r"|any)\b@G{0,40}?\b(?:problems|issues|bugs|mistakes|code smells?|smells|vulnerabilit(?:y|ies)"
         r"|flaws|risks|concerns|anti-?patterns|weaknesses|edge cases|pitfalls|gotchas|security holes"
         r"|race conditions|deadlocks|leaks|injection|violations|anything (?:wasteful|wrong|risky))\b",
         {R: 3.5}, "asks to list problems ('{m}')"),
    _cue("judgement", r"\b(?:is|are|does|do)\s+(?:this|these|it|my|the|our|that)\b[^?.!\n]{0,50}?\b(?:safe"
         r"|thread-?safe|secure|correct|right|ok|okay|fine|good|idiomatic|efficient|performant|readable"
         r"|clean|maintainable|production[- ]ready|robust|vulnerable|reasonable|acceptable|sound"
         r"|well[- ]written|well[- ]designed|follow best practices)\b"
         r"|\b(?:is|are) (?:this|that|it|these|those) (?:an? |really an? )?(?:memory leak|leak|race(?: condition)?|bug"
         r"|anti-?pattern|code smell|bad practice|good practice|good idea|bad idea|overkill|security risk"
         r"|vulnerability|problem|mistake)\b"
         r"|\b(?:is|are) there (?:an? |any )?@G{0,30}?\b(?:risks?|bugs?|problems?|issues?|vulnerabilit\w+|leaks?"
         r"|race conditions?|injection|flaws?)\b@G{0,30}?\b(?:in|with) (?:this|my|the|our|these)\b",
         {R: 3.0, E: -1.0}, "asks for a judgement ('{m}')"),
    _cue("problems_seen", r"\bwhat (?:problems|issues|bugs|risks) (?:do|can|would) you (?:see|spot|find)\b",
         {R: 3.5}, "asks what problems there are ('{m}')"),
    _cue("code_question", r"^(?:is|are|does|do|will|would|could|can|should) (?:this|these|my|the|our) "
         r"(?:\w+ )?(?:code|function|method|class|component|module|implementation|query|script|approach"
         r"|design|regex|tests?|logic|handler|migration|config|manifest|pr|change|diff|contract|parser)\b",
         {R: 2.0, E: -0.5}, "a yes/no question about this code ('{m}')", "lead"),
    _cue("edge_cases", r"\bhandles? (?:all )?(?:the )?(?:edge|corner) cases\b|\bare there any\b",
         {R: 2.0}, "asks whether the code holds up ('{m}')"),
    _cue("improve", r"\b(?:anything wrong|what'?s wrong with (?:this|my) (?:code|approach|design)"
         r"|could be improved|can be improved|what would you (?:change|improve)|how can i improve"
         r"|better way to write|is there a better|good practice|best practices?|code quality|readability"
         r"|naming|style issues)\b",
         {R: 2.0}, "asks how good the code is ('{m}')"),
    _cue("diff_words", r"\b(?:diff|pr|pull request|merge request|patch|my changes|this change|these changes"
         r"|the changes|changeset|this commit|my commit|before (?:i|we) (?:merge|push|commit|ship|submit"
         r"|ask|send))\b",
         {R: 2.0}, "refers to a change set ('{m}')"),
    _cue("security_review", r"\b(?:security (?:problems|issues|holes|review|audit|flaws)"
         r"|vulnerabilit(?:y|ies)"
         r"|sql injection|xss|csrf|owasp|secrets? (?:leak|exposed))\b",
         {R: 2.0}, "security assessment ('{m}')"),
    _cue("no_edit", r"(?:(?:^|[.!?;:,(\n-]\s*|\b(?:please|and|but|just|so|you|u|then|yet|i|we)\s+)"
         r"(?:don'?t|do not|no need to|never)|\bwithout)\s+(?:\w+\s+)?(?:change|changing|modify"
         r"|modifying|edit|editing|touch|touching|rewrite|rewriting|fix|fixing|apply|applying)\b"
         r"(?!\s+(?:the\s+|its\s+|any\s+)?(?:behaviou?r|functionality|semantics|public api|api|output|logic"
         r"|results?|interface|what (?:it|they|the \w+) (?:does|do)|how (?:it|the \w+) (?:looks|works|behaves)))"
         r"|\bno (?:code )?(?:edits|changes)\b(?! (?:inside|in|to) the (?:package|module|library|logic))"
         r"|\bjust (?:list|tell|report|comment"
         r"|point|flag|explain|describe|answer)\b|\bonly (?:list|report|comment|flag|describe)\b",
         {R: 2.5, E: 1.5, Q: -1.5, M: -1.5, D: -1.5, U: -1.5, S: -1.0}, "asks for no changes ('{m}')"),
    # --- multi-file refactor: restructure across files, keep behaviour
    _cue("refactor", r"\b(?:refactor|refactoring|refactored|re-architect|rearchitect)\b",
         {M: 3.0}, "asks to refactor ('{m}')"),
    _cue("rename_to", r"\brename\b(?!\s+(?:all\s+)?(?:the\s+|these\s+|my\s+)?(?:\w+\s+)?(?:files|images|photos|folders"
         r"|directories|pictures|videos|branch|remote)\b)@G{0,60}?\bto\b", {M: 2.5}, "a rename ('{m}')"),
    _cue("cross_file", r"\b(?:everywhere|across (?:the |all |every |multiple |several |our )?(?:code ?base"
         r"|project|repo(?:sitory)?|files|modules|packages|services|app|application|components|layers"
         r"|front-?end|back-?end|monorepo|workspace|solution)"
         r"|throughout (?:the )?(?:code ?base|project|app|repo)|every (?:file|module|caller|call site|usage"
         r"|place|occurrence|component|service|endpoint)|all (?:the )?(?:files(?! in (?:the |this |a )?(?:current )?"
         r"(?:directory|folder|dir)| in /| under /)|modules|callers|call sites"
         r"|usages|occurrences|references|imports|places|components|services|endpoints|handlers"
         r"|controllers|packages|tests that use)|project-wide|codebase-wide|repo-wide|whole (?:code ?base"
         r"|project|repo)|entire (?:code ?base|project|repo|app)|multiple files|several files)\b",
         {M: 3.0}, "cross-file scope ('{m}')"),
    _cue("move", r"\b(?:move|moving|relocate)\b@G{0,50}?\b(?:into|to|out of|from)\b@G{0,40}?"
         r"(?:\b(?:module|file|package|folder|directory|class|service|layer|namespace|crate|library)\b"
         r"|\.(?:py|ts|tsx|js|jsx|go|rs|java|rb|cs|kt|swift|php)\b)",
         {M: 3.0}, "moves code between files ('{m}')"),
    _cue("extract", r"\b(?:extract|pull out|factor out|break out|separate)\b@G{0,50}?\b(?:into|to|as)\b"
         r"@G{0,30}?\b(?:modules?|files?|packages?|classe?s?|services?|library|libraries|components?"
         r"|hooks?|base class|interfaces?|layers?|crates?|microservices?)\b",
         {M: 3.0}, "extracts code into its own unit ('{m}')"),
    _cue("split", r"\bsplit\b@G{0,50}?\b(?:into|across|by)\b", {M: 3.0}, "splits code up ('{m}')"),
    _cue("abstraction", r"\b(?:introduce|add|create|define|extract)\b@G{0,30}?\b(?:interface|abstraction"
         r"|abstract (?:base )?class|base class|protocol|trait|facade|adapter|repository pattern"
         r"|dependency injection|service layer|strategy pattern|factory)\b",
         {M: 3.0}, "introduces an abstraction ('{m}')"),
    _cue("restructure", r"\b(?:decouple|restructure|reorgani[sz]e|modulari[sz]e|consolidate|deduplicate"
         r"|dry (?:it |this )?up|untangle|layered architecture|clean architecture|hexagonal|circular"
         r" (?:imports?|dependenc\w+)|dependency injection|inject (?:the )?dependenc\w+|monolith"
         r"|stop depending on|depend on an? interface|tightly coupled|god class|separation of concerns"
         r"|single responsibility|by concern|shared (?:module|package|library))\b",
         {M: 3.0}, "restructures the design ('{m}')"),
    _cue("migrate", r"\b(?:migrate|port|convert|switch|move)\b@G{0,50}?\bfrom\b@G{0,40}?\bto\b",
         {M: 1.5}, "a migration ('{m}')"),
    _cue("replace_all", r"\b(?:replace|update|change|convert|rename)\b@G{0,40}?\b(?:all|each|every)\b"
         r"(?!\s+(?:the\s+)?(?:\w+\s+)?(?:files|images|photos|pictures|videos|logs)\b)",
         {M: 2.0}, "changes every occurrence ('{m}')"),
    _cue("callers", r"\b(?:callers?|call sites?|usages|imports|importers|dependents|references|signature)\b",
         {M: 1.5}, "touches callers ('{m}')"),
    _cue("keep_behaviour", r"\b(?:without changing (?:the |its |any )?(?:behaviou?r|functionality|semantics"
         r"|public api|api|output|logic)|behaviou?r[- ]preserving|no functional changes?|keep (?:the )?"
         r"(?:behaviou?r|api) (?:the same|identical|unchanged)"
         r"|(?:behaviou?r|output|api|results?|responses?|functionality|semantics|values?|props|rendered output)"
         r" (?:should|must|will|need to|needs to|has to) (?:stay|remain|be|keep)(?: exactly)? (?:the same|unchanged"
         r"|identical)|no (?:functional|behaviou?ral|logic|user-visible) changes?(?: intended)?"
         r"|nothing (?:else )?should change|(?:it'?s )?(?:a )?pure rename|(?:it'?s )?just a rename"
         r"|same (?:responses|queries|output|behaviou?r)|byte-for-byte|pass(?:ing)? unchanged)\b",
         {M: 2.5}, "keeps behaviour ('{m}')"),
    # --- quick edit: small local changes
    _cue("add_small", r"\b(?:add|write|generate|include|put|insert)\b@G{0,30}?\b(?:docstrings?"
         r"|doc ?comments?|jsdoc|javadoc|comments?|type hints?|type annotations?|annotations?|types|typing"
         r"|logging|log (?:line|statement|message)s?|a log|print statements?|default (?:value|argument)s?"
         r"|(?:optional |keyword |new |extra )?(?:parameter|param|argument|arg|field|property|attribute"
         r"|flag|kwarg|prop|option)s?|assertions?|guard clauses?|null checks?|(?:input )?validation|return types?"
         r"|constants?|enum (?:value|member)s?|test cases?|unit tests?|a test|tests for|error handling"
         r"|try[/ ]except|try/catch|retry|timeout|caching|memoi[sz]ation|a check|an? (?:if|else) branch)\b",
         {Q: 3.0}, "a small additive change ('{m}')"),
    _cue("small_function", r"\b(?:write|add|implement|create|make|code)\b@G{0,25}?\b(?:an? |the )?"
         r"(?:small |simple |quick |little |helper |utility |pure |tiny )?(?:function|method|helper|util"
         r"|utility|lambda|getter|setter|property|regex|regular expression|class method|decorator"
         r"|comparator|validator|predicate)\b",
         {Q: 2.5}, "asks for a small function ('{m}')"),
    _cue("local_rewrite", r"\b(?:turn|convert|rewrite|change|make|replace|use)\b@G{0,30}?\b(?:loop"
         r"|list comprehension|comprehension|f-?strings?|ternary|switch statement|match statement"
         r"|map|filter|reduce|async|await|arrow functions?|const|dataclass|enum|generator|one line"
         r"|early returns?|guard clause|pathlib|with statement|context manager|string formatting)\b",
         {Q: 2.5}, "a local rewrite ('{m}')"),
    _cue("tidy", r"\b(?:simplify|tidy(?: up)?|clean (?:this |it |that |the code |things )?up|cleanup|clean-up"
         r"|make (?:this|it) (?:cleaner|shorter|more readable|more pythonic|more idiomatic|idiomatic"
         r"|pythonic|concise|faster|clearer|simpler)|reformat|prettify|sort (?:the )?imports|remove unused"
         r"|dead code|unused imports?|unused variables?|inline (?:the|this|it|that)|shorten|polish)\b",
         {Q: 2.5}, "a tidy-up ('{m}')"),
    _cue("local_scope", r"\b(?:this|the|that|these) (?:function|method|loop|line|lines|block|snippet"
         r"|expression|condition|selection|selected code|variable|constructor|regex|query|statement"
         r"|if statement|call|return value|string|constant|docstring|comment)\b",
         {Q: 1.0}, "local scope ('{m}')"),
    _cue("tweak_value", r"\b(?:increase|decrease|bump|raise|lower|change|set|update|make)\b@G{0,30}?"
         r"\b(?:timeout|limit|default|threshold|retries|retry count|max\w*|min\w*|size|value|to \d+"
         r"|optional|configurable|private|public|static|immutable|nullable|generic|case-insensitive"
         r"|case insensitive)\b",
         {Q: 2.0}, "tweaks a value or signature ('{m}')"),
    _cue("plot", r"\b(?:plot|histogram|scatter ?plot|bar chart|line plot|heatmap|visuali[sz]e|pivot|groupby"
         r"|group by|dataframe|data frame|pandas|matplotlib|seaborn|column|columns)\b",
         {Q: 1.5}, "a data-analysis step ('{m}')"),
    _cue("rename_local", r"\brename (?:this |the )?(?:variable|var|local|parameter|argument|field)\b"
         r"|\brename (?:this |the )?(?:zz |\w+ )(?:variable|var|local|param|parameter|argument|kwarg)\b"
         r"|\brename\b@G{0,40}?\bin (?:this|the) (?:function|method|file|block|loop|class|snippet)\b",
         {Q: 2.5, M: -1.5}, "a local rename ('{m}')"),
    _cue("edit_lead", r"^(?:add|change|update|make|set|use|replace|remove|delete|rename|convert|turn|wrap"
         r"|implement|write|insert|append|return|handle|increase|decrease|bump|support|allow|accept|raise"
         r"|throw|log|skip|ignore|validate|ensure|guard|cache|memoi[sz]e|limit|cap|clamp|round|format|parse"
         r"|sort|filter|trim|strip|escape|encode|decode|extract|inline|swap|reverse|normalize)\b",
         {Q: 1.0}, "an edit request ('{m}')", "lead"),
    # --- explain: questions and requests for words
    _cue("explain_verbs", r"\b(?:explain(?!\s+(?:shows|output|analy[sz]e|plan|says))|(?<!the )explanation"
                          r"|walk me through|help me understand|eli5"
         r"|break (?:it|this)"
         r" down|what does [^?.!\n]{0,60}?(?:do|mean|return|accept|reject)|how does [^?.!\n]{0,60}?"
         r"(?:work|get|happen|handle|decide|differ|compare)"
         r"|how (?:do|does|is|are) [^?.!\n]{0,60}?\b(?:differ(?:ent)?|compare)"
         r"|what(?:'s| is) the (?:difference|point|purpose|meaning|role|use"
         r"|best way)|differences? between|what happens (?:if|when)|what are the (?:pros|cons|tradeoffs"
         r"|trade-offs|differences|benefits)|pros and cons|trade-?offs|in (?:plain|simple) (?:english|terms"
         r"|words)|tell me (?:about|how|why|what)|i don'?t understand|confused about"
         r"|summari[sz]e|describe)\b",
         {E: 3.0}, "asks for an explanation ('{m}')"),
    _cue("why_misbehaves", r"^(?:why|how come) (?:is|does|do|are|did|would)? ?(?:this|my|our|the) [^?]{0,60}?"
         r"\b(?:dropping|failing|crashing|returning|throwing|raising|giving|producing|broken|empty|null|none"
         r"|wrong|missing|hanging|leaking|duplicating|slow|so slow|timing out|not)\b",
         {D: 3.0}, "asks why this code misbehaves ('{m}')", "lead"),
    _cue("why_question", r"^(?:why|how come)\b", {E: 1.5}, "asks why ('{m}')", "lead"),
    _cue("how_to", r"^(?:how (?:do|can|should|would|could) (?:i|you|we|one)|how to|what(?:'s| is) the"
         r" (?:best|right|correct|proper|idiomatic) way|is (?:it|there) (?:possible|a way)|best way to)\b",
         {E: 2.0}, "asks how to do something ('{m}')", "lead"),
    _cue("concept", r"\b(?:concept|idea behind|under the hood|intuition|theory|semantics|meaning of"
         r"|when should i|should i use|vs\.?|versus|better than|recommended)\b",
         {E: 1.5}, "a conceptual question ('{m}')"),
    # --- added for real issue / task / PR wording (blind2 failure patterns)
    _cue("named_error", r"\b(?:cors|network|syntax|type|runtime|compile|compilation|build|permission|connection"
         r"|timeout|server|parse|parsing|auth\w*|ssl|tls|dns|memory|segmentation|linker|import|module|encoding"
         r"|unicode|key|index|attribute|value|assertion|http|database|db) (?:error|errors|failure|exception)\b"
         r"(?!\s+(?:handling|handlers?|messages?|pages?|codes?|types?|classe?s?))",
         {D: 2.5}, "names an error ('{m}')"),
    _cue("symptom", r"\b(?:blurry|pixelated|misaligned|cut off|overlapp?(?:s|ing)|garbled|truncated"
         r"|(?:sent|sends|called|fires|fired|runs|ran|submits|submitted|charged|created|renders|rendered"
         r"|printed|prints|logged|triggered|executed|inserted|saved|counted) (?:twice|two times|three times"
         r"|multiple times|again and again)"
         r"|doubled|only (?:prints?|printing|shows?|showing|returns?|returning|gets?|getting|works?|working"
         r"|renders?|rendering|saves?|saving)|returns? -1|puts \S+ before|blocked by|permission denied"
         r"|access denied|connection refused|econnrefused|denied to|never (?:finishes|returns|completes|ends)"
         r"|goes back to|resets? itself|disappears?|vanish\w*|is ignored|are ignored|ignores?"
         r"|(?:renders?|appears?|shows? up|is hidden|are hidden|ends? up) (?:behind|underneath|under|on top of))\b",
         {D: 2.0}, "describes a symptom ('{m}')"),
    _cue("instead_of", r"\b(?:returns?|shows?|prints?|gives?|displays?|puts|sends?|renders?|produces?|outputs?"
         r"|goes|is parsed|are parsed|comes? back|ends? up|becomes?|is|are|get|gets)\b@G{0,40}?\binstead of\b"
         r"|\bshould (?:be|return|show|print|display|work|have|get)\b@G{0,60}?\bbut\b"
         r"|\bexpected?\b@G{0,60}?\bbut (?:got|it|the|i get|we get|instead)\b",
         {D: 2.0}, "says the result differs from what was expected ('{m}')"),
    _cue("regressed", r"\b(?:after|since) (?:the |our |my |a |this |we )?(?:last |latest |recent |new |previous"
         r" |merging )?(?:deploy(?:ment)?|release|upgrade|update|merge|change|commit|refactor(?:ing)?|migration"
         r"|bump|pr|upgraded|updated|bumped|merged)\b|\bworked (?:fine )?(?:yesterday|before|last week)\b"
         r"|\bwas working\b",
         {D: 1.5}, "behaviour changed after an update ('{m}')"),
    _cue("puzzled", r"\b(?:what(?:'s| is) going on|any ideas?|what am i (?:doing wrong|missing)|what did i do wrong"
         r"|am i doing something wrong|is this a known issue|how (?:do|can) i (?:fix|solve|resolve|get rid of)"
         r"|how to (?:fix|solve|resolve|get rid of))\b",
         {D: 1.5}, "asks for help with a failure ('{m}')"),
    _cue("deploy_topic", r"\b(?:deploy(?:s|ed|ing|ment|ments)?|hosting|restart(?:s|ed)?|reboot)\b",
         {S: 1.5}, "deployment wording ('{m}')"),
    _cue("git_ops", r"\b(?:squash(?:ed)?|cherry-?pick|force[- ]push(?:ed)?|reflog|git (?:history|log|reset|revert"
         r"|stash|tag|blame|filter-branch|filter-repo|gc|remote|clone|push|pull|fetch|submodule|config|lfs"
         r"|server|repo(?:sitory)? (?:on|at))|(?:the )?last \d+ commits|detached head|amend (?:the|my) (?:last )?commit"
         r"|undo (?:the|my) last commit|rebase|rebasing|merge conflicts?|resolve (?:the )?conflicts"
         r"|(?:delete|prune|clean up) (?:old |stale |merged )?(?:local |remote )?"
         r"branches|(?:create|push|delete) (?:a |the )?(?:new )?(?:branch|tag)\b|rewrite (?:the )?history)",
         {S: 2.5}, "git operations ('{m}')"),
    _cue("release", r"\b(?:publish(?:es|ing)? (?:it |the \w+ |wheels |the image )?(?:to|on) (?:pypi|npm|crates\.io"
         r"|docker ?hub|ghcr|the registry|maven central|the app store)|release (?:workflow|pipeline|process|job"
         r"|target|script)|make release|tags?,? and push(?:es)?|cibuildwheel|semantic-release|goreleaser"
         r"|`make \w+`|make targets?|makefile targets?|on (?:every )?(?:tag )?push(?:es)? to|on tag push"
         r"|on (?:every )?pull request)\b",
         {S: 3.0}, "release or build automation ('{m}')"),
    _cue("feature_request", r"\b(?:feature request|\[feature\]|\[feat\]|^feat(?:ure)?:|it would be (?:nice|great"
         r"|useful|helpful|cool)|would be nice|please add|add support for|support for|allow (?:users? to|\w+ing|passing"
         r"|setting|specifying))\b",
         {Q: 2.0, E: -1.0, D: -1.0}, "a feature request ('{m}')"),
    _cue("edit_existing_ui", r"^(?:change|update|rename|move|sort|hide|show|disable|enable|increase|decrease"
         r"|align|center|centre|resize|swap|replace|remove|delete|add|make(?= (?:the|this|that|our|my|it)\b)"
         r"|set)\b@G{0,60}?\b(?:the|this|that|our|my|its) (?:\w+ |'[^'\n]{1,30}' )?"
         r"(?:button|dropdown|select|label|title"
         r"|heading|header|footer|navbar|card|modal|tooltip|placeholder|link|icon|logo|input|checkbox|column"
         r"|sidebar|menu|text|font|colou?r|padding|margin|border|spacing|search box|toast)s?\b",
         {Q: 2.5}, "a small change to an existing UI element ('{m}')", "lead"),
    _cue("log_line", r"^(?:log|emit|print|raise|throw|show|display) (?:a|an) (?:\w+ )?(?:warning|error|message"
         r"|debug|info|deprecation|notice|toast)\b",
         {Q: 2.5}, "adds a message or log line ('{m}')", "lead"),
    _cue("containerize", r"\b(?:dockeri[sz]e|containeri[sz]e)\b", {S: 3.0}, "puts the app in a container ('{m}')"),
    _cue("propagate", r"\b(?:thread|propagate|plumb|pass)\w*\b@G{0,30}?\b(?:through|down to|into|to) (?:all |every "
         r"|each |the )?(?:modules|layers|callers|call sites|services|functions|components|stack|packages)\b",
         {M: 3.0}, "carries a change through many modules ('{m}')"),
    _cue("code_feature", r"\b(?:read|load|take|get|accept|pick up|fall back to|fallback to)\w*\b@G{0,40}?\bfrom"
         r" (?:an? |the )?(?:[\w$]+ )?(?:env(?:ironment)?(?: var\w*)?|config(?:uration)? file|cli|command line"
         r"|arguments?|kwargs?)\b",
         {Q: 2.5}, "a small code-level feature ('{m}')"),
    _cue("wording_edit", r"\b(?:translate|reword|rephrase|locali[sz]e)\b@G{0,40}?\b(?:messages?|strings?|text"
         r"|labels?|comments?|copy|docs?|docstrings?|errors?)\b",
         {Q: 2.5}, "rewords text in place ('{m}')"),
    _cue("pull_out", r"\b(?:pull|take|lift|hoist|get|move)\b@G{0,50}?\bout of\b@G{0,60}?\binto\b"
         r"|\b(?:duplicated|copy-?pasted|repeated)\b@G{0,20}?\b(?:code|logic|helpers?|functions?|validation"
         r"|classes|methods|types|interfaces|models|constants)\b",
         {M: 3.0}, "pulls shared code out ('{m}')"),
    _cue("structure", r"\b(?:flatten|reorgani[sz]e|restructure|simplify|untangle)\b@G{0,40}?\b(?:package|folder"
         r"|directory|module|project|class|inheritance|type|import) (?:structure|hierarchy|layout|tree|graph)\b"
         r"|\bwith composition\b|\bcomposition over inheritance\b|\b(?:inheritance|class) hierarchy\b",
         {M: 3.0}, "restructures code organisation ('{m}')"),

    # --- added for blind4 failure patterns (real issues, Terminal-Bench statements, PRs)
    _cue("env_fix", r"\b(?:fix|repair|restore|recover|unbreak)\b@G{0,30}?\b(?:the |this |our |my |python |node )?"
         r"(?:broken )?(?:build(?! of)|environment|env|installation|install|package manager|apt|dpkg|system"
         r"|machine|server|container|workflow|pipeline|ci job|toolchain|python environment|permissions)\b"
         r"|\bget (?:the |this )?(?:database|db|postgres|mysql|server|service|nginx|site|app) (?:running|up)\b",
         {S: 3.0}, "repairs the system or build, not the code ('{m}')"),
    _cue("code_is_fine", r"\b(?:the (?:\w+ )?(?:script|code|program|app|application|sources?) (?:itself )?(?:is|are)"
         r" (?:correct|fine)|(?:do not|don't|must not|without|never) (?:change|changing|modify|modifying|touch"
         r"|touching|edit|editing) (?:the |any )?(?:c\+\+ |c |python |go |rust |java )?(?:sources?|source code"
         r"|code|script|application code)|(?:the )?code (?:has not|hasn't|did not|didn't) change\w*"
         r"|only the (?:machine|system|server|host) configuration|(?:survive|survives|persist across) (?:the next"
         r" |a )?reboots?|you (?:may|can) install)\b",
         {S: 3.0, D: -1.5}, "the code is fine; the environment needs work ('{m}')"),
    _cue("task_statement", r"^(?:you are|you're) (?:working|given|in|inside|logged|on)\b|\byour (?:task|job|goal)"
         r" is\b|\b(?:in|inside|on) (?:this|the) (?:container|environment|machine|host|vm)\b"
         r"|\bthe tests will (?:check|run|verify)\b",
         {S: 2.5}, "a task statement about a machine ('{m}')"),
    _cue("code_bug_fix", r"\bfix (?:the |a |this )?(?:bug|logic|comparison|calculation|off-by-one|parsing"
         r"|parser|regex|tokeni[sz]er)\b|\bfix (?:zz|\w+\(\))|\bfind the (?:cause|bug) in\b"
         r"|\bfix\b@G{0,40}?\bin (?:zz|[\w/]+\.(?:py|go|rs|js|ts|java|c|cpp|rb|kt|swift))\b",
         {D: 3.5}, "fixes a bug in named code ('{m}')"),
    _cue("ask_reasoning", r"\b(?:what is the reasoning|the reasoning behind|rationale behind|is (?:this|it|that)"
         r" (?:intended|intentional|by design|documented|expected)|not sure if (?:this is |it'?s )?(?:a bug"
         r"|intended|intentional)|not reporting a bug|not a bug report|just want(?:ed)? to understand"
         r"|is this documented)\b",
         {E: 3.0, D: -1.5}, "asks for the reasoning, not a fix ('{m}')"),
    _cue("offer_pr", r"\b(?:i can|i could|i'?ll|i will|happy to|willing to|can|could) (?:send|open|submit|make"
         r"|file|prepare|put up|contribute) (?:a |the )?(?:pr|pull request|patch)\b",
         {R: -2.5}, "offers a pull request ('{m}')"),
    _cue("message_edit", r"\btypos?\b|\bmisspel\w*|\b(?:improve|clarify|reword|rephrase|update|change)"
         r" (?:the )?(?:error |warning |exception |log )?(?:message|wording|text)\b",
         {Q: 3.0, D: -1.5}, "edits a message's text ('{m}')"),
    _cue("make_behave", r"^(?:make|have|let|change) (?:zz|[\w.]+(?:\(\))?) (?:return|accept|raise|print|show"
         r"|use|default to|ignore|skip|handle|take|support)\b",
         {Q: 2.5, D: -1.5}, "asks for a behaviour change in one function ('{m}')", "lead"),
    _cue("local_only", r"\b(?:(?:it'?s |it is )?only (?:this|the|one) (?:one )?(?:function|method|file|class"
         r"|block)|just (?:this|the) (?:one )?(?:function|method)|(?:small |little )?private helper"
         r"|only used (?:in|by) (?:this|one|the same) (?:file|module|function|class))\b",
         {Q: 2.5, M: -2.0}, "the change stays in one place ('{m}')"),
    _cue("count_scope", r"\b(?:~|about |around |over |some |roughly |all )?(?:\d+|a dozen|dozens of|several|many"
         r"|multiple) (?:other |internal |remaining |\w+ )?(?:modules|places|call ?sites|callers|components"
         r"|classes|repositories|services|packages|imports|viewmodels|endpoints|usages|occurrences"
         r"|source files|python files)\b"
         r"|\bacross (?:zz|`?[\w.]+/`?)(?:,? (?:and )?(?:zz|`?[\w.]+/`?))+",
         {M: 3.0}, "touches many places ('{m}')"),
    _cue("symptom_more", r"\b(?:loses? (?:precision|data|the \w+|its \w+)|drops? (?:the )?(?:index|header|column"
         r"|rows?|data|precision|timezone|tz|values)|grows? (?:unbounded|without bound|indefinitely|forever)"
         r"|unbounded|never goes down|(?:is|are|gets?) (?:silently )?ignored|ignored (?:on|when|by|for|if)"
         r"|\btwice\b|(?:works|worked) (?:fine|correctly|as expected) (?:on|in|with|for|locally)"
         r"|(?:gives?|returns?) (?:them |it )?correctly|misleading|silently|unbound variable|command not found"
         r"|syntax error near|(?:chrome|firefox|safari|edge|linux|windows|macos|android|ios) works)\b",
         {D: 2.0}, "describes a symptom ('{m}')"),
    _cue("refactor_ref", r"\b(?:related to|caused by|introduced (?:in|by)|since|after|from|in|during) (?:the |a"
         r" |this |that |our |your )?(?:\w+ )?refactor(?:ing)?\b",
         {M: -2.5, D: 1.0}, "names an earlier refactor as the cause ('{m}')"),
    _cue("layers_list", r"\b(?:in|across|through) (?:the )?(?:\w+ )?"
         r"(?:models?|serializers?|views?|api|schema|front-?end"
         r"|back-?end|templates?|forms?|tests|docs|migrations?|controllers?|services?|types|handlers?|clients?)"
         r"(?:,? (?:and )?(?:the )?(?:\w+ )?(?:models?|serializers?|views?|api|schema|front-?end|back-?end|templates?"
         r"|forms?|tests|docs|migrations?|controllers?|services?|types|handlers?|clients?)){2,}\b",
         {M: 3.0}, "touches several layers ('{m}')"),
    _cue("reviewer", r"\breview(?:er|ers|ing)\b", {R: 2.5}, "mentions reviewing ('{m}')"),
    _cue("shell_file", r"(?:\b[\w./-]+\.(?:sh|bash|ps1)\b|\.github/workflows\b|\bdocker-compose\.ya?ml\b)",
         {S: 2.0}, "a shell or CI file ('{m}')"),

    # --- added for blind8 failure families: the pasted failure is the subject, not the request
    _cue("env_error", r"\b(?:connection refused|econnrefused|could not connect to server|name or service not known"
         r"|temporary failure (?:in name resolution|resolving)|could not resolve host|getaddrinfo (?:eai_again"
         r"|enotfound)|nameresolutionerror|no such host|cannot open shared object file|error while loading shared"
         r" libraries|no library called|cannot find -l\w+|fatal error: [\w/.-]+\.h: no such file|pg_config"
         r" executable not found|command '[\w.+-]*(?:gcc|cc|clang)' failed|unable to locate package|has no"
         r" installation candidate|unsupported locale setting|no space left on device|requested access to the"
         r" resource is denied|imagepullbackoff|errimagepull|x509: certificate|certificate_verify_failed"
         r"|certificate verify failed|port is already allocated|engine \"node\" is incompatible|unsupported engine"
         r"|externally-managed-environment|ensurepip is not available|sdk \"[^\"\n]+\" cannot be located"
         r"|authentication token seems to be invalid|failed to authorize)",
         {S: 1.0}, "an environment error ('{m}')", "body"),
    _cue("fix_code", r"\b(?:fix|change|correct|repair) (?:the |our |my )?(?:\w+ )?(?:code|logic|function|program"
         r"|implementation|client|worker|handler|script's logic|application code)\b(?! (?:is|are) fine)"
         r"|\b(?:problem|bug|issue|cause|leak) is in (?:our|my|the) (?:\w+ )?code\b|\bin our (?:\w+ )?code\b",
         {D: 2.5}, "asks to fix the program's code ('{m}')"),
    _cue("understand_strong", r"\b(?:for my own (?:learning|understanding)|just curious|mental model|(?:not|n't)"
         r" (?:asking|looking) (?:you |anyone |for (?:a |the |any )?)?(?:to )?(?:fix|a fix|the fix|one-liners?"
         r"|a one-liner|the flag|a workaround|code changes|changes|a faster version)|not (?:trying|asking) to fix"
         r"|(?:don'?t|do not) want any (?:code )?changes|rather than (?:just )?(?:silenc|memori[sz])\w*)",
         {E: 3.5, D: -1.5}, "wants to understand, not a fix ('{m}')"),
    _cue("understand_ask", r"\b(?:(?:i )?(?:want|would like|'d like|need|am trying|'m trying|trying) to (?:actually"
         r" |really |properly |fully )?understand(?! why)|i'?m (?:just )?(?:curious|learning|new to)|no code changes"
         r"|how to read (?:this|these|it)|(?:before|until) i (?:understand|decide|touch)|what (?:does|do)"
         r" (?:this|that|it|these) (?:error |message |line |log )?(?:actually )?mean)",
         {E: 3.0, D: -1.0}, "wants to understand ('{m}')"),
    _cue("error_wording", r"\b(?:improve|clarify|better|clearer|friendlier|more helpful|more useful|more"
         r" descriptive)\b@G{0,25}?\b(?:error|exception|warning)s?(?: messages?)?\b"
         r"|\b(?:raise|throw)s? (?:an? |our |the )?(?:new |proper |custom |clear(?:er)? |specific |dedicated"
         r" |single )?(?:[\w.]*error|[\w.]*exception|zz)\b@G{0,30}?\b(?:instead|with (?:a |the )?message|that says"
         r"|saying|like)\b|\b(?:make|have) (?:the |it |this )?(?:error|warning|message|exception)s? (?:say|include"
         r"|show|mention|list|name)\b|\b(?:say|show|include|name|list)s? which (?:\w+ )?(?:failed|is missing"
         r"|was missing|are missing)\b|\breturn a json body\b|\bwith a message like\b"
         r"|\bso (?:that )?the (?:error|exception|message) (?:includes"
         r"|says|shows|mentions|names|contains)\b|\bre-?raise (?:it )?as\b|\bvalidate\b@G{0,40}?\band raise\b",
         {Q: 3.0, D: -1.0}, "changes how an error is reported ('{m}')"),
    _cue("env_ask", r"\b(?:fix|update|change|adjust|repair|rewrite) (?:the |our |my )?(?:compose (?:file|setup)"
         r"|docker-?file|workflow|runner|image|ci (?:config|job|step)|build (?:box|machine|agents?)"
         r"|agents?|cluster|manifests?|helm chart|crontab(?: entry)?|pipeline config|container setup)\b"
         r"|\b(?:whatever|what) the (?:image|runner|box|container|cluster|build) needs\b"
         r"|\bset up (?:whatever|what) the \w+ needs\b|\bbump the runner\b|\b(?:make|have|let) the (?:compose file"
         r"|compose setup|workflow|dockerfile|image|runner|ci job)\b",
         {S: 3.0}, "asks to change the environment or pipeline ('{m}')"),
    _cue("casual_review", r"\b(?:eyeball\w*|give (?:this|it|my \w+|them) an? (?:look|once-over|glance|read|peek)"
         r"|once-over|poke holes|be brutal|any thoughts|anything i'?m missing"
         r"|am i missing (?:something|anything)|what would you (?:flag|change|watch out for)|take a peek"
         r"|mind (?:taking a (?:look|peek)|looking|checking)|is this a good idea|does this look (?:ok|okay|right"
         r"|good|sane|reasonable|correct)|tell me what(?:'s| is| looks) (?:wrong|risky|off)"
         r"|(?:opinions?|comments|feedback) (?:only|please)|not (?:asking for|looking for) (?:a )?(?:rewrite|code)"
         r"|i'?ll (?:make|do|push|handle) (?:the )?(?:changes|edits|fixes) myself|i'?ll fix (?:it|them) myself"
         r"|fix it myself)\b|\b(?:any )?thoughts\?|\bwhat do you think\?",
         {R: 3.5}, "asks for an opinion on the code ('{m}')"),
    _cue("ui_small", r"\b(?:tweak\w*|small (?:fix|fixes|change|changes|thing|tweaks?|polish)|minor (?:fix|change"
         r"|tweak)\w*|polish|everything else (?:stays|should stay|remains) (?:the same|as is)|no (?:other|layout)"
         r" changes|no visual changes|nothing else (?:changes|should change)|just css|only css|swap the order"
         r"|highlight on hover)\b",
         {Q: 3.0, U: -2.5}, "a small change to an existing interface ('{m}')"),
    _cue("own_units", r"\binto (?:its|their) own (?:\w+ )?(?:modules?|files?|packages?|classes|collaborators"
         r"|services|components|crates?)\b|\b(?:pull|split|break|factor|carve) (?:\w+ ){0,3}out into\b"
         r"|\b(?:across|in|over) (?:~|about |around |some |roughly )?\d+ (?:\w+ )?(?:files|modules|packages)\b"
         r"|\b\d+ (?:\w+ )?(?:log calls|call sites|functions|test modules|classes)\b"
         r"|\b(?:every|each) (?:function|method|class|handler|service|module|caller) (?:that|which) (?:needs|uses|reads"
         r"|calls)\b",
         {M: 3.0}, "spreads over many units ('{m}')"),
    _cue("code_task", r"\b(?:implement|complete|finish|fill in|write|add)\b@G{0,40}?\b(?:functions?|methods?"
         r"|stubs?|(?:sub-?)?commands?|options?|flags?)\b@G{0,60}?\bin (?:zz|[\w/.-]+\.(?:py|go|rs|js|ts|java|c|cpp"
         r"|rb))\b",
         {Q: 3.5, S: -1.5}, "a code change in one named file ('{m}')"),
    _cue("tool_behaviour", r"\bwhy (?:can't|cannot|doesn't|does|is|won't|would) (?:the )?(?:compiler|language"
         r"|borrow checker|type checker|runtime|interpreter|kernel|planner|optimizer|database|browser|os|garbage"
         r" collector|event loop)\b|\bwhat is \w+ and (?:how|why)\b",
         {E: 3.0, D: -1.0}, "asks how the tool itself behaves ('{m}')"),
)
