import assert from "node:assert/strict";
import { test } from "node:test";
import { answerModally, severity, splitMessage, type ModalDialog } from "../src/approval";

test("the approval request becomes a modal dialog with the command as detail", async () => {
  const seen: unknown[] = [];
  const dialog: ModalDialog = async (sev, message, detail, titles) => {
    seen.push({ sev, message, detail, titles });
    return "Allow once";
  };
  const actions = [{ title: "Allow once", id: "once" }, { title: "Always allow", id: "always" }, { title: "Deny", id: "deny" }];
  const answer = await answerModally(
    { type: 2, message: "Run this command in the sandbox?\n$ pytest -q\n(workspace-write, no network)", actions },
    dialog,
  );
  assert.deepEqual(answer, { title: "Allow once", id: "once" }, "the server's own action object comes back");
  assert.deepEqual(seen, [
    {
      sev: "warning",
      message: "Run this command in the sandbox?",
      detail: "$ pytest -q\n(workspace-write, no network)",
      titles: ["Allow once", "Always allow", "Deny"],
    },
  ]);
});

test("dismissing the dialog answers null (the server treats it as a refusal)", async () => {
  const answer = await answerModally({ type: 3, message: "Go?", actions: [{ title: "Yes" }] }, async () => undefined);
  assert.equal(answer, null);
});

test("severity and message splitting", () => {
  assert.equal(severity(1), "error");
  assert.equal(severity(4), "info");
  assert.deepEqual(splitMessage("one line"), { message: "one line", detail: undefined });
});
