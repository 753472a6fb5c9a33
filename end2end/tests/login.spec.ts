import { expect, test, type Page } from "@playwright/test";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { answers, freePort } from "../support/net";

// Logging in through a real OpenID provider (oidc-provider, from npm), with
// its own login and consent forms, to a Vantage of its own (the installed
// binary, pointed at the stack's Prometheus) that has no other way in.
// ana is in the group that makes editors; bo is a viewer.

const CLIENT_ID = "vantage-test";
const CLIENT_SECRET = "vantage-test-client-secret-0123456789";

let provider: ChildProcess;
let vantage: ChildProcess;
let base: string;

test.beforeAll(async () => {
  const [providerPort, vantagePort] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${vantagePort}`;
  const issuer = `http://127.0.0.1:${providerPort}`;
  provider = spawn(
    "node",
    ["provider.mjs", String(providerPort), CLIENT_ID, CLIENT_SECRET, `${base}/auth/openid/callback`],
    { cwd: resolve(__dirname, "../../stack/openid"), stdio: ["ignore", "ignore", "inherit"] },
  );
  await answers(`${issuer}/.well-known/openid-configuration`);
  const dir = mkdtempSync(join(tmpdir(), "vantage-login-"));
  writeFileSync(join(dir, "client.secret"), CLIENT_SECRET);
  vantage = spawn(
    process.env.VANTAGE_BINARY!,
    [
      "--listen", `127.0.0.1:${vantagePort}`,
      "--prometheus-url", process.env.PROMETHEUS_URL!,
      "--openid-issuer", issuer,
      "--openid-client-id", CLIENT_ID,
      "--openid-client-secret-file", join(dir, "client.secret"),
      "--openid-name", "Test Provider",
      "--openid-scopes", "profile,email,groups",
      "--editor-groups", "vantage-editors",
      "--store-path", join(dir, "health.sqlite"),
      "--embed-key-file", join(dir, "embed.key"),
    ],
    { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
  );
  await answers(`${base}/healthz`);
});

test.afterAll(() => {
  vantage?.kill("SIGTERM");
  provider?.kill("SIGTERM");
});

/** Through Vantage's login page and the provider's two forms, back to `path`. */
async function logIn(page: Page, name: string, path = "/d/overview") {
  await page.goto(`${base}${path}`);
  await expect(page).toHaveURL(/\/login\?next=/);
  // Hydrated, the app's router is in charge of the page's links by now: the
  // way out to the provider must still leave.
  await page.waitForLoadState("networkidle");
  await page.getByTestId("login-openid").click();
  // The provider's own pages.
  await page.locator('input[name="login"]').fill(name);
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page).toHaveURL(`${base}${path}`);
}

test("a viewer logs in through the provider, sees the dashboards, is refused the shared panels, and logs out", async ({ page }) => {
  await logIn(page, "bo");
  await expect(page.getByTestId("panel-request_rate")).toBeVisible();
  await expect(page.getByTestId("user-name")).toHaveText("bo");
  await expect(page.getByTestId("user-role")).toHaveText("viewer");
  await expect(page.getByTestId("nav-shared")).toHaveCount(0);

  const refused = await page.goto(`${base}/shared`);
  expect(refused?.status()).toBe(403);
  await expect(page.getByTestId("shared-refused")).toContainText("editor role");

  await page.goto(`${base}/d/overview`);
  await page.getByTestId("log-out").click();
  await expect(page).toHaveURL(`${base}/login`);
  // The session is over on the server: the dashboards ask for a login again.
  await page.goto(`${base}/d/overview`);
  await expect(page).toHaveURL(/\/login\?next=/);
  expect((await page.request.get(`${base}/api/me`)).status()).toBe(401);
});

test("an editor lists what they shared and revokes it", async ({ page }) => {
  await logIn(page, "ana");
  await expect(page.getByTestId("user-role")).toHaveText("editor");
  await expect(page.getByTestId("nav-shared")).toBeVisible();
  // A token minted as the page would (same origin, the session's cookie).
  const minted = await page.request.post(`${base}/api/embed-tokens`, {
    data: { dashboard: "overview", panel: "request_rate", ranges: ["1h", "6h"], expires: "7d" },
    headers: { Origin: base },
  });
  expect(minted.status()).toBe(200);
  const { id, live } = await minted.json();

  await page.getByTestId("nav-shared").click();
  await expect(page).toHaveURL(`${base}/shared`);
  const row = page.getByTestId(`shared-${id}`);
  await expect(row).toContainText("request_rate");
  await expect(row).toContainText("1h, 6h");
  await expect(row).toContainText("ana");
  await expect(row).toHaveAttribute("data-state", "active");
  expect((await page.request.get(`${base}${live}`)).status()).toBe(200);

  await row.getByTestId("revoke").click();
  await expect(page).toHaveURL(`${base}/shared`);
  await expect(page.getByTestId(`shared-${id}`)).toHaveAttribute("data-state", "revoked");
  expect((await page.request.get(`${base}${live}`)).status()).toBe(401);
});
