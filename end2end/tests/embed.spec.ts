import { expect, test } from "@playwright/test";

import { issueToken, Portal, PortalPage } from "../pages/portal";

const vantage = () => process.env.VANTAGE_URL!;

test("a portal on an allowed origin frames a live panel", async ({ page, javaScriptEnabled }) => {
  const token = issueToken("overview", "request_rate", ["--range", "15m", "--var", "service=api-gateway"]);
  const portal = new Portal(Number(process.env.PORTAL_PORT));
  await portal.serve(`${vantage()}/embed/overview/request_rate?token=${token}&theme=dark`);
  try {
    const view = new PortalPage(page);
    await view.open(portal);
    const chart = view.frame.getByTestId("chart-request_rate");
    await expect(chart).toBeVisible();
    await expect(view.frame.getByTestId("legend")).toContainText("api-gateway");
    await expect(view.frame.getByTestId("nav")).toHaveCount(0);
    expect(view.refusals).toEqual([]);
    if (javaScriptEnabled) {
      // Live over the embed's own stream: newer data arrives without a reload.
      const before = await view.updatedAt("request_rate");
      await expect.poll(() => view.updatedAt("request_rate"), { timeout: 30_000 }).toBeGreaterThan(before);
    }
    await page.screenshot({ path: `screenshots/embed-portal-${javaScriptEnabled ? "hydrated" : "no-js"}.png` });
  } finally {
    await portal.close();
  }
});

test("a portal on another origin is refused by the browser", async ({ page }) => {
  const token = issueToken("overview", "request_rate", ["--range", "15m"]);
  const portal = new Portal(Number(process.env.OTHER_PORTAL_PORT));
  await portal.serve(`${vantage()}/embed/overview/request_rate?token=${token}`);
  try {
    const view = new PortalPage(page);
    await view.open(portal);
    await expect.poll(() => view.refusals.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(view.refusals[0]).toContain("frame-ancestors");
    await expect(view.embed()).toHaveCount(0);
  } finally {
    await portal.close();
  }
});

test("a Vantage page other than an embed refuses to be framed, even by an allowed portal", async ({ page }) => {
  const portal = new Portal(Number(process.env.PORTAL_PORT));
  await portal.serve(`${vantage()}/d/overview`);
  try {
    const view = new PortalPage(page);
    await view.open(portal);
    await expect.poll(() => view.refusals.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(view.refusals[0]).toContain("'none'");
    await expect(view.frame.getByTestId("nav")).toHaveCount(0);
  } finally {
    await portal.close();
  }
});

test.describe("script-tag embed", () => {
  test.skip(({ javaScriptEnabled }) => !javaScriptEnabled, "the element is script");

  const element = (token: string) =>
    `<script type="module" src="${vantage()}/embed-element/vantage-panel.js"></script>
<vantage-panel base="${vantage()}" dashboard="overview" panel="request_rate" token="${token}" range="15m"></vantage-panel>`;

  test("a portal on an allowed origin shows a live panel through <vantage-panel>", async ({ page }) => {
    const token = issueToken("overview", "request_rate", ["--range", "15m", "--var", "service=api-gateway"]);
    const portal = new Portal(Number(process.env.PORTAL_PORT));
    await portal.serveHtml(element(token));
    try {
      await page.goto(portal.url);
      // Locators reach into the element's (open) shadow root.
      const panel = page.locator("vantage-panel").getByTestId("panel-request_rate");
      await expect(panel.getByTestId("chart-request_rate")).toBeVisible();
      await expect(panel.getByTestId("legend")).toContainText("api-gateway");
      await expect(page.locator("vantage-panel").getByTestId("share-request_rate")).toHaveCount(0);
      const updated = async () => Number(await panel.getAttribute("data-updated-at"));
      const before = await updated();
      await expect.poll(updated, { timeout: 30_000 }).toBeGreaterThan(before);
      await page.screenshot({ path: "screenshots/embed-element.png" });
    } finally {
      await portal.close();
    }
  });

  test("on an origin that is not allowed, the browser keeps the data from the element", async ({ page }) => {
    const token = issueToken("overview", "request_rate", ["--range", "15m"]);
    const portal = new Portal(Number(process.env.OTHER_PORTAL_PORT));
    await portal.serveHtml(element(token));
    try {
      await page.goto(portal.url);
      await expect(page.locator("vantage-panel").getByTestId("embed-error")).toBeVisible();
      await expect(page.locator("vantage-panel").getByTestId("chart-request_rate")).toHaveCount(0);
    } finally {
      await portal.close();
    }
  });
});
