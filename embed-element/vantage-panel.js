// <vantage-panel base="https://vantage.example.com" dashboard="overview"
//     panel="request_rate" token="v1.…" [range="1h"] [theme="dark"]
//     [service="api-gateway"]></vantage-panel>
//
// One live Vantage panel in any page: loaded by
// <script type="module" src="https://vantage.example.com/embed-element/vantage-panel.js">.
// It draws in a shadow root (the page's styles and the panel's do not mix),
// and reads data only with the token it is given.
import init, { mount_panel } from "./embed-element.js";

const here = new URL(".", import.meta.url);
const ready = init({ module_or_path: new URL("embed-element_bg.wasm", here) });
// Attributes that are not the panel's query string.
const OWN = new Set(["base", "dashboard", "panel"]);

class VantagePanel extends HTMLElement {
  async connectedCallback() {
    if (this.shadowRoot) return;
    const root = this.attachShadow({ mode: "open" });
    const base = this.getAttribute("base") ?? new URL("..", here).origin;
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = new URL("/style/main.css", base).href;
    const target = document.createElement("div");
    root.append(style, target);
    const query = new URLSearchParams();
    for (const { name, value } of this.attributes) {
      if (!OWN.has(name)) query.append(name, value);
    }
    await ready;
    mount_panel(target, base, this.getAttribute("dashboard") ?? "", this.getAttribute("panel") ?? "", query.toString());
  }
}

customElements.define("vantage-panel", VantagePanel);
