import { expect, type Locator, type Page } from "@playwright/test";

/** The overview dashboard, as tests see it. */
export class OverviewPage {
  readonly panel: Locator;
  readonly chart: Locator;
  readonly legend: Locator;
  readonly status: Locator;
  readonly streamState: Locator;
  readonly rangePicker: Locator;
  readonly overlay: Locator;
  readonly tooltip: Locator;
  readonly annotations: Locator;

  constructor(readonly page: Page) {
    this.panel = page.getByTestId("panel-request_rate");
    this.chart = page.getByTestId("chart-request_rate");
    this.legend = this.panel.getByTestId("legend");
    this.status = this.panel.getByTestId("panel-status");
    this.streamState = page.getByTestId("stream-state");
    this.rangePicker = page.getByTestId("range-picker");
    this.overlay = this.panel.getByTestId("chart-overlay");
    this.tooltip = this.panel.getByTestId("chart-tooltip");
    this.annotations = this.overlay.getByTestId("annotation");
  }

  /** A point on the chart, as shares of its width and height. */
  async pointAt(xShare: number, yShare = 0.5): Promise<{ x: number; y: number }> {
    const box = await this.overlay.boundingBox();
    if (!box) throw new Error("the chart is not on screen");
    return { x: box.x + box.width * xShare, y: box.y + box.height * yShare };
  }

  async open(query = "") {
    await this.page.goto(`/${query}`);
    await expect(this.chart).toBeVisible();
  }

  /** The chart's lines, as their point lists. */
  async lines(): Promise<string[]> {
    return this.chart.locator("polyline.chart__series").evaluateAll((els) =>
      els.map((e) => e.getAttribute("points") ?? ""),
    );
  }

  async updatedAt(): Promise<number> {
    return Number(await this.panel.getAttribute("data-updated-at"));
  }

  async screenshot(name: string) {
    await this.page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });
  }
}
