// Starts the real stack (Prometheus, exporters, Alertmanager, the demo fleet) and
// Vantage on free loopback ports, with the binaries scripts/build made, and stops
// everything after the run. The vantage binary is copied alone into an empty
// folder first and runs there, so every test also shows that it carries its
// browser bundle (an installed vantage has no source tree beside it).
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort } from "./support/net";

export default async function globalSetup() {
  const root = resolve(__dirname, "..");
  const profile = process.env.VANTAGE_PROFILE ?? "debug";
  const binary = join(root, "target", profile, "vantage-stack");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run scripts/build first`);
  const dir = mkdtempSync(join(tmpdir(), "vantage-e2e-"));
  const info = join(dir, "info.json");
  // Embeds: a "portal" origin Vantage lets frame its panels, another it does
  // not, and the key tests issue tokens with (`vantage token issue`).
  process.env.PORTAL_PORT = String(await freePort());
  process.env.OTHER_PORTAL_PORT = String(await freePort());
  process.env.VANTAGE_EMBED_KEY_FILE = join(dir, "embed.key");
  const alone = join(dir, "alone");
  mkdirSync(alone);
  copyFileSync(join(root, "target", profile, "vantage"), join(alone, "vantage"));
  process.env.VANTAGE_BINARY = join(alone, "vantage");
  // A team's hundred dashboards in ten folders (many-dashboards.spec.ts), and
  // a folder of the tests' own edits.
  const boards = join(dir, "dashboards");
  for (let f = 0; f < 10; f++) {
    mkdirSync(join(boards, `team-${f}`), { recursive: true });
    for (let n = 0; n < 10; n++) {
      writeFileSync(
        join(boards, `team-${f}`, `team${f}-board${n}.toml`),
        `title = "Team ${f} board ${n}"\n[[panels]]\nid = "up"\ntitle = "Targets up"\nkind = "stat"\n[[panels.queries]]\nexpr = 'sum(up)'\n`,
      );
    }
  }
  mkdirSync(join(boards, "edits"));
  // A Grafana dashboard of every panel and variable kind, imported as a user
  // imports one (imported.spec.ts).
  execFileSync(process.env.VANTAGE_BINARY, [
    "import", "grafana", join(root, "server/tests/fixtures/grafana/exporters-every-kind.json"),
    "--out", join(boards, "imported"),
  ]);
  process.env.VANTAGE_DASHBOARDS_DIR = boards;
  const child = spawn(
    binary,
    [
      "--free-ports", "--history-hours", "1", "--scrape-seconds", "1", "--refresh-seconds", "2",
      "--info-file", info, "--vantage-binary", process.env.VANTAGE_BINARY,
    ],
    {
      cwd: root,
      stdio: ["ignore", "inherit", "inherit"],
      env: { ...process.env, VANTAGE_EMBED_ORIGINS: `http://127.0.0.1:${process.env.PORTAL_PORT}` },
    },
  );
  const deadline = Date.now() + 90_000;
  while (!existsSync(info)) {
    if (child.exitCode !== null) throw new Error(`vantage-stack exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error("the stack was not ready within 90 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  const urls = JSON.parse(readFileSync(info, "utf8"));
  process.env.VANTAGE_URL = urls.vantage;
  process.env.PROMETHEUS_URL = urls.prometheus;
  process.env.FLEET_CONTROL_URL = urls.fleet_control;

  return async () => {
    child.kill("SIGINT");
    await new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        r();
      }, 15_000);
      child.on("exit", () => {
        clearTimeout(timer);
        r();
      });
    });
  };
}
