// window/showMessageRequest as a modal dialog: the server asks it before a shell command runs
// (approval) or a costly run starts, and a toast that fades away is no place for that answer.
// Plain module: the dialog function is passed in.

export interface MessageActionItem {
  title: string;
  [key: string]: string | boolean | number | object;
}

export interface ShowMessageRequestParams {
  type: number; // 1 error, 2 warning, 3 info, 4 log
  message: string;
  actions?: MessageActionItem[];
}

export type Severity = "error" | "warning" | "info";

/** Shows a modal dialog; resolves to the chosen title, undefined when dismissed. */
export type ModalDialog = (severity: Severity, message: string, detail: string | undefined, titles: string[]) => Thenable<string | undefined>;

export function severity(type: number): Severity {
  return type === 1 ? "error" : type === 2 ? "warning" : "info";
}

/** First line as the dialog's heading, the rest (the command, its sub-commands, the sandbox) as detail. */
export function splitMessage(message: string): { message: string; detail: string | undefined } {
  const text = message.trim();
  const cut = text.indexOf("\n");
  if (cut < 0) return { message: text, detail: undefined };
  const rest = text.slice(cut + 1).trim();
  return { message: text.slice(0, cut).trim(), detail: rest.length > 0 ? rest : undefined };
}

/** The handler body: the chosen action item (the server's own object), or null when dismissed. */
export async function answerModally(params: ShowMessageRequestParams, dialog: ModalDialog): Promise<MessageActionItem | null> {
  const actions = params.actions ?? [];
  const { message, detail } = splitMessage(params.message);
  const chosen = await dialog(severity(params.type), message, detail, actions.map((a) => a.title));
  if (chosen === undefined) return null;
  return actions.find((a) => a.title === chosen) ?? null;
}
