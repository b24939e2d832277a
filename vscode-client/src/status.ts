/** The status bar item: what the server is doing; a click opens the log. */
import * as vscode from "vscode";

export type ServerState =
  | { kind: "starting" }
  | { kind: "indexing" }
  | { kind: "ready"; python?: string; torch?: string | null; problem?: string | null }
  | { kind: "error"; message: string }
  | { kind: "untrusted" }
  | { kind: "stopped" };

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("torchls.status", vscode.StatusBarAlignment.Left, 0);

  constructor() {
    this.item.name = "torchls";
    this.item.command = "torchls.showLogs";
  }

  show(state: ServerState): void {
    const { text, tooltip, background } = describe(state);
    this.item.text = text;
    this.item.tooltip = `${tooltip}\n\nClick to show the torchls log.`;
    this.item.backgroundColor = background ? new vscode.ThemeColor(background) : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}

function describe(state: ServerState): { text: string; tooltip: string; background?: string } {
  switch (state.kind) {
    case "starting":
      return { text: "$(sync~spin) torchls", tooltip: "torchls: starting the server" };
    case "indexing":
      return { text: "$(sync~spin) torchls: indexing torch", tooltip: "torchls: loading torch's types into jedi" };
    case "ready":
      if (state.problem) {
        return { text: "$(warning) torchls", tooltip: state.problem, background: "statusBarItem.warningBackground" };
      }
      return {
        text: "$(check) torchls",
        tooltip: `torchls: ready\nPython: ${state.python ?? "?"}\ntorch: ${state.torch ?? "not installed"}`,
      };
    case "error":
      return { text: "$(error) torchls", tooltip: state.message, background: "statusBarItem.errorBackground" };
    case "untrusted":
      return {
        text: "$(shield) torchls",
        tooltip: "torchls is off in Restricted Mode: it runs a Python interpreter, so it starts once you trust this workspace.",
      };
    case "stopped":
      return { text: "$(circle-slash) torchls", tooltip: "torchls: server stopped" };
  }
}
