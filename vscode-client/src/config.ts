/**
 * What the extension decides from settings, without VS Code: the interpreter, the server command, the
 * options sent to the server, and which setting changes need a restart. Kept free of the `vscode` module so
 * the unit tests run under plain Node.
 */
import * as path from "path";

/** The `torchls.*` settings as VS Code returns them (types unchecked: users edit settings.json by hand). */
export interface RawSettings {
  interpreter?: unknown;
  importStrategy?: unknown;
  select?: unknown;
  ignore?: unknown;
  severity?: unknown;
  debounceMs?: unknown;
}

export type ImportStrategy = "useBundled" | "fromEnvironment";

/** Where the interpreter came from, shown in the log and the status bar tooltip. */
export type InterpreterSource = "torchls.interpreter" | "Python extension" | "PATH";

export interface Interpreter {
  argv: string[];
  source: InterpreterSource;
}

/** The options torchls reads from `initializationOptions` and `workspace/didChangeConfiguration`. */
export interface ServerOptions {
  python?: string;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
  debounceMs?: number;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/** Settings whose change needs a new server process; the others are sent to the running one. */
export const RESTART_SETTINGS = ["torchls.interpreter", "torchls.importStrategy"];

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string") ? value : undefined;
}

/** Replace `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` as VS Code users expect. */
export function expandVariables(
  value: string,
  context: { workspaceFolder?: string; home: string; env: NodeJS.ProcessEnv },
): string {
  let expanded = value.replace(/\$\{(workspaceFolder|userHome|env:([^}]+))\}/g, (match, name: string, variable?: string) => {
    if (variable !== undefined) return context.env[variable] ?? "";
    if (name === "userHome") return context.home;
    return context.workspaceFolder ?? match;
  });
  if (expanded === "~" || expanded.startsWith("~/")) expanded = context.home + expanded.slice(1);
  return expanded;
}

/**
 * The interpreter that runs the server and whose packages are analysed: the `torchls.interpreter` setting,
 * then the Python extension's selected interpreter, then `python3` (`python` on Windows) on PATH.
 */
export function chooseInterpreter(
  setting: unknown,
  fromPythonExtension: string[] | undefined,
  context: { workspaceFolder?: string; home: string; env: NodeJS.ProcessEnv; platform: NodeJS.Platform },
): Interpreter {
  const configured = stringList(setting);
  if (configured) {
    return { argv: configured.map((part) => expandVariables(part, context)), source: "torchls.interpreter" };
  }
  if (fromPythonExtension && fromPythonExtension.length > 0) {
    return { argv: fromPythonExtension, source: "Python extension" };
  }
  return { argv: [context.platform === "win32" ? "python" : "python3"], source: "PATH" };
}

export function importStrategy(value: unknown): ImportStrategy {
  return value === "fromEnvironment" ? "fromEnvironment" : "useBundled";
}

/**
 * How to start the server. Bundled: a launcher that puts the extension's `bundled/libs` first on `sys.path`
 * (not PYTHONPATH, which jedi's subprocess would inherit and mix into the analysed environment).
 */
export function serverCommand(interpreter: Interpreter, strategy: ImportStrategy, extensionPath: string): ServerCommand {
  const [command, ...prefix] = interpreter.argv;
  if (strategy === "useBundled") {
    return { command, args: [...prefix, path.join(extensionPath, "bundled", "tool", "serve.py")] };
  }
  return { command, args: [...prefix, "-m", "torchls", "serve"] };
}

/**
 * The interpreter the server is told to analyse in every folder, if any. A bare `python3` from PATH is not
 * sent: the server runs in it and analyses its own interpreter by default. In a multi-root workspace the
 * Python extension's selection is one folder's: sent, it would win over every other folder's own `.venv`,
 * so the server is left to find each folder's environment. `torchls.interpreter` is the user's explicit
 * choice for the whole window and is always sent.
 */
export function analysedInterpreter(interpreter: Interpreter, folderCount: number): string | undefined {
  if (interpreter.source === "PATH") return undefined;
  if (interpreter.source === "Python extension" && folderCount > 1) return undefined;
  return interpreter.argv[0];
}

/** The server's options: the interpreter to analyse (see `analysedInterpreter`) and the rule settings set. */
export function serverOptions(settings: RawSettings, interpreter: Interpreter, folderCount = 1): ServerOptions {
  const python = analysedInterpreter(interpreter, folderCount);
  const options: ServerOptions = python === undefined ? {} : { python };
  const select = stringList(settings.select);
  const ignore = stringList(settings.ignore);
  if (select) options.select = select;
  if (ignore) options.ignore = ignore;
  const severity = settings.severity;
  if (severity && typeof severity === "object" && !Array.isArray(severity) && Object.keys(severity).length > 0) {
    options.severity = severity as Record<string, string>;
  }
  if (typeof settings.debounceMs === "number") options.debounceMs = settings.debounceMs;
  return options;
}
