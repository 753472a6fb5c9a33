// A tab that has applied the stream's deltas for two minutes shows exactly
// what a fresh load of the same view shows, once both hold the same version
// of every panel (each panel card says which: `data-updated-at`).
import { expect, test, type Page } from "@playwright/test";

/** Each panel's version and what its chart draws (lines, areas, labels, legend values). */
function drawn(page: Page) {
  return page.evaluate(() => {
    const out: Record<string, { at: string; drawing: string[] }> = {};
    for (const card of document.querySelectorAll("[data-testid^='panel-'][data-updated-at]")) {
      const drawing = [...card.querySelectorAll("svg polyline, svg path, svg rect, svg text, [data-testid='legend-value']")].map(
        (e) => `${e.tagName}|${e.getAttribute("points") ?? ""}|${e.getAttribute("d") ?? ""}|${e.getAttribute("height") ?? ""}|${e.textContent ?? ""}`,
      );
      out[card.getAttribute("data-testid")!] = { at: card.getAttribute("data-updated-at")!, drawing };
    }
    return out;
  });
}

test.describe("deltas", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("a tab applying deltas for two minutes shows the same charts as a fresh load", async ({ page, context }) => {
    test.setTimeout(240_000);
    await page.goto("/?range=15m");
    await expect(page.getByTestId("stream-state")).toHaveText("live");
    const first = await page.evaluate(() => document.documentElement.dataset.streamEvent ?? "");
    // Two minutes of refreshes (every 2 s on the test stack) applied as deltas.
    await page.waitForTimeout(120_000);
    const later = await page.evaluate(() => document.documentElement.dataset.streamEvent ?? "");
    expect(later).not.toBe(first);

    const fresh = await context.newPage();
    await fresh.goto("/?range=15m");
    await expect(fresh.getByTestId("stream-state")).toHaveText("live");

    // Between refreshes both tabs hold the same version of every panel.
    let compared = 0;
    let firstDifference = "";
    const same = expect
      .poll(
        async () => {
          const [a, b] = [await drawn(page), await drawn(fresh)];
          const ids = Object.keys(b);
          if (ids.length === 0 || ids.some((id) => a[id]?.at !== b[id].at)) return "not at the same versions yet";
          compared = ids.length;
          const differ = ids.filter((id) => JSON.stringify(a[id].drawing) !== JSON.stringify(b[id].drawing));
          if (differ.length > 0) {
            const [x, y] = [a[differ[0]].drawing, b[differ[0]].drawing];
            const k = x.findIndex((line, i) => line !== y[i]);
            firstDifference = `${differ[0]} at ${a[differ[0]].at}, element ${k} of ${x.length}/${y.length}:\n  applied: ${String(x[k]).slice(0, 400)}\n  fresh:   ${String(y[k]).slice(0, 400)}`;
          }
          return differ.length === 0 ? "same" : `differ: ${differ.join(", ")}`;
        },
        { timeout: 30_000, intervals: [250] },
      )
      .toBe("same");
    await same.catch((e: Error) => {
      throw new Error(`${e.message}\n${firstDifference}`);
    });
    expect(compared).toBeGreaterThan(5);
    await page.screenshot({ path: "screenshots/deltas-two-minutes.png", fullPage: true });
    await fresh.screenshot({ path: "screenshots/deltas-fresh-load.png", fullPage: true });
  });
});
