import { test, expect } from "@playwright/test";

// Kiosk mode (a TV wall): `kiosk` in the URL hides the navigation and the
// controls, is kept by every link, and survives a reload.
test("kiosk mode hides the chrome, keeps it in links and survives a reload", async ({ page }, info) => {
  await page.goto("/?range=15m&kiosk");
  const panels = page.locator("[data-testid^=panel-]");
  await expect(panels.first()).toBeVisible();
  const chromeless = async () => {
    await expect(page.getByTestId("nav")).toHaveCount(0);
    await expect(page.getByTestId("range-picker")).toHaveCount(0);
    await expect(page.getByTestId("zone-toggle")).toHaveCount(0);
    await expect(page.locator("[data-testid^=share-]")).toHaveCount(0);
    await expect(page.getByTestId("page-title")).toHaveText("Overview");
  };
  await chromeless();
  // A tile drills down, and the next page is a kiosk page too.
  const tile = page.getByTestId("panel-service_status").getByTestId("tile").filter({ hasText: "auth-service" });
  await expect(tile).toHaveAttribute("href", /[?&]kiosk(&|$)/);
  await page.screenshot({ path: `screenshots/kiosk-${info.project.name}.png` });
  await tile.click();
  await expect(page).toHaveURL(/\/d\/api\?.*kiosk/);
  await expect(page.getByTestId("page-title")).toHaveText("API performance");
  await expect(page.getByTestId("nav")).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId("page-title")).toHaveText("API performance");
  await expect(page.getByTestId("nav")).toHaveCount(0);
  await expect(page.getByTestId("range-picker")).toHaveCount(0);
  // Without it, the chrome is back.
  await page.goto("/?range=15m");
  await expect(page.getByTestId("nav")).toBeVisible();
  await expect(page.getByTestId("range-picker")).toBeVisible();
});
