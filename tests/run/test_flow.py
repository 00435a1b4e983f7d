"""The run as a core use case, through the real SDKs against the fake provider, with a scripted
editor: a change set offered and settled, a review, an answer, a declined estimate, a budget refusal,
cancel, a fault and the fallback offer, a stale file, a loose file, a notebook-like pinned document."""

from __future__ import annotations

from typing import Any

import pytest

from modelroute.run.editor import Buffer, OfferResult
from modelroute.run.flow import RunRefused, run_action
from modelroute_testing.fakeprovider.script import Reply, call, fault
from tests.run.helpers import HAIKU, MINI, STORE, Bench
from tests.run.helpers import HINTS_EDIT as EDIT


async def test_an_edit_is_offered_as_a_change_set_and_settled_as_applied(bench: Bench) -> None:
    bench.fake.queue(*EDIT)
    report = await bench.run()
    assert report.outcome == "applied" and report.conclusion == "done"
    [offer] = bench.editor.offers
    [change] = offer.changes.changes
    assert change.path == "app/store.py" and change.kind == "modified"
    assert change.new == STORE.replace("def load(path):", "def load(path: str) -> object:")
    assert "+def load(path: str) -> object:" in change.diff()
    assert offer.read_versions == {"app/store.py": None}  # read from disk
    assert offer.label.startswith("Claude Haiku") and "1 file(s)" in offer.description
    assert (bench.root / "app" / "store.py").read_text() == STORE  # the core never writes
    row = bench.rows()[-1]
    assert row["id"] == report.summary["run_id"] and row["outcome"] == "applied" and row["act_usd"] > 0
    assert report.summary["files"] == ["app/store.py"] and report.summary["turns"] == 3
    [bar] = bench.editor.bars
    assert bar.title.startswith("modelroute: ") and bar.cancellable
    contract = report.contract()
    assert contract["strategy"] == "single" and contract["outcome"] == "done"
    [attempt] = contract["attempts"]
    assert attempt["model"] == HAIKU and attempt["estimated_cost_usd"] > 0 and attempt["verified"] == "none"
    assert attempt["cost_usd"] == round(report.attempts[0].cost_usd, 6) == contract["cost_usd"]
    assert contract["changes"][0]["kind"] == "modified" and contract["cost_usd"] > 0


async def test_a_rejected_offer_is_settled_as_rejected_with_the_reason(bench: Bench) -> None:
    bench.fake.queue(*EDIT)
    bench.editor.accept = lambda offer: OfferResult("rejected", "the user pressed Discard")
    report = await bench.run()
    assert report.outcome == "rejected" and "Discard" in report.summary["message"]
    assert bench.rows()[-1]["outcome"] == "rejected"
    assert "nothing was applied" in bench.editor.messages("warning")[-1] or "Discard" in bench.editor.messages()[-1]


async def test_a_file_changed_on_disk_meanwhile_is_stale_and_not_offered(bench: Bench) -> None:
    def typed(bar: Any, message: str) -> None:  # the user saves another version after the model read it
        if len(bench.fake.model_requests()) >= 2:
            (bench.root / "app" / "store.py").write_text(STORE + "# typed\n")

    bench.editor.on_report = typed
    bench.fake.queue(
        Reply(tool_calls=[call("read_file", path="app/store.py")]),
        Reply(text="editing " * 40, event_delay_s=0.02, tool_calls=EDIT[1].tool_calls),
        EDIT[2],
    )
    report = await bench.run()
    assert report.outcome == "rejected" and "changed while the model was working" in report.summary["message"]
    assert not bench.editor.offers


async def test_the_pinned_buffer_is_what_the_model_reads_and_a_newer_version_is_stale(bench: Bench) -> None:
    path = bench.root / "app" / "store.py"
    pinned = Buffer(text=STORE.replace("json.load(f)", "json.load(f)  # unsaved"), version=7)
    bench.editor.buffers[path] = Buffer(text=pinned.text + "# typed after\n", version=8)
    bench.fake.queue(*EDIT)
    report = await bench.run(bench.action(pinned=pinned))
    first_read = bench.fake.model_requests()[1].raw_without_auth()
    assert "# unsaved" in first_read and "typed after" not in first_read
    assert report.outcome == "rejected" and "changed while the model was working" in report.summary["message"]


async def test_review_findings_go_to_the_editor(bench: Bench) -> None:
    bench.fake.queue(
        Reply(tool_calls=[call("report_finding", path="app/store.py", line=11, severity="warning",
                               message="a missing price raises KeyError")]),
        Reply(text="One issue."),
    )
    report = await bench.run(bench.action(line=10, end=(11, 40), instruction="Review this code"), MINI)
    assert report.outcome == "reviewed" and report.summary["findings"] == 1
    [review] = bench.editor.reviews
    assert review.document == "app/store.py" and review.model == MINI
    assert review.findings[0].line == 11 and review.findings[0].severity == "warning"
    assert bench.rows()[-1]["outcome"] == "reviewed"


async def test_an_answer_is_shown_as_a_document(bench: Bench) -> None:
    bench.fake.queue(Reply(text="It adds up the prices of the items."))
    report = await bench.run(bench.action(line=10, end=(11, 40), instruction="Explain this code"), MINI)
    assert report.outcome == "answered" and report.summary["document"].startswith("memory:")
    [doc] = bench.editor.shown
    assert "It adds up the prices" in doc.text and "Explain this code" in doc.text
    assert bench.rows()[-1]["outcome"] == "answered"


async def test_above_per_request_asks_first_and_a_no_calls_nobody(bench: Bench) -> None:
    bench.user_file.write_text(bench.user_toml + "\n[budget]\nper_request_usd = 0.0\n")
    report = await bench.run()
    assert report.outcome == "declined" and report.conclusion == "refused"
    [question] = bench.editor.questions
    assert question.purpose == "budget" and question.choices[0].startswith("Run (") and "Cancel" in question.choices
    assert not bench.fake.model_requests() and not bench.rows()


async def test_over_the_daily_cap_is_refused_before_any_call(bench: Bench) -> None:
    action = bench.action()  # routed with room to spare; the cap drops before the run
    bench.user_file.write_text(bench.user_toml + "\n[budget]\ndaily_usd = 0.0\n")
    bench.engine.reload_settings()
    report = await bench.run(action)
    assert report.outcome == "refused_budget" and report.conclusion == "refused"
    assert not bench.fake.model_requests()
    assert bench.rows()[-1]["outcome"] == "refused_budget"
    assert "daily" in bench.editor.messages("error")[-1]


async def test_cancel_from_the_progress_display_settles_cancelled(bench: Bench) -> None:
    def press_cancel(bar: Any, message: str) -> None:
        bar.cancelled = True

    bench.editor.on_report = press_cancel
    bench.fake.queue(Reply(text="thinking about it " * 80, event_delay_s=0.01,
                           tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                                            new_text="def load(p):")]))
    report = await bench.run()
    assert report.outcome == "cancelled" and not bench.editor.offers
    assert bench.rows()[-1]["outcome"] == "cancelled"
    assert not bench.session.active


@pytest.mark.parametrize("agree", [False, True])
async def test_a_transient_fault_offers_the_next_model_and_runs_it_only_when_agreed(bench: Bench, agree: bool) -> None:
    bench.editor.answer = lambda q: q.choices[0] if agree else "Cancel"
    bench.fake.queue(fault("status", status=500), fault("status", status=500),
                     Reply(tool_calls=[call("propose_edit", path="app/store.py", old_text="def load(path):",
                                            new_text="def load(path: str):")]),
                     Reply(text="done"))
    report = await bench.run()
    [question] = bench.editor.questions
    assert question.purpose == "fallback" and question.choices[0].startswith("Try ")
    assert "anthropic" in bench.editor.messages("error")[0] and "server_error" in bench.editor.messages("error")[0]
    if agree:
        assert report.outcome == "applied" and report.summary["fallback_from"]["outcome"] == "error"
        assert report.summary["model"] != HAIKU and len(report.attempts) == 2
        assert [r["outcome"] for r in bench.rows()] == ["error", "applied"]
    else:
        assert report.outcome == "error" and report.summary["error_kind"] == "server_error"
        assert report.conclusion == "error" and [r["outcome"] for r in bench.rows()] == ["error"]


async def test_a_model_that_is_not_here_is_refused_before_anything(bench: Bench) -> None:
    with pytest.raises(RunRefused, match="not in the catalog"):
        await run_action(bench.session, bench.editor, bench.action(), "no-such-model")
    assert not bench.rows()


async def test_a_strategy_that_cannot_run_is_refused_clearly_before_any_call(bench: Bench) -> None:
    with pytest.raises(RunRefused, match="needs at least two models"):
        await run_action(bench.session, bench.editor, bench.action(), HAIKU, strategy="cascade")
    assert not bench.fake.model_requests() and not bench.rows()
    assert "needs at least two models" in bench.editor.messages("error")[-1]


async def test_a_missing_key_tells_which_variable_to_set(bench: Bench) -> None:
    bench.engine.env = {k: v for k, v in bench.env().items() if k != "ANTHROPIC_API_KEY"}
    report = await bench.run()
    assert report.outcome == "error" and "ANTHROPIC_API_KEY" in bench.editor.messages("error")[-1]
    assert not bench.fake.model_requests()


async def test_a_loose_file_reads_only_itself_and_runs_no_command(bench: Bench) -> None:
    (bench.root / ".bashrc").write_text("export SECRET=1\n")
    bench.fake.queue(
        Reply(tool_calls=[call("read_file", path=".bashrc"), call("propose_command", command="echo hi", reason="r")]),
        Reply(text="done"),
    )
    report = await bench.run(bench.action(loose=True, line=10, end=(11, 40), instruction="Explain this code"), MINI)
    assert report.outcome == "answered"
    tool_results = bench.fake.model_requests()[1].raw_without_auth()
    assert "outside every workspace folder" in tool_results and "SECRET" not in tool_results
    assert report.denied_commands == ["echo hi"]
    assert not bench.editor.questions  # never asked: it cannot run


async def test_a_brief_is_added_to_the_first_message(bench: Bench) -> None:
    bench.fake.queue(Reply(text="ok"))
    await bench.run(bench.action(line=10, end=(11, 40), instruction="Explain this code",
                                 brief="Reading the notebook: cells joined."), MINI)
    assert "Reading the notebook: cells joined." in bench.fake.model_requests()[0].raw_without_auth()


async def test_a_symlink_out_of_the_workspace_or_to_a_withheld_file_is_refused(bench: Bench) -> None:
    outside = bench.home / "outside.txt"
    outside.write_text("HOST SECRET\n")
    (bench.root / "link.txt").symlink_to(outside)
    (bench.root / ".env").write_text("TOKEN=abc\n")
    (bench.root / "env.txt").symlink_to(bench.root / ".env")
    bench.user_file.write_text(bench.user_toml + '\n[privacy]\nexclude = [".env"]\n')
    bench.fake.queue(Reply(tool_calls=[call("read_file", path="link.txt"), call("read_file", path="env.txt")]),
                     Reply(text="done"))
    await bench.run(bench.action(line=10, end=(11, 40), instruction="Explain this code"), MINI)
    sent = bench.fake.model_requests()[1].raw_without_auth()
    assert "HOST SECRET" not in sent and "TOKEN=abc" not in sent
    assert "resolves outside the workspace" in sent and "privacy.exclude" in sent
