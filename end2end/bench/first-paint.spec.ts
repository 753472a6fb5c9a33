// First paint, side by side: Vantage's overview against the Prometheus web UI
// (served by the same Prometheus) drawing the overview's request-rate chart,
// alternated round by round in one run so a noisy machine slows both alike.
//
//   scripts/build --release
//   cd end2end && VANTAGE_PROFILE=release ROUNDS=10 npx playwright test -c bench.config.ts
//
// For each page: bytes transferred (compressed, as on the wire) for the
// complete first paint (the document and style sheets; for the Prometheus UI
// the scripts that draw the chart and its query's answer come on top, since
// its chart needs them) and until interactive, and the times to the first
// byte, the complete paint and interactive from the start of navigation,
// medians over the rounds.
import { test, type Page } from "@playwright/test";

const ROUNDS = Number(process.env.ROUNDS ?? 10);
const QUERY = "sum by (service) (rate(http_requests_total[1m]))";

interface Sample {
  ttfbMs: number;
  fcpMs: number;
  paintMs: number;
  interactiveMs: number;
  paintBytes: number;
  interactiveBytes: number;
  /** Vantage only: the wasm's arrival and the page's own timeline marks. */
  steps: Record<string, number>;
}

/** Loads `url` in a fresh context and times `painted` and `interactive` (page
 * expressions that become true), counting the bytes of finished responses. */
async function measure(
  page: Page,
  url: string,
  painted: string,
  interactive: string,
  paintNeeds?: string[],
): Promise<Sample> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  // What each response is, so the paint counts what it needs: the document
  // and its style sheets (scripts and wasm only make it interactive).
  const kinds = new Map<string, string>();
  cdp.on("Network.responseReceived", (e) => kinds.set(e.requestId, e.type));
  const finished: { at: number; bytes: number; kind: string }[] = [];
  cdp.on("Network.loadingFinished", (e) =>
    finished.push({ at: Date.now(), bytes: e.encodedDataLength, kind: kinds.get(e.requestId) ?? "Other" }),
  );
  await page.goto(url, { waitUntil: "commit" });
  const paintHandle = await page.waitForFunction(`(${painted}) && performance.now()`, undefined, {
    polling: "raf",
    timeout: 60_000,
  });
  const paintedAt = Date.now();
  const paintMs = (await paintHandle.jsonValue()) as number;
  const readyHandle = await page.waitForFunction(`(${interactive}) && performance.now()`, undefined, {
    polling: "raf",
    timeout: 60_000,
  });
  const readyAt = Date.now();
  const interactiveMs = (await readyHandle.jsonValue()) as number;
  // Responses that finish within a frame after the moment still count.
  await page.waitForTimeout(50);
  const upTo = (t: number, kinds?: string[]) =>
    finished
      .filter((f) => f.at <= t + 20 && (!kinds || kinds.includes(f.kind)))
      .reduce((n, f) => n + f.bytes, 0);
  const ttfbMs = (await page.evaluate(
    () => (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming).responseStart,
  )) as number;
  const fcpMs = (await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1,
  )) as number;
  // Where the time to interactive goes (Vantage marks its timeline; see
  // app/src/timing.rs): when the wasm arrived, hydration started and ended,
  // and the stream went live.
  const steps = (await page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const r of performance.getEntriesByType("resource") as PerformanceResourceTiming[]) {
      if (r.name.endsWith(".wasm")) out["wasm arrived"] = r.responseEnd;
      if (r.name.endsWith("/pkg/vantage.js")) out["js arrived"] = r.responseEnd;
    }
    for (const m of performance.getEntriesByType("mark")) {
      if (m.name.startsWith("vantage:") && !(m.name in out)) out[m.name] = m.startTime;
    }
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    out["document parsed"] = nav.domInteractive;
    return out;
  })) as Record<string, number>;
  const sample = {
    steps,
    ttfbMs,
    fcpMs,
    paintMs,
    interactiveMs,
    paintBytes: upTo(paintedAt, paintNeeds),
    interactiveBytes: upTo(readyAt),
  };
  await cdp.detach();
  return sample;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test("first paint: Vantage's overview vs the Prometheus web UI", async ({ browser }) => {
  const vantage = `${process.env.VANTAGE_URL}/?range=1h`;
  const prometheus = `${process.env.PROMETHEUS_URL}/graph?g0.expr=${encodeURIComponent(QUERY)}&g0.tab=0&g0.range_input=1h`;
  // Complete: every panel of the overview drawn, with its data (the server
  // renders them); interactive: hydrated with the live stream open.
  const vantagePainted = `document.querySelectorAll('[data-testid^="panel-"]').length >= 9 && document.querySelector('[data-testid="chart-request_rate"] polyline')`;
  const vantageReady = `document.querySelector('[data-testid="stream-state"]')?.textContent === "live"`;
  // Complete: the graph's lines drawn; interactive: that and the load event.
  const promPainted = `document.querySelector('.graph_area svg path')`;
  const promReady = `${promPainted} && document.readyState === "complete"`;

  const runs: Record<string, Sample[]> = { vantage: [], prometheus: [] };
  for (let round = 0; round < ROUNDS + 1; round++) {
    for (const [name, url, painted, ready, needs] of [
      ["vantage", vantage, vantagePainted, vantageReady, ["Document", "Stylesheet"]],
      ["prometheus", prometheus, promPainted, promReady, undefined],
    ] as const) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      const sample = await measure(page, url, painted, ready, needs ? [...needs] : undefined);
      await context.close();
      // The first round warms both servers' caches and is not counted.
      if (round > 0) runs[name].push(sample);
    }
  }
  const row = (name: string) => {
    const s = runs[name];
    return {
      page: name,
      "first byte ms": Math.round(median(s.map((x) => x.ttfbMs))),
      "first paint ms": Math.round(median(s.map((x) => x.fcpMs))),
      "complete paint ms": Math.round(median(s.map((x) => x.paintMs))),
      "interactive ms": Math.round(median(s.map((x) => x.interactiveMs))),
      "paint KiB": Math.round(median(s.map((x) => x.paintBytes)) / 1024),
      "interactive KiB": Math.round(median(s.map((x) => x.interactiveBytes)) / 1024),
    };
  };
  const table = [row("vantage"), row("prometheus")];
  console.table(table);
  const stepNames = [...new Set(runs.vantage.flatMap((x) => Object.keys(x.steps)))];
  const steps = stepNames
    .map((name) => [name, Math.round(median(runs.vantage.flatMap((x) => (name in x.steps ? [x.steps[name]] : []))))] as const)
    .sort((a, b) => a[1] - b[1]);
  console.log(`Vantage's timeline (medians, ms): ${steps.map(([n, t]) => `${n} ${t}`).join(", ")}`);
  const [v, p] = table;
  console.log(
    `rounds ${ROUNDS}; Vantage/Prometheus: complete paint ${(v["complete paint ms"] / p["complete paint ms"]).toFixed(2)}, ` +
      `interactive ${(v["interactive ms"] / p["interactive ms"]).toFixed(2)}, ` +
      `bytes to interactive ${(v["interactive KiB"] / p["interactive KiB"]).toFixed(2)}`,
  );
});
