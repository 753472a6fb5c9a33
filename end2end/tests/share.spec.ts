import { expect, test } from "@playwright/test";

import { OverviewPage } from "../pages/overview";

test("without JavaScript there is no share button (sharing needs the browser)", async ({ page, javaScriptEnabled }) => {
  test.skip(javaScriptEnabled, "the server-rendered page alone");
  const overview = new OverviewPage(page);
  await overview.open("?range=15m");
  await expect(page.getByTestId("share-request_rate")).toHaveCount(0);
});

test.describe("hydrated", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "needs the browser bundle");

  test("the share dialog gives a link to the view and working embed links for the panel", async ({ page }) => {
    const overview = new OverviewPage(page);
    await overview.open("?range=15m&service=api-gateway");
    await page.getByTestId("share-request_rate").click();
    const dialog = page.getByTestId("share-dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog.getByTestId("share-link")).toHaveValue(/\/d\/overview\?range=15m&service=api-gateway$/);

    await dialog.getByTestId("share-expires").selectOption("1d");
    await dialog.getByTestId("share-create").click();
    const iframe = dialog.getByTestId("share-iframe");
    await expect(iframe).toHaveValue(/^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\/overview\/request_rate\?token=v1\./);
    await expect(iframe).toHaveValue(/title="Request rate by service"/);

    // The links work, and show what was shared: this panel, this service.
    const png = await page.request.get(await dialog.getByTestId("share-png").inputValue());
    expect(png.status()).toBe(200);
    expect(png.headers()["content-type"]).toBe("image/png");
    const live = await dialog.getByTestId("share-live").inputValue();
    const data = await page.request.get(live.replace("/request_rate?", "/request_rate/data?"));
    const names = (await data.json()).series.map((s: { name: string }) => s.name);
    expect(names).toEqual(["api-gateway"]);
    await page.screenshot({ path: "screenshots/share-dialog.png" });

    await page.keyboard.press("Escape");
    await expect(dialog).toHaveCount(0);
  });
});
