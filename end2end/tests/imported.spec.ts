import { expect, test, type Page } from "@playwright/test";

// A Grafana dashboard of every panel kind and variable kind, imported by
// `vantage import grafana` in global-setup, on the stack's real exporters.

const board = "/d/exporters-every-kind";

const kinds: [string, string][] = [
  ["about", "text"],
  ["cpu-by-mode", "time-series"],
  ["redis-commands", "bar"],
  ["redis-clients", "stat"],
  ["postgresql-max-connections", "gauge"],
  ["filesystem-size", "bar-gauge"],
  ["up-by-job", "table"],
  ["prometheus-request-durations", "heatmap"],
  ["scrape-duration", "stat"],
];

test("an imported Grafana dashboard shows each of its panel kinds with data", async ({ page }, info) => {
  // Data in every panel, not the "no data" notice (a stack just started
  // may need a few scrapes first: the page is loaded again until then).
  await expect
    .poll(
      async () => {
        await page.goto(`${board}?range=15m`);
        return page.getByTestId("panel-empty").count();
      },
      { timeout: 60_000, intervals: [2_000] },
    )
    .toBe(0);
  for (const [id, kind] of kinds) {
    await expect(page.getByTestId(`panel-${id}`)).toHaveAttribute("data-kind", kind);
  }
  // Markdown as elements; its script and its javascript: link are text.
  const about = page.getByTestId("panel-about").getByTestId("markdown");
  await expect(about.locator("h3")).toHaveText("Exporters");
  await expect(about.locator("strong")).toHaveText("Grafana");
  await expect(about.locator("li")).toHaveCount(2);
  await expect(about.locator("a")).toHaveCount(1);
  await expect(about.locator("a")).toHaveAttribute("href", "https://example.org/docs");
  await expect(about.locator("script")).toHaveCount(0);
  await expect(about).toContainText("<script>alert('x')</script>");
  await expect(about).toContainText("a trap");
  // A bar per file system, named, with its size.
  const bars = page.getByTestId("panel-filesystem-size").getByTestId("bar-gauge");
  await expect(bars.locator("text").filter({ hasText: /^\// }).first()).toBeVisible();
  await expect(bars.locator("text").filter({ hasText: /iB$/ }).first()).toBeVisible();
  // Shaded cells of histogram buckets, and what the darkest stands for.
  const heat = page.getByTestId("panel-prometheus-request-durations");
  expect(await heat.getByTestId("heatmap").locator("rect").count()).toBeGreaterThan(0);
  await expect(heat.getByTestId("heatmap-scale")).toContainText("Darkest:");
  await expect(heat.getByTestId("heatmap").locator("text").filter({ hasText: "+Inf" })).toHaveCount(1);
  // The interval picker holds its default; the text box too.
  await expect(page.getByTestId("variable-window")).toHaveValue("5m");
  await expect(page.getByTestId("variable-mode")).toHaveValue("idle");
  await page.screenshot({ path: `screenshots/imported-${info.project.name}.png`, fullPage: true });
});

test("the interval and text box pickers land in the URL and narrow the panels", async ({ page }) => {
  await page.goto(`${board}?range=15m`);
  await page.getByTestId("variable-window").selectOption("1m");
  await page.getByTestId("variable-mode").fill("user");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/window=1m/);
  await expect(page).toHaveURL(/mode=user/);
  await expect(page.getByTestId("variable-window")).toHaveValue("1m");
  const legend = page.getByTestId("panel-cpu-by-mode").getByTestId("legend");
  await expect(legend.locator(".legend__name").first()).toHaveText(/ user$/);
  await expect(legend).not.toContainText(" idle");
});

/** The drawings of the new kinds as trees: each element's name, its
 * attributes sorted (the server and the browser may write them in another
 * order) and its trimmed text. */
async function drawings(page: Page): Promise<string[]> {
  const out = [];
  for (const id of ["prometheus-request-durations", "filesystem-size", "about"]) {
    const panel = page.getByTestId(`panel-${id}`);
    await expect(panel).toBeVisible();
    const drawing = panel.locator("svg.chart, .markdown").first();
    out.push(
      await drawing.evaluate((root) => {
        const walk = (n: Node): string => {
          if (n.nodeType === Node.TEXT_NODE) return (n.textContent ?? "").trim();
          if (n.nodeType !== Node.ELEMENT_NODE) return "";
          const e = n as Element;
          const attrs = [...e.attributes].map((a) => `${a.name}=${a.value}`).sort().join(" ");
          const inner = [...e.childNodes].map(walk).filter((s) => s !== "").join("");
          return `<${e.tagName.toLowerCase()} ${attrs}>${inner}</>`;
        };
        return walk(root);
      }),
    );
  }
  return out;
}

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("heatmap, bar gauge and text are drawn alike by the server and by the browser", async ({ page, browser }) => {
    // A past range: the same data for every load (one with histogram
    // cells in it: a stack just started may need a few scrapes first).
    const plain = await browser.newContext({ baseURL: process.env.VANTAGE_URL, javaScriptEnabled: false });
    const server = await plain.newPage();
    let url = "";
    let drawn: string[] = [];
    await expect
      .poll(
        async () => {
          const to = Math.floor(Date.now() / 1000) - 5;
          url = `${board}?from=${to - 600}&to=${to}`;
          await server.goto(url);
          drawn = await drawings(server);
          return drawn[0];
        },
        { timeout: 60_000, intervals: [2_000] },
      )
      .toContain("<rect ");
    await plain.close();
    expect(drawn[1]).toContain("<text ");
    expect(drawn[2]).toContain("<h3 >Exporters</>");

    // Hydrated: kept as the server drew them.
    await page.goto(url);
    await expect(page.getByTestId("variable-instance-search")).toBeVisible();
    expect(await drawings(page)).toEqual(drawn);
    // Drawn by the browser: away and back through the router, no reload.
    await page.evaluate(() => ((window as any).__sameDocument = true));
    await page.getByTestId("nav").getByRole("link", { name: /^Health/ }).click();
    await expect(page).toHaveURL(/\/health/);
    await page.goBack();
    await expect(page.getByTestId("panel-about")).toBeVisible();
    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await expect.poll(() => drawings(page)).toEqual(drawn);
  });
});
