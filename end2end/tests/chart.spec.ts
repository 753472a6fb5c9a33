import { expect, test } from "@playwright/test";
import { setMode } from "../pages/fleet";
import { OverviewPage } from "../pages/overview";

// The chart's own interactions: cursor, tooltip, legend values at the cursor,
// drag-to-zoom, and the annotations of alerts and health changes.

/** Waits until Vantage's check of `service` says `status`. */
async function checkSays(service: string, status: string) {
  await expect
    .poll(
      async () => {
        const answer = await fetch(`${process.env.VANTAGE_URL}/api/checks`);
        const body: { checks: { name: string; latest?: { status: string } }[] } = await answer.json();
        return body.checks.find((c) => c.name === service)?.latest?.status;
      },
      { timeout: 40_000 },
    )
    .toBe(status);
}

test("a service's health change is marked on its charts with the detail, and not on other services' charts", async ({
  page,
}, info) => {
  const service = "mcp-server";
  // Up first, so that what follows is a change (not its first check).
  await checkSays(service, "up");
  await setMode(service, "fail");
  try {
    await checkSays(service, "down");
  } finally {
    await setMode(service, "normal");
  }
  await checkSays(service, "up");

  const overview = new OverviewPage(page);
  await overview.open(`?range=15m&service=${service}`);
  const changes = overview.annotations.and(page.locator('[data-kind="health"]'));
  // In the first HTML already: the fall (critical) and the recovery (ok).
  await expect(changes.and(page.locator('[data-level="critical"]')).first()).toBeAttached();
  await expect(changes.and(page.locator('[data-level="ok"]')).first()).toBeAttached();
  // The detail, as text: in the mark's title (hover, no script needed).
  await expect(changes.locator("title").filter({ hasText: `${service}: up → down` }).first()).toBeAttached();
  if (info.project.use.javaScriptEnabled) {
    // Hydrated, pointing at the mark shows its detail in the tooltip.
    await expect(overview.streamState).toHaveText("live");
    const fall = changes.filter({ has: page.locator("title", { hasText: "up → down" }) }).last();
    const box = await fall.locator("circle").boundingBox();
    if (!box) throw new Error("the mark is not on screen");
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await expect(overview.tooltip.getByTestId("tooltip-annotation").first()).toContainText(`${service}: up → down`);
  }
  await overview.screenshot(`chart-annotations-${info.project.name}`);

  // Another service's chart has no mark of this one.
  await overview.open("?range=15m&service=frontend");
  const titles = await overview.annotations.locator("title").allTextContents();
  expect(titles.filter((t) => t.includes(service))).toEqual([]);
});

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the cursor needs the browser bundle");

  test("pointing at the chart shows a crosshair, a tooltip and the legend's values at that time", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m&service=api-gateway&refresh=off");
    await expect(overview.streamState).toHaveText("paused");
    const legendValue = overview.legend.getByTestId("legend-value").first();
    const newest = await legendValue.textContent();

    const early = await overview.pointAt(0.2);
    await page.mouse.move(early.x, early.y);
    // A vertical line has no width, so "attached" rather than "visible".
    await expect(overview.panel.getByTestId("crosshair")).toBeAttached();
    await expect(overview.tooltip).toBeVisible();
    await expect(overview.tooltip.locator(".chart-tooltip__time")).toHaveText(/^\d\d:\d\d$/);
    const row = overview.tooltip.getByTestId("tooltip-row").first();
    await expect(row).toContainText("api-gateway");
    // The legend reads the same time as the tooltip.
    const atCursor = await row.locator(".chart-tooltip__value").textContent();
    await expect(legendValue).toHaveText(atCursor ?? "");

    // Off the chart: no cursor, and the legend is back to the newest values.
    await page.mouse.move(early.x, early.y - 400);
    await expect(overview.tooltip).toHaveCount(0);
    await expect(legendValue).toHaveText(newest ?? "");

    // The keyboard moves a cursor too.
    await overview.overlay.focus();
    await page.keyboard.press("ArrowLeft");
    await expect(overview.tooltip).toBeVisible();
    await page.keyboard.press("Escape");
    await expect(overview.tooltip).toHaveCount(0);
  });

  test("dragging across the chart zooms to that span; back returns to the range", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m&service=frontend");
    await expect(overview.streamState).toHaveText("live");
    const from = await overview.pointAt(0.3);
    const to = await overview.pointAt(0.7);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, from.y);
    await expect(overview.panel.getByTestId("zoom-selection")).toBeVisible();
    await page.mouse.move(to.x, to.y);
    await page.mouse.up();

    await expect(page).toHaveURL(/from=\d+&to=\d+/);
    const url = new URL(page.url());
    const span = Number(url.searchParams.get("to")) - Number(url.searchParams.get("from"));
    // Four tenths of the chart's width, a little more of its plot (the axis
    // takes the rest), of 15 minutes.
    expect(span).toBeGreaterThan(360);
    expect(span).toBeLessThan(480);
    expect(url.searchParams.getAll("service")).toEqual(["frontend"]);
    await expect(overview.rangePicker.locator('[aria-current="true"]')).toContainText("UTC");
    await expect(overview.legend.locator(".legend__name")).toHaveText(["frontend"]);

    await page.goBack();
    await expect(page).toHaveURL(/range=15m/);
    await expect(overview.rangePicker.getByRole("link", { name: "15m" })).toHaveAttribute("aria-current", "true");
  });
});
