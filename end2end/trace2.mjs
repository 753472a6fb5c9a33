import { chromium } from "@playwright/test";
import fs from "fs";
const url = process.argv[2];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
for (let round = 0; round < 5; round++) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await browser.startTracing(page, { path: "/tmp/trace.json", categories: ["devtools.timeline", "v8.wasm", "blink.user_timing", "loading", "disabled-by-default-devtools.timeline"] });
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(`document.querySelector('[data-testid="stream-state"]')?.textContent === "live"`, undefined, { polling: "raf", timeout: 60000 });
  await page.waitForTimeout(200);
  await browser.stopTracing();
  await context.close();
  if (round < 2) continue; console.log("--- round", round);
  const t = JSON.parse(fs.readFileSync("/tmp/trace.json"));
  const ev = t.traceEvents ?? t;
  const main = ev.find((e) => e.name === "ParseHTML");
  const nav = ev.find((e) => e.name === "navigationStart" && e.pid === main.pid) ?? ev.find((e) => e.name === "navigationStart");
  const t0 = nav.ts;
  const marks = ev.filter((e) => e.cat?.includes("user_timing") && e.name.startsWith("vantage:"));
  for (const m of marks) console.log("MARK", ((m.ts - t0) / 1000).toFixed(0), m.name);
  const tasks = ev.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.name === "RunTask" && e.dur > 3000);
  for (const task of tasks) {
    const inside = ev.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === "X" && e.ts >= task.ts && e.ts + (e.dur ?? 0) <= task.ts + task.dur && e !== task && e.dur > 1000);
    const kinds = {};
    for (const e of inside) kinds[e.name] = (kinds[e.name] ?? 0) + e.dur / 1000;
    const top = Object.entries(kinds).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(", ");
    console.log(((task.ts - t0) / 1000).toFixed(0).padStart(5), "+", (task.dur / 1000).toFixed(0).padStart(4), "ms:", top);
  }
}
await browser.close();
