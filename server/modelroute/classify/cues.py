"""Named cues: phrases and shapes in a request that a reader can name ("cross-file scope").

A cue has no weight of its own. It is one binary feature of the learned model (train.py learns a weight
per cue and label from the corpus); its name and the text it matched become the reason shown to the
user when the weights say it carried the decision. Word and word-pair features cover everything else;
cues are kept for what single words cannot say (a pasted traceback, a question's form, "every caller",
paths in a terminal task) and for readable reasons.

Windows: `lead` is the opening clause with request framing ("could you please") removed; `intent` is
the text with pasted code, logs and quoted strings masked; `body` is the raw normalised text, read
for structure (tracebacks, bug-report sections, environment tables).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Window = Literal["lead", "intent", "body"]


@dataclass(frozen=True)
class Cue:
    name: str  # feature name in the model artifact: never reuse a name for a different meaning
    reason: str  # readable; the matched text is quoted after it
    pattern: re.Pattern[str]
    window: Window


def _cue(name: str, reason: str, pattern: str, window: Window = "intent") -> Cue:
    return Cue(name, reason, re.compile(pattern, re.MULTILINE), window)


_UNITS = r"(?:callers?|call sites?|usages?|uses|references|files|modules|imports|occurrences|places|packages" \
         r"|services|endpoints|handlers|components|screens|classes|controllers|tests|consumers|clients)"

CUES: tuple[Cue, ...] = (
    # the form of the request
    _cue("question_form", "asks a question", r"^(?:what|why|how|when|where|which|who|is|are|does|do|did|can|could"
         r"|should|would|will|has|have)\b|\?\s*$", "lead"),
    _cue("why_own", "asks why their own code misbehaves",
         r"^why (?:does|do|is|are|did|would|won't|doesn't|isn't|can't|am i|does my|is my)\b.{0,80}"
         r"\b(?:my|our|this|the|it|i)\b", "lead"),
    _cue("yes_no_this", "a yes/no question about this code",
         r"^(?:is|are|does|do|can|could|should|would|will|did) (?:this|these|my|our|the|that|it)\b", "lead"),
    _cue("how_to", "asks how to do something", r"^how (?:do|can|should|would|could|to)\b|^what(?:'s| is) the best way",
         "lead"),
    _cue("polite_request", "a request ('could you ...')",
         r"^(?:can|could|would|will) you\b|^please\b|^i (?:want|need|would like|'d like)\b|^we (?:need|want)\b",
         "lead"),
    _cue("imperative_change", "opens with a change verb",
         r"^(?:add|change|make|update|set|remove|replace|use|bump|increase|decrease|return|raise|allow|support"
         r"|rename|fix|tweak|adjust|include|expose|drop|delete|wrap|log|handle|validate|sort|convert)\b", "lead"),
    # what is asked for
    _cue("explain_ask", "asks for an explanation",
         r"\b(?:explain|walk (?:me|us) through|what does|what do|what is|what are|how does|how do(?:es)? .{1,40} work"
         r"|meaning of|help me understand|understand (?:how|why|what)|difference between|eli5"
         r"|in plain (?:english|words)|why (?:would|do|does) (?:someone|people|we|you) use)\b"),
    _cue("concept_words", "a concept or trade-off question",
         r"\b(?:difference|versus|vs\.?|when should|best practices?|pros and cons|trade-?offs?|idea behind"
         r"|purpose of|the point of|recommended way|is it (?:safe|ok|possible|necessary))\b"),
    # a usage or is-this-intended question inside a report: the writer wants to understand, not a fix
    _cue("asks_whether", "asks whether or how, not for a fix",
         r"\b(?:is (?:this|it|that) (?:expected|intended|a bug|normal|possible|by design|correct|supposed)"
         r"|is there (?:a|any) way|how (?:can|do|should|would) (?:i|we|one)|am i (?:missing|doing)"
         r"|what(?:'s| is) the (?:right|correct|recommended|proper|best) way|should i|would it be possible"
         r"|is it possible|was this intended|why (?:was|is) (?:this|it) (?:designed|done|changed))\b"),
    _cue("no_edit", "asks for no changes",
         r"\b(?:don't|do not|without|no need to) (?:change|modify|edit|touch|fix|rewrite)|\bno (?:changes|edits)\b"
         r"|\bjust (?:list|tell|point out|report|flag|comment)|\bi(?:'ll| will) (?:make|do) the (?:changes|fixes)"),
    _cue("review_ask", "asks for a review",
         r"\b(?:review|code review|look over|looks? (?:ok|good|right)|feedback|critique|audit|sanity[- ]check"
         r"|second (?:pair of eyes|opinion)|lgtm|nitpicks?|assess|evaluate|anything (?:i|we) missed|spot any"
         r"|point out (?:any )?(?:problems|issues|bugs|mistakes)|what (?:could|would) you improve)\b"),
    _cue("change_ref", "refers to a diff or pull request",
         r"\b(?:diff|pull request|this pr|the pr|my pr|my changes|this change|the changes|changeset|patch|commits?"
         r"|before (?:i|we) (?:merge|push|ship|commit))\b"),
    _cue("fix_ask", "asks for a fix", r"\b(?:fix|debug|resolve|troubleshoot|repair|diagnose|find (?:out )?why"
         r"|figure out why|track down|root cause)\b"),
    _cue("failure", "describes a failure",
         r"\b(?:crash(?:es|ed|ing)?|errors?|exceptions?|fails?|failing|failed|failure|broken|bug|panic(?:s|ked)?"
         r"|segfaults?|hangs?|hanging|freez\w+|regression|doesn't work|does not work|not working|stopped working"
         r"|wrong|incorrect(?:ly)?|unexpected(?:ly)?|instead of|no longer|flaky|deadlock|leaks?"
         r"|(?:make|get) (?:it|this|that|them|these|\w+) (?:to )?work(?:ing)?(?: again)?"
         # an HTTP error status is a failure too: "returns 502", "got a 500", "status code 403"
         r"|(?:returns?|returning|returned|got|gets|getting|gives|giving|throws) (?:an? |http |status )?[45]\d\d"
         r"|(?:http|status|status code) [45]\d\d)\b"),
    _cue("symptom_title", "states a misbehaviour in its title",
         r"\A[^\n?]{8,160}\b(?:returns?|raises|fails|crash(?:es)?|drops|ignores|loses|breaks|hangs|throws"
         r"|doesn't|does not|isn't|is not|no longer|not working|wrong|incorrect(?:ly)?|instead of)\b[^\n?]*\n", "body"),
    _cue("error_message_change", "asks to change an error or log message",
         r"\b(?:error|warning|log|exception) messages?\b|\b(?:clearer|better|more helpful) (?:error|message|exception)"
         r"|\braise an? \w+(?:error|exception)\b"),
    # pasted evidence (raw text)
    _cue("traceback", "a pasted stack trace or error output",
         r"traceback \(most recent call last\)|^\s*at [\w$.<>]+\(|\bpanic: |segmentation fault|core dumped"
         r"|^\s*file \"[^\"]+\", line \d+|^\w*(?:error|exception)\b[\w.]*: \S|\berror\[e\d+\]|^npm err!|^e: "),
    _cue("report_sections", "bug-report sections (steps, expected, actual)",
         r"\b(?:expected (?:behaviou?r|result|output)|actual (?:behaviou?r|result|output)|steps to reproduce"
         r"|to reproduce|minimal (?:reproducible )?example|reproduction|repro\b|observed behaviou?r)", "body"),
    _cue("environment_table", "environment details (versions, OS)",
         r"^\W*(?:os|python|node|platform|version|operating system|browser|rust|go|java)(?: version)?\s*[:|=]\s*\S",
         "body"),
    _cue("feature_template", "a feature-request template",
         r"is your feature request related to a problem|describe the solution you'd like|feature request"
         r"|\bproposal\b|it would be (?:nice|great|useful)|would be nice", "body"),
    # scope and structure
    _cue("cross_file", "cross-file scope",
         rf"\b(?:every|all|each|other|any) (?:of the )?(?:\w+ )?{_UNITS}\b"
         r"|\bacross (?:the |all |our |multiple |several )?"
         r"(?:codebase|code base|project|repo|repository|files|modules|packages|services|app)\b|\beverywhere\b"
         r"|\bthroughout\b|\b(?:whole|entire) (?:codebase|project|repo|app)|\bproject-wide\b|\bcodebase\b"),
    _cue("restructure", "a restructuring verb",
         r"\b(?:refactor\w*|restructur\w+|reorgani[sz]\w+|extract\w*|split\w*|move|moving|rename\w*|consolidat\w+"
         r"|decoupl\w+|deduplicat\w+|migrat\w+|port(?:ing)?|modulari[sz]\w+|unif(?:y|ied)|inlin\w+|pull (?:\w+ )?out"
         r"|break (?:\w+ )?(?:up|apart|into)|introduce an? (?:interface|abstraction|base class|layer)"
         r"|dependency injection)\b"),
    _cue("port_language", "a port to another language or framework",
         r"\b(?:port|rewrite|translate|convert|migrate)\b.{0,50}\b(?:to|in|into) (?:rust|go|golang|typescript|python"
         r"|java|kotlin|c\+\+|swift|react|vue|svelte|fastapi|django|async)\b"),
    _cue("one_target", "one local target",
         r"\b(?:this|the|that|a) (?:function|method|line|loop|variable|field|property|constant|parameter|argument"
         r"|docstring|comment|prop|helper|regex|query|condition|test)\b"),
    _cue("small_scope", "a small, local change",
         r"\b(?:docstrings?|type hints?|type annotations?|typos?|comments?|default value"
         r"|optional \w+ (?:param|argument)|parameters?|arguments?|kwargs?|small|tiny|minor|quick|simple|one-liner"
         r"|just|only|a bit|slightly"
         r"|log line|constant|list comprehension|f-string|rename (?:this|the) (?:variable|local|parameter))\b"),
    _cue("wording_change", "a change of wording or a default",
         r"\b(?:(?:button|link|menu|page|label|placeholder|tooltip|title|header|error|warning|log|help) "
         r"(?:text|label|copy|message|wording|string)s?|wording|reword\w*|typos?|spelling|placeholders?"
         r"|default (?:value|timeout|setting)|(?:change|increase|decrease|bump|set|raise|lower) (?:the )?"
         r"(?:default|timeout|limit|threshold|retries|version)"
         r"|from \S+ to \S+ (?:seconds|ms|minutes)|display text)\b"),
    # the writer already knows the wanted state ("it should say 'Submit'"): a known change, not a hunt
    _cue("wanted_state", "states what it should be",
         r"\b(?:should (?:be|say|read|show|display|use|default to|instead)|it would be (?:nice|better|great)"
         r"|would be (?:nice|better) (?:if|to)|instead of [^.\n]{1,60}, (?:it )?should"
         r"|please (?:change|rename|update|use))\b"),
    _cue("option_ask", "asks for an option or flag",
         r"\b(?:add|support|expose|accept|allow)\b.{0,30}\b(?:option|flag|setting|parameter|argument|keyword|config"
         r"|env(?:ironment)? var\w*)\b"),
    _cue("tests_ask", "asks for tests", r"\b(?:add|write|create) (?:a |some |more )?(?:unit |integration )?tests?\b"),
    # shell, build, system
    _cue("script_ask", "asks for a script or automation",
         r"\b(?:write|create|make|give me|generate) (?:a |an |me a |me an )?(?:small |simple |quick )?"
         r"(?:bash |shell |sh |zsh |python |powershell |ps1 )?"
         r"(?:script|one-liner|cron ?job|crontab|alias|makefile|dockerfile|workflow"
         r"|pipeline|systemd (?:unit|service)|pre-commit hook|git hook)\b"),
    _cue("setup_verb", "a set-up or deploy verb",
         r"\b(?:set ?up|install\w*|configure|deploy\w*|provision\w*|automate|schedul\w+|containeri[sz]\w+"
         r"|dockeri[sz]\w+|build from source|compile|upgrade|mount|bootstrap)\b"),
    _cue("infra_tools", "shell, container or CI tooling",
         r"\b(?:bash|shell|zsh|terminal|cron|crontab|systemd|systemctl|docker\w*|compose|kubernetes|k8s|kubectl|helm"
         r"|terraform|ansible|nginx|apache|caddy|makefile|cmake|github actions?|workflows?|ci|cd|ci/cd|pipeline|gitlab"
         r"|jenkins|ssh|rsync|scp|apt(?:-get)?|brew|yum|dnf|pacman|pip install|npm install|venv|virtualenv|conda|path"
         r"|env vars?|environment variables?|chmod|chown|sudo|iptables|ufw|certbot|ssl|tls|dns|vm|runner|image"
         r"|container|registry|powershell|wsl|homebrew|tar|gzip|ffmpeg|cronjob|daemon|port \d+|localhost)\b"),
    _cue("terminal_paths", "paths in a terminal environment",
         r"(?<![\w.~])/(?:app|srv|data|etc|opt|var|usr|home|root|tmp|workspace|mnt|run|logs?)/[\w.-]", "body"),
    _cue("shell_command", "a shell command line",
         r"^\s*(?:\$|#|>) ?(?:sudo |cd |ls|git |docker |npm |pip |make |curl |apt|brew |kubectl |ssh |cargo |go )"
         r"|`(?:sudo|git|docker|npm|pip|make|curl|apt-get|kubectl|ssh|cargo|go|yarn|pnpm) [^`]{2,60}`", "body"),
    # user interface
    _cue("ui_nouns", "a user-interface element",
         r"\b(?:landing page|home ?page|web ?page|page|dashboard|component|ui|user interface|screen|layout|navbar"
         r"|nav bar|sidebar|modal|dialog|form|button|website|web app|webapp|widget|hero(?: section)?|card|theme|css"
         r"|tailwind|responsive|animation|carousel|gallery|table view|menu|tooltip|dropdown|toggle|tab bar|footer"
         r"|header|portfolio|storefront|onboarding|wizard|mockup|wireframe|figma|app)\b"),
    _cue("create_verb", "asks to build something new",
         r"^(?:build|create|design|make|develop|generate|implement|mock ?up|craft|prototype|code|write|scaffold)\b"
         r"|\b(?:build|create|design|develop|generate|mock ?up|craft|prototype|scaffold) (?:a|an|me a|me an|the|new)\b",
         "lead"),
    _cue("visual_words", "visual design words",
         r"\b(?:modern|beautiful|sleek|stylish|minimalist|minimal|elegant|dark mode|light mode|gradient|colou?r"
         r" ?(?:scheme|palette)|fonts?|typography|animated|glassmorphism|look and feel|aesthetic|pixel|icons?"
         r"|illustrations?|hover effects?|mobile[- ]first|brand)\b"),
    _cue("new_thing", "something new from scratch",
         r"\b(?:from scratch|new (?:page|app|site|screen|component|view|project|ui)|greenfield|clone of|a clone"
         r"|starter|landing)\b"),
)


def lead_clause(text: str) -> str:
    """The opening clause with request framing ("hey, could you please") taken off."""
    stripped = text.lstrip(" \t\n#>*-`")
    end = re.search(r"[.?!\n](?:\s|$)|\n", stripped[:300])
    lead = stripped[: end.end()] if end else stripped[:300]
    return _FRAMING.sub("", lead, count=1)


_FRAMING = re.compile(r"^(?:(?:hey|hi|hello|ok|okay|so|quick question|question|task|todo|note)[,:!.]?\s+)+")


def match_cues(lead: str, intent: str, body: str) -> list[tuple[Cue, str]]:
    """Every cue that matches, with the text it matched (for the reason)."""
    windows = {"lead": lead, "intent": intent, "body": body}
    hits: list[tuple[Cue, str]] = []
    for cue in CUES:
        found = cue.pattern.search(windows[cue.window])
        if found:
            hits.append((cue, found.group(0).strip()))
    return hits
