// End-to-end test of torchls in a real JupyterLab (jupyterlab-lsp) driven by Debian's chromium.
//
// The test runner (tests/editors/test_jupyterlab.py) starts JupyterLab; this script opens the notebook and
// does what a user does: waits for torchls's underlines, opens the diagnostics panel from a cell's context
// menu, hovers a member with Ctrl held (jupyterlab-lsp's default), fixes one bug by typing and saves; then
// runs E2E_FIX (`torchls check --fix` on the notebook: jupyterlab-lsp has no code actions), reloads the
// notebook from disk with File → Reload Notebook from Disk, and waits for the underlines to go.
// It prints a JSON report on stdout for the runner to check: {ranges, panel, hover}. Screenshots go to
// E2E_ARTIFACTS.
//
// With E2E_MODE=diagnostics it stops after the diagnostics panel (the notebook's server is pylsp, with
// torchls's plugin). report.server names the server jupyterlab-lsp connected the notebook to.
//
// Env: E2E_URL, E2E_NOTEBOOK (its path on disk), E2E_ARTIFACTS, E2E_MODE (fix | diagnostics), E2E_FIX (JSON
// argv), E2E_CHROMIUM.
// Exit code names the failed step: 2 start, 3 diagnostics, 4 panel, 5 hover, 6 edit, 7 save, 8 fix, 1 other.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const STEP_CODES = { start: 2, diagnostics: 3, panel: 4, hover: 5, edit: 6, save: 7, fix: 8 };
const T0 = Date.now();
const log = (message) => process.stderr.write(`[jupyterlab-e2e ${((Date.now() - T0) / 1000).toFixed(1)}s] ${message}\n`);
const RANGE = ".jp-Notebook .cm-lintRange";
const published = []; // the number of diagnostics in each publishDiagnostics, in order

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

/** Each underlined range: its cell (1-based, every cell counts), line in the cell (1-based), UTF-16 column. */
function underlines(page) {
  return page.evaluate((selector) => {
    const cells = [...document.querySelectorAll(".jp-Notebook .jp-Cell")];
    return [...document.querySelectorAll(selector)].map((element) => {
      const line = element.closest(".cm-line");
      const lines = [...line.parentElement.querySelectorAll(":scope > .cm-line")];
      const before = document.createRange();
      before.setStart(line, 0);
      before.setEnd(element, 0);
      return {
        cell: cells.indexOf(element.closest(".jp-Cell")) + 1,
        line: lines.indexOf(line) + 1,
        column: before.toString().length, // JavaScript strings count UTF-16 units, as LSP positions here do
        text: element.textContent,
        severity: [...element.classList].find((c) => c.startsWith("cm-lintRange-")).slice("cm-lintRange-".length),
      };
    });
  }, RANGE);
}

async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function flow(page, shot, report) {
  const notebook = env("E2E_NOTEBOOK");
  await step("start", async () => {
    await page.goto(`${env("E2E_URL")}/lab/tree/${path.basename(notebook)}`);
    await page.locator(".jp-Notebook .jp-Cell").first().waitFor({ timeout: 60000 });
    await page.locator(".lsp-statusbar-item", { hasText: "Fully initialized" }).waitFor({ timeout: 60000 });
  });
  log("notebook open, jupyterlab-lsp connected");

  await step("diagnostics", () => waitFor(async () => (await page.locator(RANGE).count()) >= 3, 90000, "three underlines"));
  await page.waitForTimeout(500); // a late fourth one would be a wrong one: let it show
  report.ranges = await underlines(page);
  log(`underlines: ${JSON.stringify(report.ranges)}`);

  await step("panel", async () => {
    await page.locator(".jp-Notebook .jp-CodeCell .cm-content").first().click({ button: "right" });
    await page.locator(".lm-Menu-item", { hasText: "Show diagnostics panel" }).click({ timeout: 10000 });
    const rows = page.locator(".lsp-diagnostics-listing tbody tr");
    await waitFor(async () => (await rows.count()) >= report.ranges.length, 30000, "the panel's rows");
    report.panel = await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.innerText.trim())));
  });
  log(`panel: ${JSON.stringify(report.panel)}`);
  await shot("01-diagnostics");
  if (env("E2E_MODE", "fix") === "diagnostics") return;

  await step("hover", async () => {
    const member = page.locator(RANGE, { hasText: "parameters" }).first();
    await member.scrollIntoViewIfNeeded();
    const box = await member.boundingBox();
    const [x, y] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.click(x, y); // the cell's editor gets the focus, as a user's hand does
    const hover = page.locator(".lsp-hover", { hasText: "is a method of" }).first();
    // Rest the mouse on the member (jupyterlab-lsp asks torchls), then press Ctrl: the hover shows.
    let dx = 0;
    await waitFor(async () => {
      await page.mouse.move(x + (dx++ % 4), y);
      await page.waitForTimeout(300);
      if (dx > 3) await page.keyboard.down("Control");
      return hover.isVisible();
    }, 30000, "the hover");
    report.hover = await hover.innerText();
    await shot("02-hover");
    await page.locator("#jp-main-dock-panel").screenshot({ path: path.join(env("E2E_ARTIFACTS"), "02-hover-main.png") });
    await page.keyboard.up("Control");
    await page.mouse.move(0, 0);
  });
  log(`hover: ${report.hover.replace(/\s+/g, " ").slice(0, 200)}`);

  await step("edit", async () => {
    // Fix `model.eval` by typing, as a user does: torchls re-analyses and the underline goes.
    const member = page.locator(RANGE, { hasText: "eval" }).first();
    await member.scrollIntoViewIfNeeded();
    const box = await member.boundingBox();
    await page.mouse.click(box.x + box.width - 1, box.y + box.height / 2);
    await page.keyboard.press("End");
    await page.keyboard.type("()");
    await waitFor(async () => (await page.locator(RANGE).count()) === report.ranges.length - 1, 30000, "the fixed underline to go");
  });
  log("typed the fix of model.eval; its underline went");

  await step("save", async () => {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+s");
    await waitFor(async () => fs.readFileSync(notebook, "utf8").includes("model.eval()"), 30000, "the notebook saved");
  });
  log("saved");

  await step("fix", async () => {
    const [program, ...args] = JSON.parse(env("E2E_FIX"));
    const fixed = spawnSync(program, args, { encoding: "utf8", timeout: 120000 });
    log(`torchls check --fix: ${(fixed.stdout + fixed.stderr).trim()}`);
    if (fixed.status !== 0) throw new Error(`exit status ${fixed.status}`);
    const before = published.length;
    await page.locator(".lm-MenuBar-item", { hasText: "File" }).click();
    await page.locator(".lm-Menu-item", { hasText: "Reload Notebook from Disk" }).click({ timeout: 10000 });
    await page.locator(".jp-Notebook .cm-content", { hasText: "model.parameters()" }).waitFor({ timeout: 30000 });
    // torchls analysed the reloaded text and found nothing (not merely: the underlines went with the reload).
    await waitFor(async () => published.length > before && published[published.length - 1] === 0, 30000, "torchls to publish no diagnostics");
    await page.waitForTimeout(1000); // a late publish with findings would show here
    if (published[published.length - 1] !== 0) throw new Error(`torchls published ${published[published.length - 1]} diagnostics after the fix`);
    await waitFor(async () => (await page.locator(RANGE).count()) === 0, 30000, "no underline left");
  });
  await shot("03-fixed");
  log("fixed on disk, reloaded, no underline left");
}

async function run() {
  const artifacts = env("E2E_ARTIFACTS");
  fs.mkdirSync(artifacts, { recursive: true });
  const browser = await chromium.launch({
    executablePath: env("E2E_CHROMIUM", "/usr/bin/chromium"),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const report = {};
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // What jupyterlab-lsp really sends and torchls answers, one JSON-RPC message a line.
    const traffic = fs.createWriteStream(path.join(artifacts, "lsp-traffic.jsonl"));
    page.on("websocket", (socket) => {
      if (!socket.url().includes("/lsp/ws/")) return;
      report.server = socket.url().split("/lsp/ws/")[1];
      socket.on("framesent", (frame) => traffic.write(`{"client": ${frame.payload}}\n`));
      socket.on("framereceived", (frame) => {
        traffic.write(`{"server": ${frame.payload}}\n`);
        const message = JSON.parse(frame.payload);
        if (message.method === "textDocument/publishDiagnostics") published.push(message.params.diagnostics.length);
      });
    });
    const shot = (name) => page.screenshot({ path: path.join(artifacts, `${name}.png`) });
    try {
      await flow(page, shot, report);
    } catch (error) {
      await shot("failure").catch(() => undefined);
      throw error;
    }
    process.stdout.write(JSON.stringify(report) + "\n");
    log("PASS");
  } finally {
    await browser.close().catch(() => undefined);
  }
}

run().then(
  () => process.exit(0),
  (error) => {
    log(`FAIL ${error.stack ?? error}`);
    process.exit(STEP_CODES[error.step] ?? 1);
  },
);
