#!/usr/bin/env node
// Development server: serves web/dist and proxies every other request
// (method, headers and a streaming body both ways) to the gba-grants HTTP/1.1
// (gRPC-Web) port, so that the page and the API share one origin.
//
//   node scripts/dev-server.mjs --port 8080 --upstream 127.0.0.1:50051
//
// Also importable: `startDevServer({ port, upstream })` resolves to
// `{ url, close }` (port 0 picks a free port).
import http from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const STATIC = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/app.css": ["app.css", "text/css; charset=utf-8"],
};
// The same policy as the Rust server sends with the page (services/api/page.rs),
// less 'unsafe-inline' for styles, which the page does not need.
const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

export function startDevServer({ port = 8080, host = "127.0.0.1", upstream = "127.0.0.1:50051" } = {}) {
  const [upHost, upPort] = upstream.split(/:(?=\d+$)/);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const file = STATIC[path];
    if (file && (req.method === "GET" || req.method === "HEAD")) {
      try {
        const body = await readFile(join(dist, file[0]));
        res.writeHead(200, { "content-type": file[1], "content-length": body.length, "cache-control": "no-cache", ...SECURITY_HEADERS });
        res.end(req.method === "HEAD" ? undefined : body);
      } catch {
        res.writeHead(404, { "content-type": "text/plain" }).end("web/dist is not built: npm run build\n");
      }
      return;
    }
    const headers = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
    headers.host = upstream;
    const up = http.request({ host: upHost, port: Number(upPort), method: req.method, path: req.url, headers, agent }, (upRes) => {
      const out = {};
      for (const [k, v] of Object.entries(upRes.headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(upRes.statusCode ?? 502, out);
      res.flushHeaders();
      upRes.on("data", (chunk) => res.write(chunk));
      upRes.on("end", () => res.end());
      upRes.on("error", () => res.destroy());
      upRes.on("aborted", () => res.destroy());
    });
    up.on("error", (err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end(`upstream ${upstream}: ${err.code ?? err.message}\n`);
      else res.destroy();
    });
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        url: `http://${host}:${addr.port}/`,
        port: addr.port,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            agent.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const { url } = await startDevServer({
    port: Number(opt("port", "8080")),
    host: opt("host", "127.0.0.1"),
    upstream: opt("upstream", process.env.GBA_GRANTS_LISTEN ?? "127.0.0.1:50051"),
  });
  console.log(`dashboard at ${url} (API proxied to ${opt("upstream", process.env.GBA_GRANTS_LISTEN ?? "127.0.0.1:50051")})`);
}
