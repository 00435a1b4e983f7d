// The command flows (route a selection, explain, spend, cancel, objective) over two small
// interfaces, so tests drive them with fakes and extension.ts adapts them to VS Code.
import { errorMessage, pickItems, type PickItem } from "./format";
import {
  OBJECTIVES,
  SERVER_COMMANDS,
  actionArgs,
  type DecisionJson,
  type LspRange,
  type Objective,
  type ReportJson,
  type StatusJson,
} from "./protocol";

export interface Server {
  /** workspace/executeCommand with one JSON object argument. */
  execute<T>(command: string, args: object, title?: string): Promise<T>;
  /** Whether the server advertised the command in executeCommandProvider. */
  supports(command: string): boolean;
}

export interface Ui {
  input(prompt: string, value: string | undefined): Promise<string | undefined>;
  pick<T extends { label: string }>(items: T[], placeholder: string): Promise<T | undefined>;
  info(message: string): void;
  error(message: string): void;
  showReport(report: ReportJson): void;
  showMarkdown(markdown: string): Promise<void>;
  /** Fallback for switching the objective when the server has no setObjective command. */
  setObjectiveSetting(objective: Objective): Promise<void>;
}

export interface Selection {
  uri: string;
  range: LspRange;
  /** The directive's instruction when the cursor is on a directive line. */
  suggested?: string;
}

const PROMPT = "What should the model do? (e.g. 'add type hints', 'why does this fail?')";

function missing(command: string): string {
  return `This modelroute server does not offer ${command}; upgrade it (pipx install --force /path/to/a/newer/modelroute checkout).`;
}

async function call<T>(server: Server, ui: Ui, command: string, args: object, title?: string): Promise<T | undefined> {
  if (!server.supports(command)) {
    ui.error(missing(command));
    return undefined;
  }
  try {
    return await server.execute<T>(command, args, title);
  } catch (err) {
    const text = errorMessage(err);
    if (!/cancel/i.test(text)) ui.error(`modelroute: ${text}`);
    return undefined;
  }
}

/** Input box -> modelroute.route -> quick pick of candidates -> modelroute.run. Returns the model run. */
export async function routeSelection(server: Server, ui: Ui, sel: Selection): Promise<string | undefined> {
  const instruction = (await ui.input(PROMPT, sel.suggested))?.trim();
  if (!instruction) return undefined;
  const args = actionArgs(sel.uri, sel.range, instruction);
  const decision = await call<DecisionJson>(server, ui, SERVER_COMMANDS.route, args, "modelroute: routing…");
  if (!decision) return undefined;
  const items = pickItems(decision);
  const placeholder = `${decision.category} (confidence ${Math.round(decision.confidence * 100)}%): pick the model to run`;
  const picked = await ui.pick<PickItem>(items, placeholder);
  if (!picked) return undefined;
  if (!picked.available) {
    ui.error(`modelroute: ${picked.model} cannot run here: ${picked.detail.replace(/^not available: /, "")}`);
    return undefined;
  }
  const result = await call<unknown>(server, ui, SERVER_COMMANDS.run, actionArgs(sel.uri, sel.range, instruction, picked.model));
  if (result && typeof result === "object" && typeof (result as { message?: unknown }).message === "string") {
    ui.info(`modelroute: ${(result as { message: string }).message}`);
  }
  return picked.model;
}

/** Input box -> modelroute.explainRoute; the server opens its reasons document where it can. */
export async function whyThisModel(server: Server, ui: Ui, sel: Selection): Promise<void> {
  const instruction = (await ui.input(PROMPT, sel.suggested))?.trim();
  if (!instruction) return;
  const result = await call<{ markdown?: string; shown_document?: boolean }>(
    server,
    ui,
    SERVER_COMMANDS.explainRoute,
    actionArgs(sel.uri, sel.range, instruction),
    "modelroute: explaining the route…",
  );
  if (result && !result.shown_document && typeof result.markdown === "string") await ui.showMarkdown(result.markdown);
}

export async function showSpend(server: Server, ui: Ui): Promise<void> {
  const report = await call<ReportJson>(server, ui, SERVER_COMMANDS.report, {}, "modelroute: reading the ledger…");
  if (report) ui.showReport(report);
}

export async function cancelRun(server: Server, ui: Ui): Promise<void> {
  await call<unknown>(server, ui, SERVER_COMMANDS.cancelRun, {});
}

/** Quick pick of the three objectives; the server's setObjective, else the workspace setting. */
export async function switchObjective(server: Server, ui: Ui, current: string | undefined): Promise<Objective | undefined> {
  const descriptions: Record<Objective, string> = {
    quality: "the strongest model for each category",
    balanced: "quality per dollar",
    cost: "the cheapest model that is good enough",
  };
  const items = OBJECTIVES.map((o) => ({
    label: o,
    description: o === current ? `${descriptions[o]} (current)` : descriptions[o],
    objective: o,
  }));
  const picked = await ui.pick(items, "Routing objective for this workspace");
  if (!picked) return undefined;
  if (server.supports(SERVER_COMMANDS.setObjective)) {
    try {
      await server.execute(SERVER_COMMANDS.setObjective, { objective: picked.objective });
    } catch (err) {
      ui.error(`modelroute: ${errorMessage(err)}`);
      return undefined;
    }
  } else {
    await ui.setObjectiveSetting(picked.objective);
  }
  return picked.objective;
}

export async function fetchStatus(server: Server): Promise<StatusJson | undefined> {
  if (!server.supports(SERVER_COMMANDS.status)) return undefined;
  try {
    return await server.execute<StatusJson>(SERVER_COMMANDS.status, {});
  } catch {
    return undefined;
  }
}
