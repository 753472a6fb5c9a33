import { expect, test } from "@playwright/test";

const LIGHT_BG = "rgb(246, 247, 249)";
const DARK_BG = "rgb(15, 20, 25)";

test("the theme toggle switches light and dark and keeps the choice across reloads", async ({ page }, info) => {
  test.skip(info.project.name !== "hydrated", "the toggle needs the browser's script");
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/health?range=15m");
  const toggle = page.getByTestId("theme-toggle");
  const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await expect(toggle).toHaveText("Theme: system");
  expect(await background()).toBe(LIGHT_BG);
  // The first click may land before hydration; try until it takes.
  await expect(async () => {
    await toggle.click();
    await expect(toggle).toHaveText("Theme: light", { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await toggle.click();
  await expect(toggle).toHaveText("Theme: dark");
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe(DARK_BG);
  // Kept, and applied before the first paint of the next page.
  await page.reload();
  await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
  expect(await background()).toBe(DARK_BG);
  await expect(toggle).toHaveText("Theme: dark");
  await toggle.click();
  await expect(toggle).toHaveText("Theme: system");
  await expect(page.locator("html")).not.toHaveAttribute("data-theme", /.+/);
  expect(await background()).toBe(LIGHT_BG);
});

for (const path of ["/", "/d/api", "/d/system", "/d/infrastructure", "/health", "/alerts"]) {
  test(`${path} follows a dark system theme`, async ({ page }, info) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goto(`${path}?range=15m`);
    await expect(page.getByTestId("page-title")).toBeVisible();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe(DARK_BG);
    const name = path === "/" ? "overview" : path.split("/").pop();
    await page.screenshot({ path: `screenshots/${name}-dark-${info.project.name}.png`, fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    // On a phone every view's link is on screen, none behind a sideways scroll.
    const links = page.getByTestId("nav").getByRole("link");
    await expect(links.last()).toBeVisible();
    for (const link of await links.all()) {
      const box = (await link.boundingBox())!;
      expect(box.x >= 0 && box.x + box.width <= 390, `${await link.textContent()} at ${box.x}`).toBe(true);
    }
    await page.screenshot({ path: `screenshots/${name}-dark-phone-${info.project.name}.png`, fullPage: true });
  });
}
