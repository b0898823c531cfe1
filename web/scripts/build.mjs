// Builds web/dist: index.html, app.js and app.css, flat, minified and
// deterministic (no hashes, timestamps or absolute paths), so that a fresh
// `npm ci && npm run build` reproduces the committed bundle byte for byte.
import { build } from "esbuild";
import { copyFile, mkdir, readFile, rm, readdir } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = join(root, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

await build({
  absWorkingDir: root,
  entryPoints: { app: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020", "chrome100", "firefox100", "safari15"],
  platform: "browser",
  charset: "utf8",
  legalComments: "none",
  sourcemap: false,
  logLevel: "warning",
});
await copyFile(join(root, "src/index.html"), join(dist, "index.html"));

let total = 0;
let totalGz = 0;
for (const f of (await readdir(dist)).sort()) {
  const bytes = await readFile(join(dist, f));
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += bytes.length;
  totalGz += gz;
  console.log(`dist/${f.padEnd(11)} ${String(bytes.length).padStart(7)} B  gzip ${String(gz).padStart(6)} B`);
}
console.log(`total            ${String(total).padStart(7)} B  gzip ${String(totalGz).padStart(6)} B`);
