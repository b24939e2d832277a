/**
 * What the extension decides from settings, without VS Code: each folder's interpreter, the server command,
 * the options sent to the server, and which changes need a new server process. Kept free of the `vscode` module so
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

/** One workspace folder's options for the server: its interpreter and the rule settings set there. */
export interface FolderOptions {
  uri: string;
  python?: string;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
}

/** The options torchls reads from `initializationOptions` and `workspace/didChangeConfiguration`. */
export interface ServerOptions {
  python?: string;
  select?: string[];
  ignore?: string[];
  severity?: Record<string, string>;
  debounceMs?: number;
  folders?: FolderOptions[];
}

/** What the extension reads for one workspace folder (or for the window, without `uri`). */
export interface FolderInput {
  uri?: string; // the folder's URI as VS Code prints it (`file:///...`)
  fsPath?: string;
  settings: RawSettings; // `torchls.*` as they apply to this folder
  pythonExtension?: string[]; // the Python extension's interpreter for this folder
}

export interface Context {
  home: string;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** The server to run and what to tell it. */
export interface ServerPlan {
  interpreter: Interpreter; // runs the server
  strategy: ImportStrategy;
  command: ServerCommand;
  cwd?: string;
  options: ServerOptions;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

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
 * The interpreter the server is told to analyse, if any. A bare `python3` from PATH is not sent: the
 * server would analyse its own interpreter, or better, the folder's own `.venv` it finds.
 */
export function analysedInterpreter(interpreter: Interpreter): string | undefined {
  return interpreter.source === "PATH" ? undefined : interpreter.argv[0];
}

/** The interpreter of one folder (or of the window): its torchls.interpreter, its Python-extension selection, PATH. */
export function folderInterpreter(folder: FolderInput, context: Context): Interpreter {
  return chooseInterpreter(folder.settings.interpreter, folder.pythonExtension, { ...context, workspaceFolder: folder.fsPath });
}

/** The rule settings that are set (an empty list or table means "the project's choice"). */
function ruleSettings(settings: RawSettings): Pick<ServerOptions, "select" | "ignore" | "severity"> {
  const rules: Pick<ServerOptions, "select" | "ignore" | "severity"> = {};
  const select = stringList(settings.select);
  const ignore = stringList(settings.ignore);
  if (select) rules.select = select;
  if (ignore) rules.ignore = ignore;
  const severity = settings.severity;
  if (severity && typeof severity === "object" && !Array.isArray(severity) && Object.keys(severity).length > 0) {
    rules.severity = severity as Record<string, string>;
  }
  return rules;
}

/**
 * The server's options. Each workspace folder gets its own entry with its own interpreter and rule
 * settings, as VS Code resolves them for that folder (a multi-root workspace has one Python-extension
 * selection and one `torchls.*` per folder); the top level is the window's, for files outside every folder.
 */
export function serverOptions(window: FolderInput, folders: FolderInput[], context: Context): ServerOptions {
  const options: ServerOptions = {};
  const python = folders.length === 0 ? analysedInterpreter(folderInterpreter(window, context)) : undefined;
  if (python !== undefined) options.python = python;
  Object.assign(options, ruleSettings(window.settings));
  if (typeof window.settings.debounceMs === "number") options.debounceMs = window.settings.debounceMs;
  if (folders.length > 0) {
    options.folders = folders.map((folder) => {
      const entry: FolderOptions = { uri: folder.uri ?? "" };
      const folderPython = analysedInterpreter(folderInterpreter(folder, context));
      if (folderPython !== undefined) entry.python = folderPython;
      return { ...entry, ...ruleSettings(folder.settings) };
    });
  }
  return options;
}

/**
 * The server to start: it runs in the first folder's interpreter (the window's without folders), from
 * the first folder; every folder's files are analysed with their own folder's interpreter.
 */
export function planServer(window: FolderInput, folders: FolderInput[], extensionPath: string, context: Context): ServerPlan {
  const first = folders[0] ?? window;
  const interpreter = folderInterpreter(first, context);
  const strategy = importStrategy(window.settings.importStrategy);
  return {
    interpreter,
    strategy,
    command: serverCommand(interpreter, strategy, extensionPath),
    cwd: first.fsPath,
    options: serverOptions(window, folders, context),
  };
}

/** Whether going from `running` to `next` needs a new server process; else the new options are sent to it. */
export function needsRestart(running: ServerPlan | undefined, next: ServerPlan): boolean {
  if (!running) return true;
  const same = (a: ServerPlan) => JSON.stringify([a.command.command, a.command.args, a.cwd]);
  return same(running) !== same(next);
}
