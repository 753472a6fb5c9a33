import { expect, test } from "@playwright/test";

const DASHBOARDS = [
  { id: "overview", title: "Overview" },
  { id: "api", title: "API performance" },
  { id: "system", title: "System" },
  { id: "infrastructure", title: "Infrastructure" },
];

for (const { id, title } of DASHBOARDS) {
  test(`the ${id} dashboard shows every panel with data in its first HTML`, async ({ page }, info) => {
    await page.goto(`/d/${id}?range=15m`);
    await expect(page.getByTestId("page-title")).toHaveText(title);
    await expect(page.getByTestId("nav").getByRole("link", { name: title })).toHaveAttribute("aria-current", "page");
    const panels = page.locator("section.panel");
    expect(await panels.count()).toBeGreaterThan(4);
    // Exporters need a few scrapes after the stack starts: reload (JavaScript may
    // be off) until no panel is empty.
    await expect
      .poll(
        async () => {
          await page.reload();
          return page.getByTestId("panel-empty").count();
        },
        { timeout: 45_000, intervals: [1000, 2000, 3000] },
      )
      .toBe(0);
    await expect(page.locator(".panel--error")).toHaveCount(0);
    for (const kind of await panels.evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")))) {
      expect(["time-series", "stat", "gauge", "bar", "table", "status-grid"]).toContain(kind);
    }
    await page.screenshot({ path: `screenshots/${id}-${info.project.name}.png`, fullPage: true });
  });
}

test("a status tile drills down to the api view of that service", async ({ page }) => {
  await page.goto("/?range=15m");
  const tile = page.getByTestId("panel-service_status").getByTestId("tile").filter({ hasText: "auth-service" });
  await expect(tile).toHaveAttribute("data-level", "ok");
  await tile.click();
  await expect(page).toHaveURL(/\/d\/api\?range=15m&service=auth-service/);
  const rows = page.getByTestId("panel-summary").getByTestId("data-table").locator("tbody tr");
  await expect(rows.first()).toContainText("auth-service");
  for (const text of await rows.allTextContents()) {
    expect(text).toContain("auth-service");
  }
});
