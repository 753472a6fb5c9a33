// What a refresh costs an open overview tab's main thread, whole panels
// against deltas, side by side: the stack's Vantage (deltas) and a second
// Vantage on the same Prometheus with `stream_deltas = false`, measured in
// alternating rounds so a noisy machine slows both alike.
//
//   scripts/build --release
//   cd end2end && VANTAGE_PROFILE=release ROUNDS=4 npx playwright test -c bench.config.ts refresh-cost
//
// Per round and tab: Chromium's own main-thread counters (CDP
// Performance.getMetrics: TaskDuration, ScriptDuration) over WINDOW_S
// seconds of an open tab on the overview (15m), divided by the refreshes in
// that time (the stack refreshes every 2 s); and the stream's bytes.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type Browser } from "@playwright/test";
import { freePort } from "../support/net";

const ROUNDS = Number(process.env.ROUNDS ?? 4);
const WINDOW_S = Number(process.env.WINDOW_S ?? 30);
const REFRESH_S = 2;

async function startWholePanels(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "vantage-whole-"));
  const child = spawn(process.env.VANTAGE_BINARY!, [], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      PATH: process.env.PATH,
      VANTAGE_LISTEN: `127.0.0.1:${port}`,
      VANTAGE_PROMETHEUS_URL: process.env.PROMETHEUS_URL,
      VANTAGE_REFRESH_SECONDS: String(REFRESH_S),
      VANTAGE_STREAM_DELTAS: "false",
    },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return { url, stop: () => child.kill("SIGKILL") };
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the second vantage did not get ready");
}

async function measure(browser: Browser, base: string) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  let bytes = 0;
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  cdp.on("Network.dataReceived", (e) => {
    bytes += e.dataLength;
  });
  await page.goto(`${base}/?range=15m`);
  await page.getByTestId("stream-state").getByText("live").waitFor();
  // The first refresh brings the panels whole to a page without since; let it pass.
  await page.waitForTimeout(2 * REFRESH_S * 1000);
  await cdp.send("Performance.enable");
  const metric = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    const get = (n: string) => metrics.find((m: { name: string }) => m.name === n)?.value ?? 0;
    return { task: get("TaskDuration"), script: get("ScriptDuration") };
  };
  const before = await metric();
  const bytesBefore = bytes;
  await page.waitForTimeout(WINDOW_S * 1000);
  const after = await metric();
  const refreshes = WINDOW_S / REFRESH_S;
  await context.close();
  return {
    taskMs: ((after.task - before.task) * 1000) / refreshes,
    scriptMs: ((after.script - before.script) * 1000) / refreshes,
    kb: (bytes - bytesBefore) / 1000 / refreshes,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("main-thread time per refresh: whole panels against deltas", async ({ browser }) => {
  const whole = await startWholePanels();
  try {
    const results: Record<string, { taskMs: number[]; scriptMs: number[]; kb: number[] }> = {
      "whole panels": { taskMs: [], scriptMs: [], kb: [] },
      deltas: { taskMs: [], scriptMs: [], kb: [] },
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, url] of [
        ["whole panels", whole.url],
        ["deltas", process.env.VANTAGE_URL!],
      ] as const) {
        const m = await measure(browser, url);
        results[name].taskMs.push(m.taskMs);
        results[name].scriptMs.push(m.scriptMs);
        results[name].kb.push(m.kb);
      }
    }
    console.log(`| stream | main-thread task time per refresh | of which script | bytes per refresh |`);
    console.log(`|---|---:|---:|---:|`);
    for (const [name, r] of Object.entries(results)) {
      console.log(
        `| ${name} | ${median(r.taskMs).toFixed(1)} ms | ${median(r.scriptMs).toFixed(1)} ms | ${median(r.kb).toFixed(1)} KB |`,
      );
    }
    const ratio = median(results.deltas.taskMs) / median(results["whole panels"].taskMs);
    console.log(`ratio deltas / whole panels (task time): ${ratio.toFixed(2)} (medians of ${ROUNDS} rounds of ${WINDOW_S} s)`);
  } finally {
    whole.stop();
  }
});
