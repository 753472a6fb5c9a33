import { test, expect, Page } from "@playwright/test";
import { writeFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";

// A hundred dashboards in ten folders (global-setup writes them): the
// navigation does not grow, the list page finds one by title, and a broken
// edit shows its notice on the dashboard's page.

/** Whether every box's vertical middle is within the first's height of it. */
function oneLine(boxes: { y: number; height: number }[]) {
  const mid = (b: { y: number; height: number }) => b.y + b.height / 2;
  return boxes.every((b) => Math.abs(mid(b) - mid(boxes[0])) < boxes[0].height / 2);
}

async function navFits(page: Page, name: string, info: { project: { name: string } }, label: string) {
  await page.goto("/?range=15m");
  const nav = page.getByTestId("nav");
  await expect(nav).toBeVisible();
  const all = page.getByTestId("nav-all-dashboards");
  await expect(all).toHaveText(label, { useInnerText: true });
  await expect(all).toHaveAccessibleName("All dashboards");
  // Nothing off screen to the right, the bar's or the navigation's.
  const overflow = await page.evaluate(() =>
    [".nav-bar", ".nav-bar__links"].map((s) => {
      const e = document.querySelector(s) as HTMLElement;
      return e.scrollWidth - e.clientWidth;
    }),
  );
  expect(overflow).toEqual([0, 0]);
  const links = nav.locator("a:visible");
  expect(await links.count()).toBeLessThanOrEqual(7);
  // The navigation is one line, with Health and Alerts on it, on screen;
  // so are the toggles.
  const width = page.viewportSize()!.width;
  const boxes = [];
  for (const link of await links.all()) boxes.push((await link.boundingBox())!);
  expect(oneLine(boxes)).toBe(true);
  await expect(nav.getByRole("link", { name: /^Health/ })).toBeVisible();
  await expect(nav.getByRole("link", { name: /^Alerts/ })).toBeVisible();
  const toggles = [];
  for (const t of [page.getByTestId("theme-toggle"), page.getByTestId("zone-toggle")]) toggles.push((await t.boundingBox())!);
  for (const box of [...boxes, ...toggles]) expect(box.x + box.width).toBeLessThanOrEqual(width);
  await page.screenshot({ path: `screenshots/nav-100-${name}-${info.project.name}.png` });
  return { bar: (await page.locator(".nav-bar").boundingBox())!, links: boxes, toggles };
}

test("with a hundred dashboards the navigation stays one line on a desk and on a phone", async ({ page }, info) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const desk = await navFits(page, "desk", info, "More…");
  // On a desk the whole bar is that one line.
  expect(oneLine([...desk.links, ...desk.toggles])).toBe(true);
  expect(desk.bar.height).toBeLessThan(desk.links[0].height * 2.5);
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = await navFits(page, "phone", info, "Dashboards");
  // On a phone the toggles sit on a row above it: two rows in all.
  expect(phone.bar.height).toBeLessThan(phone.links[0].height * 4);
  // A phone's one link to every dashboard leads to the list.
  await page.getByTestId("nav-all-dashboards").click();
  await expect(page.getByTestId("page-title")).toHaveText("Dashboards");
});

test("the list page groups them by folder and its search finds one by title", async ({ page }, info) => {
  await page.goto("/dashboards");
  await expect(page.getByTestId("page-title")).toHaveText("Dashboards");
  // A hundred, the four built in, and the imported one (imported.spec.ts).
  await expect(page.getByTestId("dashboard-link")).toHaveCount(105);
  await expect(page.getByTestId("dashboard-folder").filter({ hasText: "team-3" })).toHaveCount(1);
  if (info.project.name === "hydrated") {
    // `/` focuses the search; typing narrows the list at once.
    await expect(async () => {
      await page.locator("body").press("/");
      await expect(page.getByTestId("dashboard-search")).toBeFocused({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await page.keyboard.type("team 3 board 7");
  } else {
    await page.getByTestId("dashboard-search").fill("team 3 board 7");
    await page.getByTestId("dashboard-search").press("Enter");
    await expect(page).toHaveURL(/q=team/);
  }
  const found = page.getByTestId("dashboard-link");
  await expect(found).toHaveCount(1);
  await expect(found).toHaveText("Team 3 board 7");
  await page.screenshot({ path: `screenshots/dashboard-list-${info.project.name}.png`, fullPage: true });
  await found.click();
  await expect(page.getByTestId("page-title")).toHaveText("Team 3 board 7");
});

test("a broken edit keeps the last good dashboard and says what is wrong on its page", async ({ page }, info) => {
  const file = join(process.env.VANTAGE_DASHBOARDS_DIR!, "edits", `notice-${info.project.name}.toml`);
  const id = `notice-${info.project.name}`;
  const good = `title = "Notice"\n[[panels]]\nid = "up"\ntitle = "Targets up"\nkind = "stat"\n[[panels.queries]]\nexpr = 'sum(up)'\n`;
  writeFileSync(file, good);
  try {
    await expect(async () => {
      await page.goto(`/d/${id}`);
      await expect(page.getByTestId("page-title")).toHaveText("Notice", { timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    writeFileSync(file, good.replace('kind = "stat"', 'kind = "pie"'));
    await expect(async () => {
      await page.goto(`/d/${id}`);
      await expect(page.getByTestId("file-problem")).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 15_000 });
    await expect(page.getByTestId("file-problem")).toContainText(`${id}.toml: line 5`);
    await expect(page.getByTestId("panel-up")).toBeVisible();
    await page.screenshot({ path: `screenshots/broken-edit-${info.project.name}.png` });
  } finally {
    unlinkSync(file);
  }
});
