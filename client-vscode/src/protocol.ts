// The server's executeCommand contract (docs/clients/generic.md) and the JSON it answers with.
// Plain module: no `vscode` import, so unit tests load it directly.

export const SERVER_COMMANDS = {
  route: "modelroute.route",
  run: "modelroute.run",
  explainRoute: "modelroute.explainRoute",
  status: "modelroute.status",
  setObjective: "modelroute.setObjective",
  report: "modelroute.report",
  cancelRun: "modelroute.cancelRun",
} as const;

/**
 * Documents the language client attaches the server to: files, and the cells of any notebook
 * (`{scheme: "file"}` alone gave notebook cells no code actions in real VS Code).
 */
export const DOCUMENT_SELECTOR = [
  { scheme: "file" },
  { notebook: "*", language: "*" },
] as const;

/** Commands that can spend: once one finishes, the status bar's spend is stale. */
export const SPENDING_COMMANDS: ReadonlySet<string> = new Set([SERVER_COMMANDS.run]);

export const OBJECTIVES = ["quality", "balanced", "cost"] as const;
export type Objective = (typeof OBJECTIVES)[number];

export interface LspPosition {
  line: number;
  character: number;
}

export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}

export interface ActionArgs {
  uri: string;
  range: LspRange;
  instruction: string;
  model?: string;
}

export interface Alternative {
  model: string;
  provider?: string;
  estimated_cost_usd: number;
  score: number;
  quality?: number;
  available?: boolean;
}

export interface CandidateJson {
  model: string;
  score: number;
  quality?: number;
  estimated_cost_usd: number;
  eligible?: boolean;
  available?: boolean;
  blocked_by?: string[];
  setup_hint?: string | null;
}

export interface DecisionJson {
  category: string;
  confidence: number;
  model: string;
  display_name?: string;
  provider: string;
  estimated_cost_usd: number;
  estimated_cost_range_usd: [number, number];
  estimated_tokens: { input: number; output: number };
  alternatives: Alternative[];
  reasons: string[];
  notes?: string[];
  candidates?: CandidateJson[];
}

export interface StatusJson {
  objective: string;
  /** Absent when the ledger cannot be read (`ledger_error` says why): the spend is unknown. */
  spent_today_usd?: number;
  daily_usd: number | null;
  spent_month_usd?: number;
  monthly_usd?: number | null;
  ledger_error?: string;
}

export interface DaySpend {
  day: string;
  runs?: number;
  usd: number;
}

export interface ModelSpend {
  model: string;
  provider?: string;
  runs?: number;
  usd: number;
  input_tokens?: number;
  output_tokens?: number;
}

export interface CategorySpend {
  category: string;
  runs?: number;
  usd: number;
}

/** `modelroute report --json` (server/modelroute/ledger/report.py); `by_day_model` is optional. */
export interface ReportJson {
  since?: string | null;
  until?: string;
  run_count?: number;
  total_usd: number;
  reserved_usd?: number;
  by_day: DaySpend[];
  by_model: ModelSpend[];
  by_category?: CategorySpend[];
  by_day_model?: { day: string; model: string; usd: number }[];
}

export function actionArgs(uri: string, range: LspRange, instruction: string, model?: string): ActionArgs {
  const args: ActionArgs = { uri, range, instruction: instruction.trim() };
  if (model !== undefined) args.model = model;
  return args;
}

/** A directive comment on the line (`# do this AI!`): its instruction, to pre-fill the input box. */
export function directiveInstruction(lineText: string): string | undefined {
  const comment = /(?:\/\/|#|--|;+|<!--|\/\*|%)\s*(.*?)\s*(?:-->|\*\/)?\s*$/.exec(lineText);
  if (!comment) return undefined;
  const body = comment[1];
  const match = /^(?:AI[!?]\s*)?(.*?)(?:\s*AI[!?])?$/i.exec(body);
  if (!match || !/(^AI[!?])|(AI[!?]$)/i.test(body)) return undefined;
  const text = match[1].trim();
  return text.length > 0 ? text : undefined;
}
