import { test, expect, Page } from "@playwright/test";

// Times in the viewer's zone (here Tokyo, UTC+9 all year) by default, with a
// UTC choice kept like the theme; the server's page says it shows UTC.
test.use({ timezoneId: "Asia/Tokyo" });

/** The hours of the request-rate chart's time labels (`HH:MM`). */
async function axisHours(page: Page): Promise<number[]> {
  const texts = await page.getByTestId("chart-request_rate").locator("text").allTextContents();
  return texts.filter((t) => /^\d\d:\d\d$/.test(t.trim())).map((t) => Number(t.trim().slice(0, 2)));
}

test("times follow the browser's zone, or UTC when chosen, and the choice survives a reload", async ({ page }, info) => {
  if (info.project.name !== "hydrated") {
    // Without the browser's script, the server's page shows UTC and says so.
    await page.goto("/?range=1h");
    await expect(page.getByTestId("zone-toggle")).toHaveText("Times: UTC");
    return;
  }
  await page.goto("/?range=1h");
  const toggle = page.getByTestId("zone-toggle");
  await expect(toggle).toHaveText("Times: local (UTC+9)", { timeout: 15_000 });
  await expect.poll(async () => (await axisHours(page)).length).toBeGreaterThan(0);
  const local = await axisHours(page);

  await toggle.click();
  await expect(toggle).toHaveText("Times: UTC");
  await expect.poll(async () => (await axisHours(page))[0]).toBe((local[0] + 24 - 9) % 24);

  await page.reload();
  await expect(toggle).toHaveAttribute("data-zone", "utc");
  await page.waitForTimeout(1000);
  await expect(toggle).toHaveText("Times: UTC");
  expect((await axisHours(page))[0]).toBe((local[0] + 24 - 9) % 24);

  await toggle.click();
  await expect(toggle).toHaveText("Times: local (UTC+9)");
  await page.screenshot({ path: `screenshots/time-zone-${info.project.name}.png` });
});
