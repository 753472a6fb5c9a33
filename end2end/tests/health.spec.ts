import { expect, test } from "@playwright/test";
import { fleetServices, setMode } from "../pages/fleet";

test("the health page shows a card per fleet service in its first HTML", async ({ page }, info) => {
  const services = await fleetServices();
  await page.goto("/health?range=15m");
  await expect(page.getByTestId("page-title")).toHaveText("Health");
  await expect(page.getByTestId("nav").getByRole("link", { name: "Health" })).toHaveAttribute("aria-current", "page");
  // Checks run every 10 s from a random start: reload (JavaScript may be off)
  // until every service has been checked.
  await expect
    .poll(
      async () => {
        await page.reload();
        return page.locator('[data-testid^="check-"][data-status="up"]').count();
      },
      { timeout: 40_000, intervals: [1000, 2000, 3000] },
    )
    .toBe(services.length);
  for (const name of services) {
    const card = page.getByTestId(`check-${name}`);
    await expect(card.getByTestId("check-status")).toHaveText(/up/);
    await expect(card.getByTestId("check-response")).toHaveText(/\d/);
    await expect(card.getByTestId("check-uptime")).toHaveText(/%/);
  }
  // The detailed endpoint's components are shown.
  await expect(page.getByTestId("check-user-service").getByRole("list", { name: "Components" })).toContainText("database");
  await expect(page.getByTestId("health-summary")).toHaveText(`${services.length} checks: ${services.length} up, 0 degraded, 0 down`);
  await page.screenshot({ path: `screenshots/health-${info.project.name}.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: `screenshots/health-phone-${info.project.name}.png`, fullPage: true });
});

test("a failing service's card turns down with the reason, and its history says so", async ({ page }) => {
  const card = page.getByTestId("check-permission-service");
  await setMode("permission-service", "fail");
  try {
    await page.goto("/health?range=15m");
    await expect
      .poll(
        async () => {
          await page.reload();
          return card.getAttribute("data-status");
        },
        { timeout: 40_000, intervals: [1000, 2000] },
      )
      .toBe("down");
    await expect(card.getByTestId("check-error")).toHaveText("answered HTTP 503");
    await expect(card.getByTestId("check-status")).toHaveText(/down/);
    // The navigation says what is red, on every page.
    await expect(page.getByTestId("nav-health-badge")).toHaveText(/^\d+ down$/);
    // Worst first: the down card leads the page.
    await expect(page.locator('[data-testid^="check-"][data-status]').first()).toHaveAttribute("data-status", "down");
    await card.getByText("History").click();
    await expect(card.getByTestId("check-history")).toContainText("→ down");
  } finally {
    await setMode("permission-service", "normal");
  }
  // A card drills down to the service's API dashboard.
  await card.getByRole("link", { name: /on the API dashboard/ }).click();
  await expect(page).toHaveURL(/\/d\/api\?range=15m&service=permission-service/);
});

test("a hydrated health page follows a service going down and back without a reload", async ({ page }, info) => {
  test.skip(info.project.name !== "hydrated", "live updates need the browser's script");
  await page.goto("/health?range=15m");
  const card = page.getByTestId("check-auth-service");
  await expect(card).toHaveAttribute("data-status", "up");
  // Hydrated: the stream is open and results keep arriving.
  const checked = await card.getByTestId("check-checked").textContent();
  await expect(card.getByTestId("check-checked")).not.toHaveText(checked ?? "", { timeout: 25_000 });
  await setMode("auth-service", "fail");
  try {
    await expect(card).toHaveAttribute("data-status", "down", { timeout: 25_000 });
    await expect(card.getByTestId("check-error")).toHaveText("answered HTTP 503");
    await expect(page.getByTestId("health-summary")).toContainText("1 down");
  } finally {
    await setMode("auth-service", "normal");
  }
  await expect(card).toHaveAttribute("data-status", "up", { timeout: 25_000 });
  await expect(card.getByTestId("check-error")).toHaveCount(0);
});

test("the alerts page lists alerts with severity filters kept in the URL", async ({ page }) => {
  await page.goto("/alerts?range=1h");
  await expect(page.getByTestId("page-title")).toHaveText("Alerts");
  await expect(page.getByTestId("alerts-firing")).toHaveText(/\d+ firing/);
  await page.getByTestId("severity-filter").getByRole("link", { name: "Critical" }).click();
  await expect(page).toHaveURL(/\/alerts\?range=1h&severity=critical/);
  await expect(page.getByTestId("severity-filter").getByRole("link", { name: "Critical" })).toHaveAttribute("aria-current", "true");
  for (const severity of await page.getByTestId("alert").evaluateAll((els) => els.map((e) => e.getAttribute("data-severity")))) {
    expect(severity).toBe("critical");
  }
  await page.getByTestId("range-picker").getByRole("link", { name: "24h" }).click();
  await expect(page).toHaveURL(/\/alerts\?range=24h&severity=critical/);
  // The service choice is a plain form: it works without JavaScript too.
  const filter = page.getByTestId("service-filter");
  await filter.getByLabel("Service").selectOption("auth-service");
  await filter.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/\/alerts\?range=24h&severity=critical&service=auth-service/);
  await expect(filter.getByLabel("Service")).toHaveValue("auth-service");
  for (const text of await page.getByTestId("alert").allTextContents()) {
    expect(text).toContain("auth-service");
  }
});
