import * as assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import {
  FolderInput,
  RawSettings,
  chooseInterpreter,
  expandVariables,
  importStrategy,
  needsRestart,
  planServer,
  serverCommand,
  serverOptions,
} from "../config";

const context = { workspaceFolder: "/work/project", home: "/home/ada", env: { VENV: "/opt/venv" }, platform: "linux" as const };

test("the torchls.interpreter setting wins, with variables expanded", () => {
  const chosen = chooseInterpreter(["${workspaceFolder}/.venv/bin/python"], ["/usr/bin/python3.12"], context);
  assert.deepEqual(chosen, { argv: ["/work/project/.venv/bin/python"], source: "torchls.interpreter" });
});

test("without the setting, the Python extension's interpreter is used", () => {
  assert.deepEqual(chooseInterpreter([], ["/usr/bin/python3.12"], context), {
    argv: ["/usr/bin/python3.12"],
    source: "Python extension",
  });
});

test("without either, python3 from PATH (python on Windows)", () => {
  assert.deepEqual(chooseInterpreter(undefined, undefined, context), { argv: ["python3"], source: "PATH" });
  assert.deepEqual(chooseInterpreter([], [], { ...context, platform: "win32" }), { argv: ["python"], source: "PATH" });
});

test("a malformed interpreter setting is ignored, not used", () => {
  assert.equal(chooseInterpreter("/usr/bin/python3", undefined, context).source, "PATH");
  assert.equal(chooseInterpreter([3], undefined, context).source, "PATH");
});

test("variables: workspaceFolder, userHome, env, ~; unknown ones are left alone", () => {
  assert.equal(expandVariables("${env:VENV}/bin/python", context), "/opt/venv/bin/python");
  assert.equal(expandVariables("${env:MISSING}x", context), "x");
  assert.equal(expandVariables("~/venv/bin/python", context), "/home/ada/venv/bin/python");
  assert.equal(expandVariables("${userHome}/py", context), "/home/ada/py");
  assert.equal(expandVariables("${workspaceFolder}/py", { ...context, workspaceFolder: undefined }), "${workspaceFolder}/py");
  assert.equal(expandVariables("${config:python.path}", context), "${config:python.path}");
});

test("bundled server: the extension's launcher in the chosen interpreter", () => {
  const interpreter = { argv: ["/usr/bin/env", "python3"], source: "torchls.interpreter" as const };
  assert.deepEqual(serverCommand(interpreter, "useBundled", "/ext"), {
    command: "/usr/bin/env",
    args: ["python3", path.join("/ext", "bundled", "tool", "serve.py")],
  });
  assert.deepEqual(serverCommand(interpreter, "fromEnvironment", "/ext"), {
    command: "/usr/bin/env",
    args: ["python3", "-m", "torchls", "serve"],
  });
});

test("import strategy defaults to the bundled server", () => {
  assert.equal(importStrategy(undefined), "useBundled");
  assert.equal(importStrategy("bogus"), "useBundled");
  assert.equal(importStrategy("fromEnvironment"), "fromEnvironment");
});

const env = { home: "/home/ada", env: {}, platform: "linux" as const };
const windowOnly = (settings: RawSettings, pythonExtension?: string[]): FolderInput => ({ settings, pythonExtension });
const folder = (name: string, settings: RawSettings = {}, pythonExtension?: string[]): FolderInput => ({
  uri: `file:///work/${name}`,
  fsPath: `/work/${name}`,
  settings,
  pythonExtension,
});

test("no folder: the window's interpreter and only the rule settings that are set", () => {
  const window = windowOnly({ select: [], ignore: [], severity: {}, debounceMs: 150 }, ["/venv/bin/python"]);
  assert.deepEqual(serverOptions(window, [], env), { python: "/venv/bin/python", debounceMs: 150 });
  const ruled = windowOnly({ select: ["TL001"], ignore: ["TL002"], severity: { TL001: "error" }, debounceMs: 0 }, ["/venv/bin/python"]);
  assert.deepEqual(serverOptions(ruled, [], env), {
    python: "/venv/bin/python",
    select: ["TL001"],
    ignore: ["TL002"],
    severity: { TL001: "error" },
    debounceMs: 0,
  });
});

test("python3 from PATH is not sent: the server analyses the interpreter it runs in, or the folder's .venv", () => {
  assert.deepEqual(serverOptions(windowOnly({}), [], env), {});
  assert.deepEqual(serverOptions(windowOnly({}), [folder("a")], env), { folders: [{ uri: "file:///work/a" }] });
});

test("one folder: its Python-extension interpreter is analysed there", () => {
  const options = serverOptions(windowOnly({}), [folder("a", {}, ["/work/a/.venv/bin/python"])], env);
  assert.deepEqual(options, { folders: [{ uri: "file:///work/a", python: "/work/a/.venv/bin/python" }] });
});

test("several folders: each folder is sent its own interpreter, not the first folder's for all", () => {
  const folders = [folder("a", {}, ["/work/a/.venv/bin/python"]), folder("b", {}, ["/opt/conda/envs/b/bin/python"]), folder("c")];
  assert.deepEqual(serverOptions(windowOnly({ debounceMs: 100 }), folders, env), {
    debounceMs: 100,
    folders: [
      { uri: "file:///work/a", python: "/work/a/.venv/bin/python" },
      { uri: "file:///work/b", python: "/opt/conda/envs/b/bin/python" },
      { uri: "file:///work/c" }, // no selection: the server finds c's own .venv
    ],
  });
});

test("a folder's torchls.interpreter wins over its Python-extension interpreter, ${workspaceFolder} being that folder", () => {
  const folders = [
    folder("a", { interpreter: ["${workspaceFolder}/env/bin/python"] }, ["/usr/bin/python3"]),
    folder("b", {}, ["/work/b/.venv/bin/python"]),
  ];
  assert.deepEqual(serverOptions(windowOnly({}), folders, env).folders, [
    { uri: "file:///work/a", python: "/work/a/env/bin/python" },
    { uri: "file:///work/b", python: "/work/b/.venv/bin/python" },
  ]);
});

test("each folder's rule settings go with it; the window's are the top level", () => {
  const folders = [folder("a", { select: ["TL001"], severity: { TL001: "hint" } }), folder("b", { ignore: ["TL002"] })];
  assert.deepEqual(serverOptions(windowOnly({ ignore: ["TL001"] }), folders, env), {
    ignore: ["TL001"],
    folders: [
      { uri: "file:///work/a", select: ["TL001"], severity: { TL001: "hint" } },
      { uri: "file:///work/b", ignore: ["TL002"] },
    ],
  });
});

test("the server runs in the first folder's interpreter, from that folder", () => {
  const folders = [folder("a", {}, ["/work/a/.venv/bin/python"]), folder("b", { interpreter: ["/opt/b/bin/python"] })];
  const plan = planServer(windowOnly({ importStrategy: "fromEnvironment" }), folders, "/ext", env);
  assert.deepEqual([plan.command, plan.cwd, plan.strategy], [
    { command: "/work/a/.venv/bin/python", args: ["-m", "torchls", "serve"] },
    "/work/a",
    "fromEnvironment",
  ]);
  assert.deepEqual(planServer(windowOnly({}, ["/usr/bin/python3.12"]), [], "/ext", env).command.command, "/usr/bin/python3.12");
});

test("another interpreter in a folder that does not run the server is sent, not restarted", () => {
  const before = planServer(windowOnly({}), [folder("a", {}, ["/a/python"]), folder("b", {}, ["/b/python"])], "/ext", env);
  const otherSecond = planServer(windowOnly({}), [folder("a", {}, ["/a/python"]), folder("b", {}, ["/b2/python"])], "/ext", env);
  const otherFirst = planServer(windowOnly({}), [folder("a", {}, ["/a2/python"]), folder("b", {}, ["/b/python"])], "/ext", env);
  const otherStrategy = planServer(
    windowOnly({ importStrategy: "fromEnvironment" }),
    [folder("a", {}, ["/a/python"]), folder("b", {}, ["/b/python"])],
    "/ext",
    env,
  );
  assert.equal(needsRestart(before, otherSecond), false);
  assert.equal(otherSecond.options.folders?.[1].python, "/b2/python");
  assert.equal(needsRestart(before, otherFirst), true);
  assert.equal(needsRestart(before, otherStrategy), true);
  assert.equal(needsRestart(undefined, before), true);
});
