// End-to-end test of the torchls extension in a real VS Code (code-server) driven by Debian's chromium.
//
// Installs the .vsix into a fresh code-server, opens E2E_WORKSPACE, opens train.py, and checks what a user
// sees: the squiggle, the Problems entry with torchls's message, the status bar, the hover; then applies the
// quick fix with Ctrl+. and Enter, saves with Ctrl+S, and waits for the squiggle to go. The test runner
// (tests/editors/test_vscode.py) then checks the file on disk. Screenshots go to E2E_ARTIFACTS.
//
// With E2E_MODE=trust the workspace starts untrusted instead: the status bar must say that torchls is off in
// Restricted Mode and no diagnostics may appear; after "Trust" the server starts and the squiggle appears.
// With E2E_MODE=notebook it opens train.ipynb: the bug in the last cell uses a model made in the first one.
// With E2E_MODE=multiroot E2E_WORKSPACE is a .code-workspace of two folders, each with its own
// torchls.interpreter: first/train_a.py must be analysed with torch's interpreter, second/train_b.py with
// E2E_PLAIN_PYTHON (no torch: its hover says so and names that interpreter).
//
// Env: E2E_VSIX, E2E_WORKSPACE, E2E_HOME (scratch directory), E2E_ARTIFACTS, E2E_MODE (fix | trust | notebook | multiroot),
// E2E_CHROMIUM (default /usr/bin/chromium). Exit code names the failed step: 2 start, 3 diagnostics, 4 problems, 5 hover,
// 6 quick fix, 7 save, 8 status bar, 1 other.
"use strict";
const { spawn, spawnSync } = require("child_process");
const fs = require("fs");
const http = require("http");
const net = require("net");
const path = require("path");
const { chromium } = require("playwright-core");

const STEP_CODES = { start: 2, diagnostics: 3, problems: 4, hover: 5, quickfix: 6, save: 7, status: 8, trust: 9, notebook: 10, multiroot: 11 };
const CODE_SERVER = path.join(__dirname, "node_modules", ".bin", "code-server");
const T0 = Date.now();
const log = (message) => process.stderr.write(`[vscode-e2e ${((Date.now() - T0) / 1000).toFixed(1)}s] ${message}\n`);

class StepFailure extends Error {
  constructor(step, message) {
    super(`${step}: ${message}`);
    this.step = step;
  }
}

async function step(name, action) {
  try {
    return await action();
  } catch (error) {
    throw error instanceof StepFailure ? error : new StepFailure(name, error.message);
  }
}

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

function healthy(port) {
  return new Promise((resolve) => {
    http.get({ host: "127.0.0.1", port, path: "/healthz", timeout: 1000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    }).on("error", () => resolve(false));
  });
}

async function startCodeServer(home, workspace, vsix, trusted) {
  const userData = path.join(home, "user-data");
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({
      "workbench.startupEditor": "none",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "telemetry.telemetryLevel": "off",
      "workbench.enableExperiments": false,
      "workbench.tips.enabled": false,
      "workbench.editorAssociations": { "*.ipynb": "jupyter-notebook" },
    }),
  );
  const common = ["--user-data-dir", userData, "--extensions-dir", path.join(home, "extensions"), "--config", path.join(home, "code-server.yaml")];
  const install = spawnSync(CODE_SERVER, [...common, "--install-extension", vsix], { encoding: "utf8", timeout: 120000 });
  if (install.status !== 0) throw new StepFailure("start", `--install-extension failed: ${install.stderr}${install.stdout}`);
  log(`installed ${path.basename(vsix)}`);
  const port = await freePort();
  const server = spawn(
    CODE_SERVER,
    [...common, "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check", ...(trusted ? ["--disable-workspace-trust"] : []), workspace],
    { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: home } },
  );
  const serverLog = fs.createWriteStream(path.join(env("E2E_ARTIFACTS"), "code-server.log"));
  server.stdout.pipe(serverLog);
  server.stderr.pipe(serverLog);
  for (let i = 0; i < 300 && !(await healthy(port)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await healthy(port))) throw new StepFailure("start", "code-server did not answer /healthz within 30 s");
  log(`code-server on port ${port}`);
  const open = workspace.endsWith(".code-workspace") ? "workspace" : "folder";
  return { server, url: `http://127.0.0.1:${port}/?${open}=${encodeURIComponent(workspace)}` };
}

const SQUIGGLE = ".monaco-editor .squiggly-error";

/** Trusted workspace: diagnostic, Problems, status bar, hover, quick fix, save. */
async function fixFlow(page, shot, workspace) {
  await openFile(page);

  const squiggle = page.locator(SQUIGGLE).first();
  await step("diagnostics", () => squiggle.waitFor({ timeout: 90000 }));
  log("squiggle shown");

  const status = page.locator(".statusbar-item", { hasText: "torchls" }).first();
  await step("status", async () => {
    await status.waitFor({ timeout: 30000 });
    // Ready: the check-mark icon and no spinner, warning or error.
    await page.waitForFunction(
      () => [...document.querySelectorAll(".statusbar-item")].some((item) => item.textContent.includes("torchls") && item.querySelector(".codicon-check")),
      null,
      { timeout: 60000 },
    );
  });
  log(`status bar: ${(await status.getAttribute("aria-label")) ?? (await status.innerText())}`);

  await page.keyboard.press("Control+Shift+M");
  const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "is a method, not the parameters" }).first();
  await step("problems", () => problem.waitFor({ timeout: 30000 }));
  log(`problems: ${(await problem.innerText()).replace(/\s+/g, " ")}`);
  await shot("01-diagnostic");

  await step("hover", async () => {
    const box = await squiggle.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.locator(".monaco-hover", { hasText: "generator over all parameters" }).first().waitFor({ timeout: 30000 });
  });
  log(`hover: ${(await page.locator(".monaco-hover").first().innerText()).replace(/\s+/g, " ").slice(0, 300)}`);
  await shot("02-hover");

  await step("quickfix", async () => {
    const box = await squiggle.boundingBox();
    await page.mouse.move(0, 0);
    await page.mouse.click(box.x + 2, box.y + box.height / 2);
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+.");
    await page.locator(".action-widget .monaco-list-row", { hasText: "model.parameters()" }).first().waitFor({ timeout: 30000 });
    await shot("03-quickfix");
    await page.keyboard.press("Enter"); // the preferred fix is focused; clicking is blocked by the hover
    await page.locator(".monaco-editor .view-lines", { hasText: "model.parameters()" }).waitFor({ timeout: 30000 });
  });
  log("quick fix applied");

  await step("save", async () => {
    await page.keyboard.press("Control+S");
    const file = path.join(workspace, "train.py");
    for (let i = 0; i < 100 && !fs.readFileSync(file, "utf8").includes("model.parameters()"); i++) await new Promise((r) => setTimeout(r, 100));
    if (!fs.readFileSync(file, "utf8").includes("model.parameters()")) throw new Error("the file on disk was not fixed");
    await page.locator(SQUIGGLE).first().waitFor({ state: "detached", timeout: 30000 });
  });
  await shot("04-fixed");
  log("saved, squiggle gone");
}

async function openFile(page, name = "train.py") {
  await step("start", async () => {
    await page.locator(".explorer-folders-view .monaco-list-row", { hasText: name }).click({ timeout: 30000 });
    await page.waitForSelector(".monaco-editor .view-lines", { timeout: 30000 });
  });
  log(`${name} open`);
}

/** A notebook: the cells are analysed together, and the finding shows in its cell and in Problems. */
async function notebookFlow(page, shot) {
  // Open it once the extension host is up, else the editor falls back to showing the JSON text.
  await step("status", () => page.locator(".statusbar-item", { hasText: "torchls" }).first().waitFor({ timeout: 60000 }));
  await openFile(page, "train.ipynb");
  await step("notebook", () => page.locator(SQUIGGLE).first().waitFor({ timeout: 90000 }));
  await page.keyboard.press("Control+Shift+M");
  const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "is a method, not the parameters" }).first();
  await step("problems", () => problem.waitFor({ timeout: 30000 }));
  log(`problems: ${(await problem.innerText()).replace(/\s+/g, " ")}`);
  await shot("01-notebook");
}

/** Open a file of a multi-root workspace by name with Quick Open (Ctrl+P). */
async function quickOpen(page, name) {
  await step("start", async () => {
    await page.keyboard.press("Control+P");
    await page.keyboard.type(name);
    await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 30000 });
    await page.keyboard.press("Enter");
    await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor({ timeout: 30000 });
  });
  log(`${name} open`);
}

/** Hover the visible squiggle and return the hover's text once torchls's part of it is there. */
async function hoverText(page, expected) {
  const squiggle = page.locator(SQUIGGLE).filter({ visible: true }).first();
  await step("diagnostics", () => squiggle.waitFor({ timeout: 90000 }));
  return step("hover", async () => {
    await page.mouse.move(0, 0);
    const box = await squiggle.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const hover = page.locator(".monaco-hover", { hasText: expected }).first();
    await hover.waitFor({ timeout: 30000 });
    return (await hover.innerText()).replace(/\s+/g, " ");
  });
}

/** Two folders, two interpreters: each file is analysed with its own folder's. */
async function multirootFlow(page, shot) {
  const plainPython = env("E2E_PLAIN_PYTHON");
  await step("status", () => page.locator(".statusbar-item", { hasText: "torchls" }).first().waitFor({ timeout: 60000 }));
  await quickOpen(page, "train_a.py");
  const first = await hoverText(page, "generator over all parameters");
  log(`train_a.py hover: ${first.slice(0, 300)}`);
  if (first.includes("torch not found")) throw new StepFailure("multiroot", `train_a.py was analysed without torch: ${first}`);
  await shot("01-first-folder");
  await quickOpen(page, "train_b.py");
  const second = await hoverText(page, "torch not found in");
  log(`train_b.py hover: ${second.slice(0, 400)}`);
  if (!second.includes(`torch not found in ${plainPython}`)) {
    throw new StepFailure("multiroot", `train_b.py was not analysed with its folder's ${plainPython}: ${second}`);
  }
  await shot("02-second-folder");
  await page.mouse.move(0, 0);
  await page.keyboard.press("Control+Shift+M");
  await step("problems", async () => {
    for (const name of ["train_a.py", "train_b.py"]) {
      await page.locator(".markers-panel .monaco-list-row", { hasText: name }).first().waitFor({ timeout: 30000 });
    }
    const findings = page.locator(".markers-panel .monaco-list-row", { hasText: "is a method, not the parameters" });
    for (let i = 0; i < 300 && (await findings.count()) !== 2; i++) await page.waitForTimeout(100);
    if ((await findings.count()) !== 2) throw new Error(`${await findings.count()} findings in Problems, 2 expected`);
  });
  await shot("03-problems");
  log("each folder's file analysed with its own interpreter");
}

/** Untrusted workspace: torchls says it is off and reports nothing until the user trusts the folder. */
async function trustFlow(page, shot) {
  const shield = () =>
    page.waitForFunction(
      () => [...document.querySelectorAll(".statusbar-item")].some((item) => item.textContent.includes("torchls") && item.querySelector(".codicon-shield")),
      null,
      { timeout: 60000 },
    );
  await step("trust", async () => {
    // Close the trust dialog without trusting, then check the extension is in Restricted Mode.
    await page.getByRole("button", { name: /don't trust/i }).click({ timeout: 60000 });
    await shield();
  });
  await openFile(page);
  await page.waitForTimeout(5000); // long enough for a running server to have published
  if ((await page.locator(SQUIGGLE).count()) > 0) throw new StepFailure("trust", "diagnostics in an untrusted workspace");
  await shot("01-restricted");
  log("restricted mode: shield in the status bar, no diagnostics");
  await step("trust", async () => {
    await page.locator(".part.banner a", { hasText: "Manage" }).click({ timeout: 30000 }); // the Restricted Mode banner
    await page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust$/ }).first().click({ timeout: 30000 });
    await page.locator(".tabs-container .tab", { hasText: "train.py" }).click({ timeout: 30000 });
  });
  await step("diagnostics", () => page.locator(SQUIGGLE).first().waitFor({ timeout: 90000 }));
  await shot("02-trusted");
  log("trusted: the server started and the squiggle appeared");
}

async function run() {
  const workspace = env("E2E_WORKSPACE");
  const artifacts = env("E2E_ARTIFACTS");
  fs.mkdirSync(artifacts, { recursive: true });
  const mode = env("E2E_MODE", "fix");
  const { server, url } = await step("start", () => startCodeServer(env("E2E_HOME"), workspace, env("E2E_VSIX"), mode !== "trust"));
  const browser = await chromium.launch({
    executablePath: env("E2E_CHROMIUM", "/usr/bin/chromium"),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const shot = (name) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });
    await step("start", async () => {
      await page.goto(url);
      await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
    });
    try {
      const flows = {
        fix: () => fixFlow(page, shot, workspace),
        trust: () => trustFlow(page, shot),
        notebook: () => notebookFlow(page, shot),
        multiroot: () => multirootFlow(page, shot),
      };
      await flows[mode]();
    } catch (error) {
      await shot("failure").catch(() => undefined);
      throw error;
    }
    log("PASS");
  } finally {
    await browser.close().catch(() => undefined);
    try {
      process.kill(-server.pid, "SIGTERM"); // code-server, its extension host and the torchls server
    } catch {}
  }
}

run().then(
  () => process.exit(0),
  (error) => {
    log(`FAIL ${error.stack ?? error}`);
    process.exit(STEP_CODES[error.step] ?? 1);
  },
);
