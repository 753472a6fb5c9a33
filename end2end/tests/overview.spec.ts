import { expect, test } from "@playwright/test";
import { fleetServices } from "../pages/fleet";
import { OverviewPage } from "../pages/overview";

test("the first HTML holds the request-rate chart with real data", async ({ page }, info) => {
  const overview = new OverviewPage(page);
  await overview.open();
  const services = await fleetServices();
  expect(services.length).toBeGreaterThanOrEqual(11);
  for (const service of services) {
    await expect(overview.legend.getByText(service, { exact: true })).toBeVisible();
  }
  const lines = await overview.lines();
  expect(lines.length).toBeGreaterThanOrEqual(services.length);
  // A real line has many points, not a placeholder.
  expect(Math.max(...lines.map((l) => l.split(" ").length))).toBeGreaterThan(100);
  await expect(overview.status).toContainText("updated");
  await overview.screenshot(`overview-${info.project.name}`);
});

test("the range picker keeps the range in the URL", async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.open();
  await overview.rangePicker.getByRole("link", { name: "15m" }).click();
  await expect(page).toHaveURL(/range=15m/);
  await expect(overview.rangePicker.getByRole("link", { name: "15m" })).toHaveAttribute("aria-current", "true");
  await expect(overview.chart.locator("text").filter({ hasText: /^\d\d:\d\d$/ }).first()).toBeVisible();
});

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("the chart moves through the stream without a reload", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m");
    await expect(overview.streamState).toHaveText("live");
    // A marker on window survives only if the page is never reloaded.
    await page.evaluate(() => ((window as any).__sameDocument = true));
    const before = await overview.updatedAt();
    const linesBefore = await overview.lines();

    await expect.poll(() => overview.updatedAt(), { timeout: 30_000 }).toBeGreaterThan(before);
    await expect.poll(() => overview.lines(), { timeout: 30_000 }).not.toEqual(linesBefore);

    expect(await page.evaluate(() => (window as any).__sameDocument)).toBe(true);
    await overview.screenshot("overview-live-update");
  });
});

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("the stream starts after the page's own data; another view's starts afresh", async ({ page }) => {
    const streams: string[] = [];
    page.on("request", (r) => {
      if (r.url().includes("/api/stream")) streams.push(r.url());
    });
    const overview = new OverviewPage(page);
    await overview.open("?range=15m");
    await expect(overview.streamState).toHaveText("live");
    // The server started this view's stream with the page's data: the tab
    // asks only for what comes after it.
    expect(streams).toHaveLength(1);
    expect(streams[0]).toMatch(/[?&]since=[0-9a-f]+-\d+/);
    await overview.rangePicker.getByRole("link", { name: "1h" }).click();
    await expect.poll(() => streams.length).toBe(2);
    expect(streams[1]).toContain("range=1h");
    expect(streams[1]).not.toContain("since=");
    await expect(overview.streamState).toHaveText("live");
  });
});

test("a service filter from the URL narrows the chart and survives range changes", async ({ page }) => {
  const overview = new OverviewPage(page);
  await overview.open("?range=15m&service=frontend&service=auth-service");
  const legendNames = () => overview.legend.locator(".legend__name").allTextContents();
  await expect.poll(legendNames).toEqual(["auth-service", "frontend"]);
  await overview.rangePicker.getByRole("link", { name: "1h" }).click();
  await expect(page).toHaveURL(/range=1h/);
  await expect(page).toHaveURL(/service=frontend/);
  await expect(overview.rangePicker.getByRole("link", { name: "1h" })).toHaveAttribute("aria-current", "true");
  await expect.poll(legendNames).toEqual(["auth-service", "frontend"]);
});

test.describe("legend", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "toggling needs the browser bundle");

  test("a legend swatch hides its series and shows it again; the others keep their colours", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m");
    // Hydrated (the stream is live): before that the swatch is inert HTML.
    await expect(overview.streamState).toHaveText("live");
    // The second series: ten colours go round, so the eleventh shares the first's.
    const first = overview.chart.locator('polyline.chart__series[stroke="var(--series-1)"]');
    const second = overview.chart.locator('polyline.chart__series[stroke="var(--series-2)"]');
    await expect(first.first()).toBeVisible();
    const toggle = overview.legend.getByTestId("legend-toggle").nth(1);
    await expect(toggle).toHaveAttribute("aria-pressed", "true");

    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-pressed", "false");
    await expect(first).toHaveCount(0);
    await expect(second.first()).toBeVisible();

    await toggle.click();
    await expect(toggle).toHaveAttribute("aria-pressed", "true");
    await expect(first.first()).toBeVisible();
  });
});

test.describe("refresh choice", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "refreshing needs the browser bundle");

  test("refresh off keeps the page still; auto makes it live again; the URL keeps the choice", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m&service=api-gateway");
    await expect(overview.streamState).toHaveText("live");
    const picker = page.getByTestId("refresh-picker");

    await picker.getByTestId("refresh-off").click();
    await expect(page).toHaveURL(/range=15m&service=api-gateway&refresh=off/);
    await expect(overview.streamState).toHaveText("paused");
    await expect(picker.getByTestId("refresh-off")).toHaveAttribute("aria-current", "true");
    const still = await overview.updatedAt();
    // Several of the server's intervals (2 s here) pass without new data.
    await page.waitForTimeout(6_000);
    expect(await overview.updatedAt()).toBe(still);
    // ...and the panel says how old its data is.
    await expect(overview.status).toHaveText(/updated ([5-9]|\d\d) s ago/);
    // A range change keeps the choice.
    await overview.rangePicker.getByRole("link", { name: "1h" }).click();
    await expect(page).toHaveURL(/range=1h&service=api-gateway&refresh=off/);

    await picker.getByTestId("refresh-auto").click();
    await expect(page).not.toHaveURL(/refresh=/);
    await expect(overview.streamState).toHaveText("live");
    const before = await overview.updatedAt();
    await expect.poll(() => overview.updatedAt(), { timeout: 30_000 }).toBeGreaterThan(before);
  });
});

test.describe("service filter", () => {
  test("the service list filters the view; hydrated, a search box narrows the list", async ({ page }, info) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m");
    const select = page.getByTestId("variable-service");
    const search = page.getByTestId("variable-service-search");
    const shown = () => select.locator("option:not([hidden])").allTextContents();
    const services = await fleetServices();
    await expect.poll(shown).toEqual(expect.arrayContaining(services));
    if (info.project.use.javaScriptEnabled) {
      await expect(overview.streamState).toHaveText("live");
      await search.fill("AUTH");
      await expect.poll(shown).toEqual(services.filter((s) => s.includes("auth")).sort());
      await search.fill("");
      await expect.poll(async () => (await shown()).length).toBe((await select.locator("option").count()));
      await search.fill("auth");
    } else {
      // The server-rendered form is complete without it.
      await expect(search).toHaveCount(0);
    }
    await select.selectOption(["auth-service"]);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/range=15m&service=auth-service$/);
    await expect(overview.legend.locator(".legend__name")).toHaveText(["auth-service"]);
  });
});

test("a custom from/to shows that span and keeps the filter", async ({ page }, info) => {
  const overview = new OverviewPage(page);
  await overview.open("?range=1h&service=frontend");
  const custom = page.getByTestId("custom-range");
  await custom.locator("summary").click();
  // The last half hour but ten minutes, in UTC minutes as the inputs take them.
  const minute = (t: number) => new Date(t).toISOString().slice(0, 16);
  const to = Date.now() - 10 * 60_000;
  await custom.getByTestId("custom-from").fill(minute(to - 20 * 60_000));
  await custom.getByTestId("custom-to").fill(minute(to));
  await page.screenshot({ path: `screenshots/custom-range-${info.project.name}.png` });
  await custom.getByRole("button", { name: "Show" }).click();

  await expect(page).toHaveURL(/service=frontend/);
  const url = new URL(page.url());
  expect(url.searchParams.get("from")).toBe(minute(to - 20 * 60_000));
  expect(url.searchParams.get("to")).toBe(minute(to));
  expect(url.searchParams.get("range")).toBeNull();
  await expect(page.getByTestId("range-problem")).toHaveCount(0);
  await expect(overview.rangePicker.locator('[aria-current="true"]')).toContainText("UTC");
  await expect(overview.legend.locator(".legend__name")).toHaveText(["frontend"]);
  // The form shows the range it is on.
  await expect(custom.getByTestId("custom-to")).toHaveValue(minute(to));
});
