import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

// Benchmarks, not tests: run on demand (see docs/PERFORMANCE.md), against the
// same real stack the tests start, in the same Debian Chromium.
export default defineConfig({
  ...base,
  testDir: "./bench",
  timeout: 600_000,
  projects: [{ name: "bench", use: { javaScriptEnabled: true } }],
});
