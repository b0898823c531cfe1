// Unit tests: bundles test/*.test.ts with esbuild into .test-build/ and runs
// them with node's own test runner (no Vite needed).
import { build } from "esbuild";
import { readdir, rm } from "node:fs/promises";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, ".test-build");
const only = process.argv.slice(2);
const tests = (await readdir(join(root, "test")))
  .filter((f) => f.endsWith(".test.ts"))
  .filter((f) => !only.length || only.some((o) => f.includes(o)))
  .sort();

await rm(out, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: tests.map((f) => `test/${f}`),
  outdir: ".test-build",
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
const files = tests.map((f) => join(out, f.replace(/\.ts$/, ".mjs")));
const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
