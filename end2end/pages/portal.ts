import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";

import { expect, type FrameLocator, type Page } from "@playwright/test";

/** A token for one panel, issued the way an operator does: `vantage token issue`. */
export function issueToken(dashboard: string, panel: string, args: string[] = []): string {
  const out = execFileSync(process.env.VANTAGE_BINARY!, ["token", "issue", dashboard, panel, ...args], {
    env: process.env,
    encoding: "utf8",
  });
  const line = out.split("\n").find((l) => l.startsWith("token:"));
  if (!line) throw new Error(`no token in: ${out}`);
  return line.slice("token:".length).trim();
}

/** Someone else's site on another loopback port: one page that frames `src`. */
export class Portal {
  private server?: Server;

  constructor(readonly port: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** A page that frames `src`. */
  async serve(src: string) {
    await this.serveHtml(`<iframe id="panel" src="${src}" width="800" height="380" style="border:0"></iframe>`);
  }

  /** A page with `body` under its heading. */
  async serveHtml(body: string) {
    const html = `<!doctype html><title>Portal</title><h1>Team portal</h1>\n${body}`;
    this.server = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(html);
    });
    await new Promise<void>((r) => this.server!.listen(this.port, "127.0.0.1", () => r()));
  }

  async close() {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** The portal page in the browser, with what Chromium said about framing. */
export class PortalPage {
  readonly refusals: string[] = [];
  readonly frame: FrameLocator;

  constructor(readonly page: Page) {
    page.on("console", (m) => {
      if (m.text().includes("frame-ancestors")) this.refusals.push(m.text());
    });
    this.frame = page.frameLocator("#panel");
  }

  async open(portal: Portal) {
    await this.page.goto(portal.url);
    await expect(this.page.getByRole("heading", { name: "Team portal" })).toBeVisible();
  }

  embed() {
    return this.frame.getByTestId("embed");
  }

  async updatedAt(panel: string): Promise<number> {
    return Number(await this.frame.getByTestId(`panel-${panel}`).getAttribute("data-updated-at"));
  }
}
