import { expect, test } from "@playwright/test";
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { OverviewPage } from "../pages/overview";

// global-setup.ts copies the vantage binary alone into an empty folder and the
// stack runs it from an empty working folder: nothing of the source tree is
// within its reach, as on a machine where it is installed.
test("the binary alone serves a styled page, its bundle and the script-tag embed", async ({ page, request }) => {
  const binary = process.env.VANTAGE_BINARY!;
  expect(readdirSync(dirname(binary))).toEqual(["vantage"]);
  expect(existsSync(join(dirname(binary), "target"))).toBe(false);
  expect(resolve(binary)).not.toContain(resolve(__dirname, ".."));

  const files: Record<string, number> = {};
  page.on("response", (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/(pkg|style)\//.test(path)) files[path] = r.status();
  });
  const overview = new OverviewPage(page);
  await overview.open();
  // The style sheet applies: its custom properties and its layout.
  const background = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--bg"));
  expect(background.trim()).not.toBe("");
  expect(await page.evaluate(() => getComputedStyle(document.body).margin)).toBe("0px");
  expect(files["/style/main.css"]).toBe(200);

  for (const path of ["/embed-element/vantage-panel.js", "/embed-element/embed-element.js", "/favicon.svg"]) {
    const response = await request.get(path);
    expect(response.status(), path).toBe(200);
  }
  const loader = await (await request.get("/embed-element/vantage-panel.js")).text();
  expect(loader).toContain('customElements.define("vantage-panel"');
});

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("the binary alone hydrates the page and keeps it live", async ({ page }) => {
    const files: Record<string, number> = {};
    page.on("response", (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith("/pkg/")) files[path] = r.status();
    });
    const overview = new OverviewPage(page);
    await overview.open("?range=15m");
    await expect(overview.streamState).toHaveText("live");
    expect(files["/pkg/vantage.js"]).toBe(200);
    expect(files["/pkg/vantage_bg.wasm"]).toBe(200);
    const before = await overview.updatedAt();
    await expect.poll(() => overview.updatedAt(), { timeout: 30_000 }).toBeGreaterThan(before);
    await overview.screenshot("installed-binary-live");
  });
});
