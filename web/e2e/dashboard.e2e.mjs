#!/usr/bin/env node
// End-to-end test of the dashboard in headless Chromium against a real
// gba-grants server:
//
//   GBA_GRANTS_BIN=/path/to/gba-grants npm run e2e
//
// Optional:
//   GBA_GRANTS_PAGE_URL  where the page is (default: the server itself,
//                        http://127.0.0.1:<port>/). `dev` serves web/dist
//                        through scripts/dev-server.mjs, which proxies the API.
//   GBA_GRANTS_PORT      the server's port (default: a free one).
//   GRANTCTL_BIN         grantctl, to compare the CSV downloads with its
//                        exports (default: grantctl beside GBA_GRANTS_BIN;
//                        none: not compared).
//   CHROMIUM             the browser (default /usr/bin/chromium).
//
// Steps: start the server on an empty SQLite database and read the
// bootstrap admin key; set up institutions, programmes (four in money,
// one facility programme of beam time with an allocation and usage), keys
// and one submitted application, with two versions of its proposal uploaded by
// client streaming while it was a draft; sign in on the page with a viewer
// key; see the facility programme's capacity bar and its usage in the
// feed; approve the application over gRPC and see it on the page within
// 2 s; see document events, an endorsement by a key naming its person, and
// the clearing of that endorsement live in the feed; stop the server
// (SIGTERM), see the page reconnecting, restart it on the same port and
// database, write 10 more events and see each exactly once; then, in each
// language (English, Traditional and Simplified Chinese) and at 1280, 768
// and 390 px: the words, the locale's numbers and dates, the totals per
// currency, the history panel and its documents, no overflow and no amount
// or button broken across lines; screenshots of each. Then the programme
// cards' CSV downloads (applications, payments), parsed back and compared
// with what the server lists, amounts exact, in grantctl export's columns
// (and byte for byte with grantctl's --excel output when grantctl is
// built). Then downloads: as the
// officer, files whose SHA-256 equals the uploads'; an altered download
// refused; a viewer's download refused with the server's reason. Then, on
// `gba-grants demo`'s picture (a server of its own), the history panel's
// team and sign-off in each language and at each width.
import { spawn } from "node:child_process";
import { access, copyFile, mkdir, mkdtemp, readFile, rm, chmod, writeFile } from "node:fs/promises";
import { constants as fsConstants, createWriteStream } from "node:fs";
import net from "node:net";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";

const here = dirname(fileURLToPath(import.meta.url));
const webRoot = join(here, "..");
const artifacts = join(here, "artifacts");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let passed = 0;
const ok = (what) => {
  passed++;
  console.log(`  ok ${passed} - ${what}`);
};
const log = (...a) => console.log("e2e:", ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class E2EError extends Error {}
function check(cond, message) {
  if (!cond) throw new E2EError(message);
}

// ---- the contract, compiled from the generated TypeScript --------------
async function loadContract() {
  const out = join(here, ".contract.mjs");
  await build({
    absWorkingDir: webRoot,
    entryPoints: ["e2e/contract.ts"],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "warning",
  });
  return import(pathToFileURL(out).href);
}

// ---- the server ----------------------------------------------------------
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

class Server {
  constructor(bin, port, dbUrl, logPath) {
    Object.assign(this, { bin, port, dbUrl, logPath, proc: null, exited: null });
  }

  /** Starts; resolves to the bootstrap admin key when one is printed (first start). */
  async start({ expectKey }) {
    const args = [
      "serve",
      "--listen", `127.0.0.1:${this.port}`,
      "--database-url", this.dbUrl,
      "--progress-interval-seconds", "1",
      "--shutdown-grace-seconds", "5",
    ];
    log(`starting ${this.bin} ${args.join(" ")}`);
    const logFile = createWriteStream(this.logPath, { flags: "a" });
    const proc = spawn(this.bin, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "info" } });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    proc.stderr.pipe(logFile);
    let stdout = "";
    const key = new Promise((resolve, reject) => {
      proc.stdout.on("data", (chunk) => {
        stdout += chunk;
        for (const line of stdout.split("\n").slice(0, -1)) {
          const t = line.trim();
          if (t && !/\s/.test(t)) resolve(t);
        }
      });
      this.exited.then(({ code, signal }) => reject(new E2EError(`server exited at start (code ${code}, signal ${signal}); see ${this.logPath}`)));
      if (!expectKey) resolve(null);
    });
    const timeout = sleep(60_000).then(() => {
      throw new E2EError(`no bootstrap admin key on stdout within 60 s; see ${this.logPath}`);
    });
    return Promise.race([key, timeout]);
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const r = await Promise.race([this.exited, sleep(20_000).then(() => null)]);
    if (!r) {
      this.proc.kill("SIGKILL");
      await this.exited;
      throw new E2EError("the server did not exit within 20 s of SIGTERM");
    }
    return r;
  }
}

// ---- gRPC as one key -------------------------------------------------------
function clientsFor(c, baseUrl) {
  const transport = createGrpcTransport({ baseUrl, httpVersion: "2" });
  return (key) => {
    const headers = { authorization: `Bearer ${key}` };
    const wrap = (service) => {
      const client = createClient(service, transport);
      return new Proxy(client, {
        get: (target, prop) =>
          typeof target[prop] === "function" ? (req, opts = {}) => target[prop](req, { ...opts, headers: { ...headers, ...(opts.headers ?? {}) } }) : target[prop],
      });
    };
    return {
      access: wrap(c.AccessService),
      institutions: wrap(c.InstitutionService),
      programmes: wrap(c.ProgrammeService),
      applications: wrap(c.ApplicationService),
      review: wrap(c.ReviewService),
      awards: wrap(c.AwardService),
      documents: wrap(c.DocumentService),
    };
  };
}

async function untilServing(as, adminKey, what) {
  const deadline = Date.now() + 60_000;
  let last;
  while (Date.now() < deadline) {
    try {
      await as(adminKey).institutions.listInstitutions({ pageSize: 1 }, { timeoutMs: 2000 });
      return;
    } catch (err) {
      last = err;
      await sleep(200);
    }
  }
  throw new E2EError(`${what}: the server did not answer within 60 s: ${last?.message}`);
}

// ---- documents ---------------------------------------------------------------
const sha256Hex = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** A PDF of `size` bytes: the magic the server checks, then random bytes. */
function pdfOf(size) {
  const head = Buffer.from("%PDF-1.7\n");
  return Buffer.concat([head, randomBytes(size - head.length)]);
}

/** Uploads `bytes` by client streaming (HTTP/2): the metadata, then chunks of 256 KiB. */
async function uploadDocument(client, parent, kind, fileName, bytes) {
  async function* messages() {
    yield {
      part: {
        case: "upload",
        value: { parent, kind, fileName, mediaType: "application/pdf", sizeBytes: BigInt(bytes.length), sha256: sha256Hex(bytes), requestId: randomUUID() },
      },
    };
    for (let i = 0; i < bytes.length; i += 256 * 1024) yield { part: { case: "chunk", value: bytes.subarray(i, i + 256 * 1024) } };
  }
  const { document } = await client.documents.uploadDocument(messages());
  return document;
}

// ---- team and sign-off, on the demo ---------------------------------------------
/** Runs `gba-grants demo` on `dbUrl`; resolves to the viewer key it prints. */
async function fillDemo(bin, dbUrl, logPath) {
  const proc = spawn(bin, ["demo", "--database-url", dbUrl], { stdio: ["ignore", "pipe", "pipe"] });
  const logFile = createWriteStream(logPath, { flags: "a" });
  proc.stderr.pipe(logFile);
  let stdout = "";
  proc.stdout.on("data", (chunk) => (stdout += chunk));
  const exit = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
  const r = await Promise.race([exit, sleep(180_000).then(() => null)]);
  if (!r) {
    proc.kill("SIGKILL");
    throw new E2EError(`gba-grants demo did not finish within 180 s; see ${logPath}`);
  }
  check(r.code === 0, `gba-grants demo exited with ${JSON.stringify(r)}; see ${logPath}`);
  const key = stdout.split("\n").map((l) => l.trim()).filter((l) => l && !/\s/.test(l)).at(-1);
  check(key && key.length > 8, `gba-grants demo printed no viewer key (stdout: ${JSON.stringify(stdout.slice(0, 200))})`);
  return key;
}

/** Every application the key sees, with its programme. */
async function allApplications(client, programmes) {
  const out = [];
  for (const p of programmes) {
    let pageToken = "";
    do {
      const res = await client.applications.listApplications({ parent: p.name, pageSize: 100, pageToken });
      out.push(...res.applications.map((a) => ({ app: a, programme: p })));
      pageToken = res.nextPageToken;
    } while (pageToken);
  }
  return out;
}

/**
 * The demo's facility programmes on the live page: the CSNS beam-time
 * cycle's card must show more than 10 % of its projects from Hong Kong and
 * Macao, and the NSCC-GZ core-hours card at least 200 awards to Hong Kong
 * and Macao (the region table's award counts summed), in each language.
 * The figures must agree with the region table and with the applications
 * the viewer key lists (the awards as the summary counts them, by the
 * applicant's region).
 */
async function checkDemoFacilities({ c, page, programmes, apps, inst, staleHint }) {
  const S = c.Application_State;
  const crossBorder = (name) => [c.Region.HONG_KONG, c.Region.MACAO].includes(inst.get(name)?.region);
  const find = (unit, re) => programmes.find((p) => p.facility?.unit === unit && re.test(p.displayName));
  const csns = find("beam-h", /CSNS/);
  const nscc = find("core-h", /NSCC-GZ/);
  check(csns && nscc, `the demo has no CSNS beam-h and NSCC-GZ core-h programmes (${programmes.map((p) => `${p.displayName} [${p.facility?.unit ?? "money"}]`).join("; ")}); a binary built before the demo's facilities? rebuild it`);
  // Awards as the summary counts them (watch.proto `award_count`): APPROVED
  // or ACTIVE, or CLOSED after a payment, which for a facility is usage.
  const isAward = (app) => [S.APPROVED, S.ACTIVE].includes(app.state) || (app.state === S.CLOSED && BigInt(app.usedResource?.steps ?? 0n) > 0n);
  const awarded = (p) => {
    const mine = apps.filter(({ app, programme }) => programme.name === p.name && isAward(app));
    return { awards: mine.length, crossBorder: mine.filter(({ app }) => crossBorder(app.applicantInstitution)).length };
  };
  const listed = { csns: awarded(csns), nscc: awarded(nscc) };
  const W = {
    en: /^Hong Kong and Macao: ([\d,]+) of ([\d,]+) projects? \((\d[\d,]*\.\d) %\)$/,
    "zh-Hant": /^港澳：([\d,]+) 個項目中的 ([\d,]+) 個（(\d[\d,]*\.\d)%）$/,
    "zh-Hans": /^港澳：([\d,]+) 个项目中的 ([\d,]+) 个（(\d[\d,]*\.\d)%）$/,
  };
  const int = (text) => (text == null ? NaN : Number(String(text).replace(/[^\d]/g, "")));
  const read = (name) =>
    page.evaluate((name) => {
      const card = document.querySelector(`article.card-facility[data-programme="${name}"]`);
      const fig = card?.querySelector("[data-cross-border]");
      const cell = (r) => card?.querySelector(`tr[data-row="awards"] td[data-region="${r}"]`)?.textContent ?? null;
      return {
        card: !!card,
        text: fig?.textContent ?? null,
        crossBorder: fig?.dataset.crossBorderAwards ?? null,
        awards: fig?.dataset.awards ?? null,
        permille: fig?.dataset.permille ?? null,
        totalAwards: card?.querySelector('[data-count="awards"]')?.textContent ?? null,
        regions: { hk: cell(1), mo: cell(2), gd: cell(3) },
        regionsEmpty: !!card?.querySelector(".regions-empty"),
      };
    }, name);
  await page.setViewportSize({ width: 1280, height: 900 });
  const notes = [];
  for (const lang of ["en", "zh-Hant", "zh-Hans"]) {
    await page.click(`#lang-switch [data-set-lang="${lang}"]`);
    await page.waitForFunction((id) => document.documentElement.dataset.lang === id, lang, { timeout: 3_000 });
    const figures = {};
    for (const [key, p] of [["csns", csns], ["nscc", nscc]]) {
      const what = `${lang}: the demo's ${p.displayName} card`;
      await page.waitForSelector(`article.card-facility[data-programme="${p.name}"] [data-cross-border]`, { timeout: 20_000 }).catch(async () => {
        throw new E2EError(`${what} shows no Hong Kong and Macao figure under its region table: ${JSON.stringify(await read(p.name))}${staleHint}`);
      });
      // The summary is live: wait until the card has the awards the server lists.
      await page
        .waitForFunction(
          ({ name, awards }) => document.querySelector(`article.card-facility[data-programme="${name}"] [data-cross-border]`)?.dataset.awards === String(awards),
          { name: p.name, awards: listed[key].awards },
          { timeout: 15_000 },
        )
        .catch(() => {});
      const f = await read(p.name);
      const m = W[lang].exec(f.text ?? "");
      check(m, `${what}: the figure reads ${JSON.stringify(f.text)}`);
      const [count, total] = lang === "en" ? [int(m[1]), int(m[2])] : [int(m[2]), int(m[1])];
      const regionSum = int(f.regions.hk) + int(f.regions.mo);
      check(
        count === Number(f.crossBorder) && total === Number(f.awards) && count === regionSum && total === int(f.totalAwards),
        `${what}: the figure ${JSON.stringify(f.text)} does not agree with the card (Hong Kong ${f.regions.hk} + Macao ${f.regions.mo} awards, ${f.totalAwards} in all, data ${f.crossBorder} of ${f.awards})`,
      );
      check(
        count === listed[key].crossBorder && total === listed[key].awards,
        `${what}: ${count} of ${total} awards to Hong Kong and Macao, but the server lists ${listed[key].crossBorder} of ${listed[key].awards}`,
      );
      // One decimal, rounded down, from the counts: no float in the check either.
      const permille = (BigInt(count) * 1000n) / BigInt(total);
      check(m[3].replace(/,/g, "") === `${permille / 10n}.${permille % 10n}` && f.permille === String(permille), `${what}: the share reads ${m[3]} (data ${f.permille}), not ${permille} tenths of a percent`);
      figures[key] = { count, total, text: f.text };
    }
    // The public figures: more than 10 % of CSNS projects, at least 200 NSCC-GZ awards.
    check(figures.csns.count * 10 > figures.csns.total, `${lang}: the CSNS card shows ${figures.csns.count} of ${figures.csns.total} projects from Hong Kong and Macao, not more than 10 %`);
    check(figures.nscc.count >= 200, `${lang}: the NSCC-GZ card shows ${figures.nscc.count} awards to Hong Kong and Macao, fewer than 200`);
    notes.push(`${lang}: "${figures.csns.text}", "${figures.nscc.text}"`);
  }
  await page.click('#lang-switch [data-set-lang="en"]');
  ok(`demo: the facility cards show Hong Kong and Macao's share of their awards, as the server lists them (${notes.join("; ")})`);
}

/**
 * The history panel's team and sign-off, on the demo: a submitted joint
 * project signed by both sides, and a draft no one has signed yet, in each
 * language, with the timeline's endorsements, and the layout at each width.
 */
async function checkDemoTeams({ c, bin, tmp, context, pageErrors, layoutProblems, widths, cleanups }) {
  const dbUrl = `sqlite://${join(tmp, "demo.db")}`;
  const logPath = join(artifacts, "server-demo.log");
  await rm(logPath, { force: true });
  const viewerKey = await fillDemo(bin, dbUrl, logPath);
  const port = await freePort();
  const server = new Server(bin, port, dbUrl, logPath);
  cleanups.push(() => server.stop().catch(() => {}));
  await server.start({ expectKey: false });
  const baseUrl = `http://127.0.0.1:${port}`;
  const as = clientsFor(c, baseUrl);
  await untilServing(as, viewerKey, "the demo's server");
  const viewer = as(viewerKey);
  const { programmes } = await viewer.programmes.listProgrammes({ pageSize: 100 });
  const { institutions } = await viewer.institutions.listInstitutions({ pageSize: 100 });
  const inst = new Map(institutions.map((i) => [i.name, i]));
  const apps = await allApplications(viewer, programmes);
  const lacking = "(a binary built before teams and endorsements? rebuild it)";
  check(apps.some(({ app }) => app.team.length > 0), `no demo application has a team ${lacking}`);
  const Req = c.EndorsementRequirement;
  const S = c.Application_State;
  const signedOne = apps.find(
    ({ app, programme }) =>
      programme.endorsementRequirement === Req.APPLICANT_AND_PARTNERS &&
      ![S.DRAFT, S.WITHDRAWN].includes(app.state) &&
      app.partnerInstitutions.length === 1 &&
      app.endorsements.length === 2,
  );
  check(signedOne, `no submitted demo application of a programme requiring the applicant's and partners' sign-off carries both endorsements ${lacking}`);
  const unsigned = apps.find(({ app, programme }) => app.state === S.DRAFT && !app.endorsements.length && programme.endorsementRequirement !== Req.UNSPECIFIED);
  const a = signedOne.app;
  const partner = a.partnerInstitutions[0];
  const coI = a.team.find((m) => m.role === c.TeamMember_Role.CO_INVESTIGATOR && m.institution === partner);
  check(coI && /^Co-investigator of project \d+$/.test(coI.displayName), `the demo's ${a.name} has no "Co-investigator of project N" at its partner: ${JSON.stringify(a.team)}`);

  let pageUrl = `${baseUrl}/`;
  if (process.env.GBA_GRANTS_PAGE_URL === "dev") {
    const { startDevServer } = await import(pathToFileURL(join(webRoot, "scripts/dev-server.mjs")).href);
    const dev = await startDevServer({ port: 0, upstream: `127.0.0.1:${port}` });
    cleanups.unshift(() => dev.close());
    pageUrl = dev.url;
  }
  const servedDemo = await Promise.all(
    ["", "app.js"].map((f) => fetch(new URL(f, pageUrl)).then((r) => r.text(), () => "")),
  );
  const builtDemo = await Promise.all(["dist/index.html", "dist/app.js"].map((f) => readFile(join(webRoot, f), "utf8")));
  const staleHint =
    servedDemo[0] !== builtDemo[0] || servedDemo[1] !== builtDemo[1]
      ? " (the page served differs from web/dist: rebuild the binary, or run with GBA_GRANTS_PAGE_URL=dev)"
      : "";
  const page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(`(demo tab) ${e.message}`));
  try {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(pageUrl);
    await page.waitForSelector("#signin-form", { state: "visible", timeout: 10_000 });
    await page.fill("#api-key", viewerKey);
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    const open = async (app) => {
      if (await page.isVisible("#history")) await page.click("#history-close");
      await page.waitForSelector(`#feed li[data-application="${app.name}"] [data-open-application]`, { timeout: 10_000 });
      await page.click(`#feed li[data-application="${app.name}"] [data-open-application] >> nth=0`);
      await page.waitForFunction((name) => document.getElementById("history")?.dataset.application === name, app.name, { timeout: 5_000 });
      await page.waitForSelector("#history-team", { timeout: 5_000 }).catch(async () => {
        const served = await page.evaluate(() => document.querySelector("#history-body")?.textContent?.slice(0, 200) ?? "");
        throw new E2EError(
          `the history panel of ${app.name} has no team section (${JSON.stringify(served)}); ` +
            "a page older than web/dist? With a binary built before this page, run with GBA_GRANTS_PAGE_URL=dev",
        );
      });
      await page.waitForFunction(() => !document.getElementById("history-status"), null, { timeout: 5_000 });
    };
    const readPanel = () =>
      page.evaluate(() => {
        const text = (el, sel) => el.querySelector(sel)?.textContent ?? null;
        const signoff = document.getElementById("history-signoff");
        return {
          members: [...document.querySelectorAll("#history-team li.member")].map((li) => ({
            role: li.dataset.role,
            institution: li.dataset.institution,
            name: text(li, '[data-field="member-name"]'),
            roleText: text(li, '[data-field="member-role"]'),
            instText: text(li, '[data-field="member-institution"]'),
            orcid: li.querySelector('a[data-field="member-orcid"]')?.getAttribute("href") ?? null,
            email: text(li, '[data-field="member-email"]'),
          })),
          requirement: signoff?.dataset.requirement,
          missing: signoff?.dataset.missing,
          requirementText: text(signoff, '[data-field="requirement"]'),
          status: text(signoff, '[data-field="signoff-status"]'),
          rows: [...(signoff?.querySelectorAll("li.signoff-row") ?? [])].map((li) => {
            const time = li.querySelector('[data-field="signed-time"]');
            return {
              institution: li.dataset.institution,
              signed: li.dataset.signed,
              required: li.dataset.required,
              name: text(li, '[data-field="signoff-institution"]'),
              by: text(li, '[data-field="signed-by"]'),
              time: time?.textContent ?? null,
              timeExpected: time ? new Intl.DateTimeFormat(document.documentElement.lang, { dateStyle: "medium", timeStyle: "medium" }).format(new Date(time.getAttribute("datetime"))) : null,
              missing: text(li, '[data-field="not-signed"]'),
            };
          }),
          endorsedEvents: [...document.querySelectorAll('#history-list li[data-team-activity="ENDORSED"] .change')].map((e) => e.textContent),
        };
      });
    const L = {
      en: { pi: "Principal investigator", coi: "Co-investigator", endorsed: (n) => `${n} endorsed`, complete: "All the required sign-offs are in.", missing: "Not yet signed", awaiting: "Awaiting the sign-off of " },
      "zh-Hant": { pi: "首席研究員", coi: "合作研究員", endorsed: (n) => `${n}已簽署`, complete: "所需簽署已齊備。", missing: "尚未簽署", awaiting: "尚待簽署：" },
      "zh-Hans": { pi: "项目负责人", coi: "合作研究员", endorsed: (n) => `${n}已签署`, complete: "所需签署已齐备。", missing: "尚未签署", awaiting: "尚待签署：" },
    };
    const notes = [];
    for (const lang of ["en", "zh-Hant", "zh-Hans"]) {
      const W = L[lang];
      const nameOf = (n) => (lang === "en" ? inst.get(n)?.displayName : inst.get(n)?.localName || inst.get(n)?.displayName);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.click(`#lang-switch [data-set-lang="${lang}"]`);
      await page.waitForFunction((id) => document.documentElement.dataset.lang === id, lang, { timeout: 3_000 });
      await open(a);
      const p = await readPanel();
      const what = `${lang}: the history panel of the demo's ${a.name} (${a.title})`;
      const wantMembers = a.team.map((m) => ({
        role: c.TeamMember_Role[m.role],
        institution: m.institution,
        name: m.displayName,
        roleText: m.role === c.TeamMember_Role.PRINCIPAL_INVESTIGATOR ? W.pi : m.role === c.TeamMember_Role.CO_INVESTIGATOR ? W.coi : p.members.find((x) => x.name === m.displayName)?.roleText,
        instText: nameOf(m.institution),
        orcid: m.orcid ? `https://orcid.org/${m.orcid}` : null,
        // Whatever the server sends the viewer (redacted: nothing).
        email: m.email || null,
      }));
      check(JSON.stringify(p.members) === JSON.stringify(wantMembers), `${what} shows the team ${JSON.stringify(p.members)}, not ${JSON.stringify(wantMembers)}`);
      check(p.members.some((m) => m.role === "PRINCIPAL_INVESTIGATOR" && m.institution === a.applicantInstitution), `${what}: no PI at the applicant`);
      check(p.requirement === "APPLICANT_AND_PARTNERS" && p.missing === "" && p.status === W.complete, `${what}: sign-off ${JSON.stringify({ requirement: p.requirement, missing: p.missing, status: p.status })}`);
      const wantRows = a.endorsements
        .slice()
        .sort((x, y) => (x.institution === a.applicantInstitution ? -1 : y.institution === a.applicantInstitution ? 1 : 0))
        .map((e) => ({ institution: e.institution, signed: "true", required: "true", name: nameOf(e.institution), by: e.actorPerson?.displayName || e.actor }));
      const gotRows = p.rows.map((r) => ({ institution: r.institution, signed: r.signed, required: r.required, name: r.name, by: r.by }));
      check(JSON.stringify(gotRows) === JSON.stringify(wantRows), `${what} shows the sign-offs ${JSON.stringify(gotRows)}, not ${JSON.stringify(wantRows)}`);
      for (const r of p.rows) check(r.time && r.time === r.timeExpected, `${what}: ${r.institution} signed at "${r.time}", not "${r.timeExpected}"`);
      const wantEndorsed = [a.applicantInstitution, partner].map((n) => W.endorsed(nameOf(n)));
      check(JSON.stringify(p.endorsedEvents) === JSON.stringify(wantEndorsed), `${what}: the timeline's endorsements read ${JSON.stringify(p.endorsedEvents)}, not ${JSON.stringify(wantEndorsed)}`);

      if (unsigned) {
        const d = unsigned.app;
        await open(d);
        const q = await readPanel();
        const req = unsigned.programme.endorsementRequirement;
        const wantMissing = [
          ...([Req.APPLICANT, Req.APPLICANT_AND_PARTNERS].includes(req) ? [d.applicantInstitution] : []),
          ...([Req.PARTNERS, Req.APPLICANT_AND_PARTNERS].includes(req) ? d.partnerInstitutions : []),
        ];
        check(q.missing === wantMissing.join(" "), `${lang}: the unsigned draft ${d.name} lists ${JSON.stringify(q.missing)} as still to sign, not ${JSON.stringify(wantMissing)}`);
        check(q.status?.startsWith(W.awaiting) && wantMissing.every((n) => q.status.includes(nameOf(n))), `${lang}: the unsigned draft's sign-off status reads ${JSON.stringify(q.status)}`);
        check(q.rows.length === wantMissing.length && q.rows.every((r) => r.signed === "false" && r.missing === W.missing), `${lang}: the unsigned draft's rows ${JSON.stringify(q.rows)}`);
        await open(a);
      }

      // The panel at each width: nothing cut, nothing broken inside a word.
      for (const width of widths) {
        await page.setViewportSize({ width, height: 900 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const shot = join(artifacts, `history-team-${width}-${lang}.png`);
        await page.locator("#history-team").scrollIntoViewIfNeeded();
        await page.screenshot({ path: shot });
        const lay = await layoutProblems("#history, #history button, #history-team, #history-signoff", page);
        check(!lay.problems.length, `${lang}, the demo's history panel at ${width} px (${shot}): ${lay.problems.slice(0, 8).join("; ")}`);
        notes.push(`${lang} ${width} px: ${lay.checked}`);
      }
      await page.click("#history-close");
    }
    ok(
      `demo: "${a.title}" shows its team (${a.team.map((m) => `${m.displayName}, ${c.TeamMember_Role[m.role]}`).join("; ")}), ` +
        `its 2 sign-offs with who and when, and "… endorsed" twice in its timeline, in 3 languages` +
        (unsigned ? `; the draft "${unsigned.app.title}" lists who is still to sign` : "; no unsigned draft to check") +
        `; layout holds (${notes.join(", ")})`,
    );

    // The facility programmes' public figures, on the same page.
    await checkDemoFacilities({ c, page, programmes, apps, inst, staleHint });
  } finally {
    await page.close();
    await server.stop().catch(() => {});
  }
}

// ---- CSV downloads -------------------------------------------------------------
/**
 * Reads a CSV file as RFC 4180 says, independently of the page's writer:
 * UTF-8 (strict) after a byte order mark, fields separated by commas,
 * quoted fields with doubled quotes, every record ended by CRLF.
 */
function parseCsv(bytes, what) {
  check(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, `${what} does not start with the UTF-8 BOM (EF BB BF): ${[...bytes.subarray(0, 3)]}`);
  let s;
  try {
    s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(3));
  } catch (e) {
    throw new E2EError(`${what} is not UTF-8: ${e.message}`);
  }
  const records = [];
  let record = [];
  let i = 0;
  while (i < s.length) {
    let field = "";
    if (s[i] === '"') {
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        check(q >= 0, `${what}: a quoted field is not closed`);
        field += s.slice(i, q);
        i = q + 1;
        if (s[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
    } else {
      while (i < s.length && !",\r\n".includes(s[i])) {
        check(s[i] !== '"', `${what}: a quote inside an unquoted field (record ${records.length + 1})`);
        field += s[i++];
      }
    }
    record.push(field);
    if (s[i] === ",") {
      i++;
      continue;
    }
    check(s.slice(i, i + 2) === "\r\n", `${what}: record ${records.length + 1} does not end in CRLF (${JSON.stringify(s.slice(i, i + 2))})`);
    i += 2;
    records.push(record);
    record = [];
  }
  check(records.length > 0, `${what} is empty`);
  const width = records[0].length;
  for (const [n, r] of records.entries()) check(r.length === width, `${what}: record ${n + 1} has ${r.length} fields, the header ${width}`);
  const [header, ...data] = records;
  return { header, rows: data.map((r) => Object.fromEntries(header.map((k, j) => [k, r[j]]))) };
}

/** Clicks a programme card's CSV button and reads the file the page saves. */
async function downloadCsv(page, programme, kind) {
  const card = `.card[data-programme="${programme.name}"]`;
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 20_000 }), page.click(`${card} [data-export="${kind}"]`)]);
  const failure = await download.failure();
  check(!failure, `the ${kind} CSV of ${programme.name} failed in the browser: ${failure}`);
  const bytes = await readFile(await download.path());
  await writeFile(join(artifacts, download.suggestedFilename()), bytes);
  const what = `the ${kind} CSV of ${programme.name} ("${download.suggestedFilename()}", kept in e2e/artifacts)`;
  const { header, rows } = parseCsv(bytes, what);
  const status = await page
    .waitForSelector(`${card} [data-export-status="${kind}"][data-phase="saved"]`, { timeout: 5_000 })
    .then((e) => e.evaluate((el) => ({ rows: el.dataset.rows, file: el.dataset.file, text: el.textContent })));
  return { file: download.suggestedFilename(), header, rows, bytes: bytes.length, raw: bytes, what, status };
}

/**
 * `grantctl export <kind> --programme P --excel` against the test's server
 * with `key`: the bytes it writes to standard output. Undefined when there
 * is no grantctl (GRANTCTL_BIN, else grantctl beside GBA_GRANTS_BIN).
 */
async function grantctlExport(baseUrl, key, kind, programme) {
  const bin = process.env.GRANTCTL_BIN || join(dirname(process.env.GBA_GRANTS_BIN), "grantctl");
  try {
    await access(bin, fsConstants.X_OK);
  } catch {
    if (process.env.GRANTCTL_BIN) throw new E2EError(`GRANTCTL_BIN=${bin} is not an executable`);
    return undefined;
  }
  const env = { ...process.env, GBA_GRANTS_ENDPOINT: baseUrl, GBA_GRANTS_TOKEN: key, GBA_GRANTS_CONFIG: join(os.tmpdir(), `gba-grants-e2e-no-config-${process.pid}.json`) };
  for (const k of ["GBA_GRANTS_TOKEN_FILE", "GBA_GRANTS_CONTEXT", "GBA_GRANTS_CA_FILE", "GBA_GRANTS_CERT_FILE", "GBA_GRANTS_KEY_FILE"]) delete env[k];
  const proc = spawn(bin, ["export", kind, "--programme", programme, "--excel"], { stdio: ["ignore", "pipe", "pipe"], env });
  const out = [];
  let err = "";
  proc.stdout.on("data", (b) => out.push(b));
  proc.stderr.on("data", (b) => (err += b));
  const code = await new Promise((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", resolve);
  });
  check(code === 0, `grantctl export ${kind} --programme ${programme} --excel exited with ${code}: ${err.trim()}`);
  return Buffer.concat(out);
}

async function checkCsvDownloads(x) {
  const { c, page, as, viewer, programme, youngScientists, youngApp, paid, outreach, first, um, hku } = x;
  const S = c.Application_State;
  // The values as grantctl export writes them (services/grantctl/cmd/export.rs), written here again:
  // amounts in minor units (the test's currencies have 2 digits), the currency beside, both empty when not set.
  const plain = (m) => {
    check(["CNY", "HKD", "MOP"].includes(m.currencyCode), `an amount in ${m.currencyCode}: the test knows the minor digits of CNY, HKD and MOP only`);
    const minor = BigInt(m.units) * 100n + BigInt(m.nanos ?? 0) / 10_000_000n;
    const abs = minor < 0n ? -minor : minor;
    return `${minor < 0n ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
  };
  const money = (m) => (m ? [plain(m), m.currencyCode] : ["", ""]);
  const guard = (t) => (/^[=+\-@]/.test(t) ? `'${t}` : t);
  const stateWord = (v) => (v === S.UNSPECIFIED ? "" : (S[v] ?? String(v)));
  const rfc3339 = (ts) => {
    if (!ts) return "";
    const whole = new Date(Number(ts.seconds) * 1000).toISOString().replace(/\.\d+Z$/, "");
    if (!ts.nanos) return `${whole}Z`;
    let f = String(ts.nanos).padStart(9, "0");
    while (f.length > 3 && f.endsWith("000")) f = f.slice(0, -3);
    return `${whole}.${f}Z`;
  };
  const idOf = (p) => p.name.replace(/^programmes\//, "");
  const listed = async (p) => {
    const out = [];
    let pageToken = "";
    do {
      const res = await as(viewer).applications.listApplications({ parent: p.name, pageSize: 2, pageToken });
      out.push(...res.applications);
      pageToken = res.nextPageToken;
    } while (pageToken);
    return out;
  };
  const wantApplication = (a) => {
    const inst = x.institutionsByName.get(a.applicantInstitution);
    const [requested_amount, requested_currency] = money(a.requestedAmount);
    return {
      name: a.name,
      programme: a.name.replace(/\/applications\/[^/]+$/, ""),
      title: guard(a.title),
      state: stateWord(a.state),
      applicant_institution: a.applicantInstitution,
      institution_name_en: guard(inst?.displayName ?? ""),
      institution_name_zh: guard(inst?.localName ?? ""),
      principal_investigator: guard(a.principalInvestigator?.name ?? ""),
      requested_amount, requested_currency,
      duration_months: a.durationMonths ? String(a.durationMonths) : "",
      submit_time: rfc3339(a.submitTime),
      create_time: rfc3339(a.createTime),
      update_time: rfc3339(a.updateTime),
      requested_unit: a.requestedAmount ? "" : (a.requestedResource?.unit ?? ""),
    };
  };
  const same = (got, want) => JSON.stringify(got) === JSON.stringify(want);

  // An application whose title a spreadsheet would run as a formula, with
  // a comma, quotes and Chinese, for the smallest amount in MOP.
  const trickyTitle = '=HYPERLINK("http://example.org","澳門, 科普")';
  const { application: tricky } = await as(x.umApplicant).applications.createApplication({
    parent: outreach.name,
    application: {
      applicantInstitution: um.name,
      title: trickyTitle,
      abstract: "CSV export check.",
      principalInvestigator: { name: "Wong Siu Ming", email: "pi@example.org", orcid: "0000-0002-1825-0097" },
      requestedAmount: x.mop(0, 10_000_000),
      durationMonths: 12,
    },
    requestId: x.rid(),
  });
  await as(x.umApplicant).applications.submitApplication({ name: tricky.name, requestId: x.rid() });
  x.book("MOP").applications++;
  x.book("MOP").requested += x.nanosOf(x.mop(0, 10_000_000));

  // 1. The applications of the first programme, through every page.
  const apps = await downloadCsv(page, programme, "applications");
  check(apps.file === `programme-${idOf(programme)}-applications.csv`, `${apps.what}: not named programme-<id>-applications.csv`);
  const header = apps.header;
  // grantctl export applications' columns, in its order.
  const wantHeader = [
    "name", "programme", "title", "state", "applicant_institution", "institution_name_en", "institution_name_zh",
    "principal_investigator", "requested_amount", "requested_currency", "duration_months", "submit_time", "create_time", "update_time",
    "requested_unit",
  ];
  check(same(header, wantHeader), `${apps.what}: the header is ${JSON.stringify(header)}`);
  const server = await listed(programme);
  const extra = apps.rows.filter((r) => !server.some((a) => a.name === r.name)).map((r) => `${r.name} (${r.title}, ${r.state})`);
  const lacking = server.filter((a) => !apps.rows.some((r) => r.name === a.name)).map((a) => `${a.name} (${a.title})`);
  check(
    apps.rows.length === server.length && server.length >= 7 && !extra.length && !lacking.length,
    `${apps.what} has ${apps.rows.length} rows; the server lists ${server.length} applications (only in the file: ${extra.join(", ") || "none"}; missing: ${lacking.join(", ") || "none"})`,
  );
  for (const a of server) {
    const got = apps.rows.find((r) => r.name === a.name);
    check(got && same(got, wantApplication(a)), `${apps.what}: the row of ${a.name} reads ${JSON.stringify(got)}, not ${JSON.stringify(wantApplication(a))}`);
  }
  const firstRow = apps.rows.find((r) => r.name === first.name);
  const time = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z$/;
  check(
    firstRow.programme === programme.name && firstRow.requested_amount === "1234567.89" && firstRow.requested_currency === "CNY" &&
      firstRow.state === "APPROVED" && firstRow.principal_investigator !== "" &&
      firstRow.institution_name_en === hku.displayName && firstRow.institution_name_zh === "香港大學" &&
      time.test(firstRow.submit_time) && time.test(firstRow.create_time) && time.test(firstRow.update_time),
    `${apps.what}: the first application's row reads ${JSON.stringify(firstRow)}`,
  );
  check(apps.status.rows === String(server.length) && apps.status.file === apps.file, `${apps.what}: the card's status says ${JSON.stringify(apps.status)}`);

  // 2. The payments of the programme that paid one (grantctl's disbursements).
  const pays = await downloadCsv(page, youngScientists, "payments");
  check(pays.file === `programme-${idOf(youngScientists)}-disbursements.csv`, `${pays.what}: not named programme-<id>-disbursements.csv`);
  const { disbursements } = await as(viewer).awards.listDisbursements({ parent: youngApp.name, pageSize: 100 });
  check(disbursements.length === 1, `the server lists ${disbursements.length} disbursements of ${youngApp.name}`);
  const d = disbursements[0];
  const [amount, currency] = money(d.amount);
  const [payee_amount, payee_currency] = money(d.payeeAmount);
  const [bank_charges, bank_charges_currency] = money(d.bankCharges);
  // grantctl export disbursements' columns, in its order.
  const wantPay = {
    application: youngApp.name, name: d.name, reference: "E2E-PAY-1", amount, currency, payee_amount, payee_currency,
    exchange_rate: d.exchangeRate, bank_charges, bank_charges_currency, pay_time: rfc3339(d.payTime), create_time: rfc3339(d.createTime),
  };
  check(same(pays.header, Object.keys(wantPay)), `${pays.what}: the header is ${JSON.stringify(pays.header)}`);
  check(pays.rows.length === 1 && same(pays.rows[0], wantPay), `${pays.what} reads ${JSON.stringify(pays.rows)}, not [${JSON.stringify(wantPay)}]`);
  check(amount === x.decimal(x.nanosOf(paid)) && amount === "150000.33" && currency === "CNY", `the payment was ${amount} ${currency}, not 150000.33 CNY`);
  // The first programme paid nothing: the header alone.
  const none = await downloadCsv(page, programme, "payments");
  check(none.rows.length === 0 && none.header.length === 12 && none.status.rows === "0", `${none.what} has ${none.rows.length} rows, not none`);

  // 3. A title that would be a formula; 0.01 MOP; the Macao names.
  const mopCsv = await downloadCsv(page, outreach, "applications");
  const t = mopCsv.rows.find((r) => r.name === tricky.name);
  check(
    t && t.title === `'${trickyTitle}` && t.requested_amount === "0.01" && t.requested_currency === "MOP" &&
      t.institution_name_en === um.displayName && t.institution_name_zh === "澳門大學" && t.state === "SUBMITTED" &&
      t.principal_investigator === "Wong Siu Ming" && t.duration_months === "12" && t.programme === outreach.name,
    `${mopCsv.what}: the row of ${tricky.name} reads ${JSON.stringify(t)}`,
  );

  // 4. The same bytes as grantctl's export with --excel, with the same key (when grantctl is built).
  const sameAsGrantctl = [];
  for (const [got, kind, p] of [[apps, "applications", programme], [pays, "disbursements", youngScientists], [none, "disbursements", programme], [mopCsv, "applications", outreach]]) {
    const want = await grantctlExport(x.baseUrl, viewer, kind, p.name);
    if (!want) break;
    if (!got.raw.equals(want)) {
      const at = [...got.raw].findIndex((b, i) => b !== want[i]);
      const around = (buf) => JSON.stringify(buf.subarray(Math.max(0, at - 60), at + 60).toString("utf8"));
      throw new E2EError(`${got.what} differs from grantctl export ${kind} --programme ${p.name} --excel at byte ${at}: page ${around(got.raw)}, grantctl ${around(want)}`);
    }
    sameAsGrantctl.push(got.file);
  }
  const grantctlNote = sameAsGrantctl.length ? `; byte for byte what grantctl export --excel writes (${sameAsGrantctl.join(", ")})` : "; no grantctl to compare with";

  // The cards with their statuses hold at each width.
  const notes = [];
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const shot = join(artifacts, `csv-${width}-en.png`);
    await page.locator(`.card[data-programme="${programme.name}"] .card-export`).scrollIntoViewIfNeeded();
    await page.screenshot({ path: shot });
    const lay = await x.layoutProblems(".card, .card button");
    check(!lay.problems.length, `the cards with their CSV statuses at ${width} px (${shot}): ${lay.problems.slice(0, 8).join("; ")}`);
    notes.push(`${width} px: ${lay.checked} elements`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  ok(
    `CSV downloads (viewer key): "${apps.file}" with ${apps.rows.length} applications as the server lists them (1234567.89 CNY requested, ` +
      `"${firstRow.institution_name_en}" / "${firstRow.institution_name_zh}"), "${pays.file}" with its payment of ${amount} ${currency}, ` +
      `an empty payments file, and 0.01 MOP with the title ${JSON.stringify(t.title)}; grantctl's columns; BOM, CRLF, RFC 4180 quoting${grantctlNote}; layout holds (${notes.join("; ")})`,
  );
}

// ---- the test --------------------------------------------------------------
async function main() {
  const bin = process.env.GBA_GRANTS_BIN;
  check(bin, "set GBA_GRANTS_BIN to the gba-grants server binary (e.g. target/release/gba-grants)");
  await mkdir(artifacts, { recursive: true });
  const tmp = await mkdtemp(join(os.tmpdir(), "gba-grants-e2e-"));
  const cleanups = [];
  try {
    // Run a copy: the original may be rebuilt while the test runs.
    const binCopy = join(tmp, "gba-grants");
    await copyFile(bin, binCopy);
    await chmod(binCopy, 0o755);
    const c = await loadContract();
    const port = Number(process.env.GBA_GRANTS_PORT) || (await freePort());
    const baseUrl = `http://127.0.0.1:${port}`;
    const server = new Server(binCopy, port, `sqlite://${join(tmp, "e2e.db")}`, join(artifacts, "server.log"));
    await rm(server.logPath, { force: true });
    cleanups.push(() => server.stop().catch(() => {}));

    // 1. First start: the bootstrap admin key.
    const adminKey = await server.start({ expectKey: true });
    check(adminKey && adminKey.length > 8, "no bootstrap admin key printed");
    let as = clientsFor(c, baseUrl);
    await untilServing(as, adminKey, "first start");
    ok("server started on an empty database and printed the bootstrap admin key");

    // 2. Set-up as admin.
    const admin = as(adminKey);
    const rid = () => randomUUID();
    const { institution: hku } = await admin.institutions.createInstitution({
      institution: { displayName: "The University of Hong Kong", localName: "香港大學", region: c.Region.HONG_KONG, rorId: "02zhqgq86" },
      requestId: rid(),
    });
    const { institution: um } = await admin.institutions.createInstitution({
      institution: { displayName: "University of Macau", localName: "澳門大學", region: c.Region.MACAO, rorId: "01r4q9n85" },
      requestId: rid(),
    });
    const { institution: sysu } = await admin.institutions.createInstitution({
      institution: { displayName: "Sun Yat-sen University", localName: "中山大学", region: c.Region.GUANGDONG },
      requestId: rid(),
    });
    const institutionsByName = new Map([hku, um, sysu].map((i) => [i.name, i]));
    const money = (currencyCode) => (units, nanos = 0) => ({ currencyCode, units: BigInt(units), nanos });
    const cny = money("CNY");
    const hkd = money("HKD");
    const mop = money("MOP");
    const now = Date.now();
    // What the page should total, per currency, from what this test writes
    // (nano units, exact): the page must show these sums, never adding
    // two currencies together.
    const ledger = new Map();
    const nanosOf = (m) => BigInt(m.units) * 1_000_000_000n + BigInt(m.nanos ?? 0);
    const book = (currency) => {
      if (!ledger.has(currency)) ledger.set(currency, { programmes: 0, applications: 0, awards: 0, budget: 0n, requested: 0n, committed: 0n, disbursed: 0n });
      return ledger.get(currency);
    };
    const programmeCurrency = new Map();
    const createProgramme = async (fields) => {
      const { programme: p } = await admin.programmes.createProgramme({
        programme: {
          requiresGuangdongPartner: false,
          openTime: c.timestampFromDate(new Date(now - 3_600_000)),
          closeTime: c.timestampFromDate(new Date(now + 30 * 86_400_000)),
          ...fields,
        },
        requestId: rid(),
      });
      programmeCurrency.set(p.name, p.currencyCode);
      const b = book(p.currencyCode);
      b.programmes++;
      b.budget += nanosOf(fields.budget);
      return p;
    };
    const programme = await createProgramme({
      displayName: "GBA Joint Research Fund",
      localName: "粤港澳大湾区联合研究基金",
      funder: "Guangdong Provincial Department of Science and Technology",
      currencyCode: "CNY",
      budget: cny(10_000_000),
      eligibleRegions: [c.Region.HONG_KONG, c.Region.MACAO],
      maxAward: cny(2_000_000),
    });
    // More programmes, for the totals: another in CNY (added to the first),
    // one in HKD and one in MOP (each totalled on its own).
    const youngScientists = await createProgramme({
      displayName: "Greater Bay Area Young Scientists Fund",
      localName: "大湾区青年科学家基金",
      funder: "Guangdong Basic and Applied Basic Research Foundation",
      currencyCode: "CNY",
      budget: cny(3_000_000, 250_000_000),
      eligibleRegions: [c.Region.HONG_KONG, c.Region.MACAO],
      maxAward: cny(500_000),
    });
    const innovationBridge = await createProgramme({
      displayName: "Hong Kong–Guangdong Innovation Bridge",
      localName: "港粵創新橋計劃",
      funder: "Innovation and Technology Commission",
      currencyCode: "HKD",
      budget: hkd(5_500_000),
      eligibleRegions: [c.Region.HONG_KONG],
      maxAward: hkd(1_000_000),
    });
    const outreach = await createProgramme({
      displayName: "Macao Science Outreach Grants",
      localName: "澳門科學普及資助",
      funder: "Macao Science and Technology Development Fund",
      currencyCode: "MOP",
      budget: mop(2_000_000),
      eligibleRegions: [c.Region.MACAO],
      maxAward: mop(200_000),
    });
    const key = async (apiKey) => (await admin.access.createApiKey({ apiKey, requestId: rid() })).secret;
    const hkApplicant = await key({ role: c.ApiKey_Role.APPLICANT, institution: hku.name, displayName: "HKU applicant" });
    const umApplicant = await key({ role: c.ApiKey_Role.APPLICANT, institution: um.name, displayName: "UM applicant" });
    const officer = await key({ role: c.ApiKey_Role.OFFICER, programmes: [programme.name, youngScientists.name], displayName: "programme officer" });
    const viewer = await key({ role: c.ApiKey_Role.VIEWER, allProgrammes: true, displayName: "dashboard viewer" });
    // HKU's research office, whose key names the person who signs.
    const signerPerson = { displayName: "Lee Ka-yan", orcid: "" };
    const hkSigner = await key({ role: c.ApiKey_Role.APPLICANT, institution: hku.name, displayName: "HKU research office", person: signerPerson });
    check([hkApplicant, umApplicant, officer, viewer, hkSigner].every((k) => typeof k === "string" && k.length > 8), "CreateApiKey returned no secret");

    let appSeq = 0;
    const submitApplication = async (applicantKey, institution, title, more = {}) => {
      const a = as(applicantKey).applications;
      const { parent = programme.name, requestedAmount = cny(1_234_567, 890_000_000), beforeSubmit, ...fields } = more;
      const { application } = await a.createApplication({
        parent,
        application: {
          applicantInstitution: institution.name,
          title,
          abstract: `End-to-end test application ${++appSeq}.`,
          principalInvestigator: { name: "Chan Tai Man", email: "pi@example.org", orcid: "0000-0002-1825-0097" },
          requestedAmount,
          durationMonths: 24,
          ...fields,
        },
        requestId: rid(),
      });
      const b = book(programmeCurrency.get(parent));
      b.applications++;
      // While it is a draft: documents are frozen once it is submitted.
      if (beforeSubmit) await beforeSubmit(application);
      await a.submitApplication({ name: application.name, requestId: rid() });
      b.requested += nanosOf(requestedAmount);
      return application;
    };
    const approve = async (application, awardedAmount, reason) => {
      const review = as(officer).review;
      await review.startReview({ name: application.name, requestId: rid() });
      await review.approveApplication({ name: application.name, awardedAmount, reason, requestId: rid() });
      const b = book(awardedAmount.currencyCode);
      b.awards++;
      b.committed += nanosOf(awardedAmount);
    };
    // The application whose history panel is checked: a principal
    // investigator, two partners (Macao, Guangdong) and an abstract.
    const firstAbstract =
      "A network of low-cost sensors along the Pearl River estuary that measures salinity, dissolved oxygen and microplastics, " +
      "shared in real time by partners in Hong Kong, Macao and Guangdong.";
    const firstInvestigator = { name: "Chan Tai Man", email: "pi@example.org", orcid: "0000-0002-1825-0097" };
    // Two versions of its proposal, uploaded while it is a draft: a small
    // one, then one of more than 1 MiB (two chunks when downloaded).
    const proposal1 = { fileName: "proposal.pdf", bytes: pdfOf(200 * 1024) };
    const proposal2 = { fileName: "計劃書-proposal-v2.pdf", bytes: pdfOf(1_500_000) };
    const first = await submitApplication(hkApplicant, hku, "Cross-border marine ecology sensing network", {
      abstract: firstAbstract,
      principalInvestigator: firstInvestigator,
      partnerInstitutions: [um.name, sysu.name],
      beforeSubmit: async (application) => {
        for (const p of [proposal1, proposal2]) {
          p.document = await uploadDocument(as(hkApplicant), application.name, c.DocumentKind.PROPOSAL, p.fileName, p.bytes);
          p.sha256 = sha256Hex(p.bytes);
          check(p.document.sha256 === p.sha256 && p.document.sizeBytes === BigInt(p.bytes.length), `UploadDocument stored ${JSON.stringify(p.document.sha256)} for ${p.fileName}`);
        }
        check(proposal1.document.version === 1 && proposal2.document.version === 2, "the two uploads of the proposal are not versions 1 and 2");
      },
    });
    // One application in each of the other CNY and the HKD programme: one
    // approved and partly paid, one awaiting a decision.
    const youngApp = await submitApplication(hkApplicant, hku, "Coastal typhoon resilience of GBA ports", {
      parent: youngScientists.name,
      requestedAmount: cny(456_789, 10_000_000),
    });
    await approve(youngApp, cny(400_000, 990_000_000), "Within the fund's priorities.");
    const paid = cny(150_000, 330_000_000);
    await as(officer).awards.recordDisbursement({
      parent: youngApp.name,
      disbursement: { amount: paid, payeeAmount: paid, exchangeRate: "1", payTime: c.timestampFromDate(new Date()), reference: "E2E-PAY-1" },
      requestId: rid(),
    });
    book("CNY").disbursed += nanosOf(paid);
    await submitApplication(hkApplicant, hku, "Cantonese speech corpus for clinical transcription", {
      parent: innovationBridge.name,
      requestedAmount: hkd(88_888, 880_000_000),
    });
    // A facility-access programme: beam time in 0.5-hour steps instead of
    // money (no currency, budget or award; its amounts are resources). HKU
    // asks for 1,300 beam hours, is allocated 1,240.5 and uses 980, so the
    // card must read "allocated 1,240.5 of 1,500 beam-h, used 980". It has
    // no currency: it is counted in the totals, but in no currency's block.
    const beam = (steps) => ({ unit: "beam-h", steps: BigInt(steps) });
    const { programme: beamTime } = await admin.programmes.createProgramme({
      programme: {
        displayName: "CSNS Beam Time for Greater Bay Area Users",
        localName: "中国散裂中子源大湾区用户机时",
        funder: "China Spallation Neutron Source",
        eligibleRegions: [c.Region.HONG_KONG, c.Region.MACAO],
        requiresGuangdongPartner: false,
        openTime: c.timestampFromDate(new Date(now - 3_600_000)),
        closeTime: c.timestampFromDate(new Date(now + 30 * 86_400_000)),
        facility: {
          facility: "China Spallation Neutron Source",
          localName: "中国散裂中子源",
          resource: "beam time, general purpose powder diffractometer",
          unit: "beam-h",
          capacity: beam(3000),
        },
      },
      requestId: rid(),
    });
    check(beamTime.facility?.unit === "beam-h" && !beamTime.currencyCode && !beamTime.budget, `the facility programme came back as ${JSON.stringify({ facility: beamTime.facility, currency: beamTime.currencyCode }, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    const facilityOfficer = await key({ role: c.ApiKey_Role.OFFICER, programmes: [beamTime.name], displayName: "facility officer" });
    const { application: beamApp } = await as(hkApplicant).applications.createApplication({
      parent: beamTime.name,
      application: {
        applicantInstitution: hku.name,
        title: "In-situ neutron diffraction of sodium-ion cathodes",
        abstract: `End-to-end test application ${++appSeq} (beam time).`,
        principalInvestigator: firstInvestigator,
        requestedResource: beam(2600),
        durationMonths: 12,
        preferredPeriods: [{ startTime: c.timestampFromDate(new Date(now + 14 * 86_400_000)), endTime: c.timestampFromDate(new Date(now + 17 * 86_400_000)) }],
      },
      requestId: rid(),
    });
    await as(hkApplicant).applications.submitApplication({ name: beamApp.name, requestId: rid() });
    await as(facilityOfficer).review.startReview({ name: beamApp.name, requestId: rid() });
    await as(facilityOfficer).review.approveApplication({ name: beamApp.name, awardedResource: beam(2481), reason: "Fits the cycle.", requestId: rid() });
    await as(facilityOfficer).awards.recordUsage({
      parent: beamApp.name,
      usageRecord: {
        amount: beam(1960),
        period: { startTime: c.timestampFromDate(new Date(now - 2 * 3_600_000)), endTime: c.timestampFromDate(new Date(now - 3_600_000)) },
        reference: "E2E-CSNS-1",
      },
      requestId: rid(),
    });
    // Counted with the others in the totals' first line (not in a currency).
    const facilityCounts = { programmes: 1, applications: 1, awards: 1 };
    ok(
      "admin set up 3 institutions, 4 programmes (CNY, CNY, HKD, MOP) and 5 keys; applications submitted, one approved and partly paid; " +
        `a facility programme (beam-h) with an application allocated 1,240.5 of 1,500 beam hours and 980 used; ` +
        `the first carries a proposal in 2 versions (${proposal1.bytes.length} and ${proposal2.bytes.length} bytes, uploaded by client streaming while a draft)`,
    );

    // 3. The page, signed in with the viewer key.
    let pageUrl = process.env.GBA_GRANTS_PAGE_URL || `${baseUrl}/`;
    if (pageUrl === "dev") {
      const { startDevServer } = await import(pathToFileURL(join(webRoot, "scripts/dev-server.mjs")).href);
      const dev = await startDevServer({ port: 0, upstream: `127.0.0.1:${port}` });
      cleanups.push(() => dev.close());
      pageUrl = dev.url;
      log(`page through the dev server at ${pageUrl}`);
    }
    const served = await fetch(pageUrl).then((r) => r.text(), (e) => `(${e.message})`);
    if (!served.includes('id="signin-form"')) {
      throw new E2EError(
        `${pageUrl} does not serve the dashboard (got: ${served.slice(0, 120).replace(/\s+/g, " ")}). ` +
          "Until the server serves web/dist, run with GBA_GRANTS_PAGE_URL=dev.",
      );
    }
    const builtIndex = await readFile(join(webRoot, "dist/index.html"), "utf8");
    const builtScript = await readFile(join(webRoot, "dist/app.js"), "utf8");
    const servedScript = await fetch(new URL("app.js", pageUrl)).then((r) => r.text(), () => "");
    const servedStale = served !== builtIndex || servedScript !== builtScript;
    if (servedStale) {
      log("warning: the page served differs from web/dist (a binary built with an older bundle?)");
    }
    // Appended to failures of what only a page as new as web/dist shows.
    const staleHint = servedStale ? " (the page served differs from web/dist: rebuild the binary, or run with GBA_GRANTS_PAGE_URL=dev)" : "";

    const profile = join(tmp, "chromium-profile");
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    cleanups.unshift(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors = [];
    // Anything the page's Content-Security-Policy refuses is an error.
    await page.exposeFunction("__cspViolation", (v) => pageErrors.push(`CSP refused ${v}`));
    await page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      // Failed fetches while the server is down are expected.
      if (m.type() === "error" && !/Failed to load resource/.test(m.text())) log(`page console: ${m.text()}`);
    });
    await page.goto(pageUrl);
    await page.waitForSelector("#signin-form", { state: "visible", timeout: 10_000 });
    await page.screenshot({ path: join(artifacts, "signin.png") });
    await page.fill("#api-key", "gbk_not-a-real-key");
    await page.click('#signin-form button[type="submit"]');
    await page.waitForFunction(() => /not accepted/.test(document.getElementById("signin-msg")?.textContent ?? ""), null, { timeout: 5_000 });
    check(await page.isVisible("#signin-form"), "a wrong key got past the sign-in");
    ok("a wrong key is refused at sign-in with a message");
    await page.fill("#api-key", viewer);
    await page.click('#signin-form button[type="submit"]');
    const card = `.card[data-programme="${programme.name}"]`;
    await page.waitForSelector(card, { timeout: 10_000 });
    await page.waitForFunction(
      (sel) => /10,000,000\.00/.test(document.querySelector(`${sel} [data-amount="budget"]`)?.textContent ?? ""),
      card,
      { timeout: 10_000 },
    );
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    const leaked = await page.evaluate((k) => location.href.includes(k) || document.documentElement.outerHTML.includes(k), viewer);
    check(!leaked, "the API key appears in the page URL or HTML");
    ok(`signed in with a viewer key at ${pageUrl}; the programme's budget 10,000,000.00 (CNY) is shown; state live`);

    // History first: the events from before the page opened. The server
    // lists history for every parent the page uses (`programmes/-`,
    // `programmes/{p}`, `institutions/{i}`), so a "history not available"
    // notice is a failure, never a reason to skip.
    const feedNotice = () => page.$eval("#feed-notice", (e) => (e.hidden ? "" : e.textContent ?? ""));
    const checkHistoryListed = async (parent) => {
      const notice = await feedNotice();
      check(!notice, `the page could not load the history (ListApplicationEvents, parent ${parent}): "${notice}"`);
    };
    await checkHistoryListed("programmes/-");
    const early = await page.$$eval(`#feed li[data-application="${first.name}"]`, (els) =>
      els.reverse().map((e) => ({
        state: e.dataset.state,
        document: e.dataset.document ?? null,
        activity: e.querySelector("[data-document-activity]")?.dataset.documentActivity ?? null,
        text: e.querySelector(".change")?.textContent ?? "",
      })),
    );
    const earlyWant = [
      { state: "DRAFT", document: null, activity: null },
      { state: "DRAFT", document: proposal1.document.name, activity: "DOCUMENT_ADDED", text: `Document added: ${proposal1.fileName} (Proposal, v1)` },
      { state: "DRAFT", document: proposal2.document.name, activity: "DOCUMENT_REPLACED", text: `Document replaced: ${proposal2.fileName} (Proposal, v2)` },
      { state: "SUBMITTED", document: null, activity: null },
    ];
    const earlyMatch =
      early.length === earlyWant.length &&
      earlyWant.every((w, i) => w.state === early[i].state && w.document === early[i].document && w.activity === early[i].activity && (!w.text || w.text === early[i].text));
    check(earlyMatch, `the feed should show the application's 4 earlier events from history (created, document added, document replaced, submitted), shows ${JSON.stringify(early)}`);
    ok(`history: the feed shows the 4 events from before the page opened (created, "${early[1].text}", "${early[2].text}", submitted)`);

    // The facility programme's card, beside the money programmes: its
    // facility and resource, the capacity bar labelled with the exact
    // amounts (in words, and in the bar's aria-label), three segments whose
    // widths add up to the whole, and the resource by applicant region. The
    // feed reads the usage like a payment.
    const beamCard = `.card[data-programme="${beamTime.name}"]`;
    const capacityWant = "Capacity: allocated 1,240.5 of 1,500 beam-h, used 980";
    const facilityShown = await page
      .waitForFunction(
        ({ sel, want }) => {
          const line = document.querySelector(`${sel} [data-capacity-line]`)?.textContent ?? "";
          return line === want ? line : null;
        },
        { sel: beamCard, want: capacityWant },
        { timeout: 10_000 },
      )
      .then(() => true, () => false);
    const beamFacts = await page.evaluate(
      ({ sel, app }) => {
        const card = document.querySelector(sel);
        const q = (s) => card?.querySelector(s);
        const bar = q(".bar-capacity");
        return {
          line: q("[data-capacity-line]")?.textContent ?? null,
          aria: bar?.getAttribute("aria-label") ?? null,
          role: bar?.getAttribute("role") ?? null,
          segments: [...(bar?.querySelectorAll("[data-segment]") ?? [])].map((e) => [e.dataset.segment, e.dataset.basisPoints]),
          legend: Object.fromEntries([...(card?.querySelectorAll("[data-amount]") ?? [])].map((e) => [e.dataset.amount, e.textContent])),
          facility: q('[data-field="facility"]')?.textContent ?? null,
          resource: q('[data-field="resource"]')?.textContent ?? null,
          currency: card?.dataset.currency ?? null,
          unit: card?.dataset.unit ?? null,
          hkAllocated: q('tr[data-row="allocated"] td[data-region="1"]')?.textContent ?? null,
          hkUsed: q('tr[data-row="used"] td[data-region="1"]')?.textContent ?? null,
          regionsEmpty: !!q(".regions-empty"),
          usage: document.querySelector(`#feed li[data-application="${app}"] [data-usage-record]`)?.textContent ?? null,
          currencies: [...document.querySelectorAll("#totals article[data-currency]")].map((e) => e.dataset.currency),
          unitTotals: [...document.querySelectorAll("#totals article[data-unit]")].map((e) => e.dataset.unit),
        };
      },
      { sel: beamCard, app: beamApp.name },
    );
    check(facilityShown, `the facility card's capacity reads ${JSON.stringify(beamFacts.line)}, not "${capacityWant}"${staleHint}`);
    check(
      beamFacts.role === "img" && beamFacts.aria === "Capacity: allocated 1,240.5 of 1,500 beam-h, used 980, free 259.5 beam-h",
      `the capacity bar's aria-label is ${JSON.stringify(beamFacts.aria)} (role ${beamFacts.role})`,
    );
    check(
      JSON.stringify(beamFacts.segments) === JSON.stringify([["used", "6533"], ["allocated", "1737"], ["free", "1730"]]),
      `the capacity bar's segments are ${JSON.stringify(beamFacts.segments)}`,
    );
    for (const [k, v] of Object.entries({ used: "980 beam-h", "allocated-open": "260.5 beam-h", free: "259.5 beam-h", capacity: "1,500 beam-h", allocated: "1,240.5 beam-h", requested: "1,300 beam-h" })) {
      check(beamFacts.legend[k] === v, `the facility card's ${k} reads ${JSON.stringify(beamFacts.legend[k])}, not "${v}"`);
    }
    check(
      beamFacts.facility === "China Spallation Neutron Source 中国散裂中子源" && beamFacts.resource === "beam time, general purpose powder diffractometer",
      `the facility card names ${JSON.stringify(beamFacts.facility)}, ${JSON.stringify(beamFacts.resource)}`,
    );
    check(beamFacts.unit === "beam-h" && beamFacts.currency === null, `the facility card has unit ${beamFacts.unit} and currency ${beamFacts.currency}`);
    check(
      beamFacts.currencies.join() === "CNY,HKD,MOP" && beamFacts.unitTotals.join() === "beam-h",
      `the totals show currencies [${beamFacts.currencies}] and units [${beamFacts.unitTotals}], not [CNY,HKD,MOP] and [beam-h]`,
    );
    check(beamFacts.usage === "Usage recorded (used 980 beam-h so far) → Active", `the feed reads ${JSON.stringify(beamFacts.usage)} for the usage`);
    if (beamFacts.regionsEmpty) log("note: the server reports no region totals for the facility programme yet; the card says so (not checked)");
    else check(beamFacts.hkAllocated === "1,240.5" && beamFacts.hkUsed === "980", `Hong Kong's allocated and used read ${beamFacts.hkAllocated} and ${beamFacts.hkUsed}, not 1,240.5 and 980`);
    ok(`the facility card reads "${beamFacts.line}", its bar ${beamFacts.segments.map(([k, b]) => `${k} ${b / 100}%`).join(", ")}; the feed "${beamFacts.usage}"`);

    // 4. Approve over gRPC; the page shows it within 2 s.
    await approve(first, cny(1_000_000, 500_000_000), "Strong cross-border team.");
    const approvedAt = Date.now();
    await page
      .waitForFunction(
        ({ sel, app }) =>
          !!document.querySelector(`#feed li[data-application="${app}"][data-state="APPROVED"]`) &&
          /1,000,000\.50/.test(document.querySelector(`${sel} [data-amount="committed-total"]`)?.textContent ?? ""),
        { sel: card, app: first.name },
        { timeout: 2_000, polling: 50 },
      )
      .catch(() => {
        throw new E2EError("the page did not show APPROVED and committed CNY 1,000,000.50 within 2 s of the approval");
      });
    ok(`the page showed the approval and the new committed amount after ${Date.now() - approvedAt} ms`);

    // Awards and money by applicant region, when the server reports them.
    const regional = await page
      .waitForFunction(
        (sel) => {
          const awards = document.querySelector(`${sel} [data-count="awards"]`)?.textContent;
          const hk = document.querySelector(`${sel} tr[data-row="committed"] td[data-region="1"]`)?.textContent ?? "";
          return awards === "1" && /1,000,000\.50/.test(hk) ? { awards, hk } : null;
        },
        card,
        { timeout: 3_000 },
      )
      .then((h) => h.jsonValue(), () => null);
    if (regional) ok(`award count 1 and Hong Kong committed ${regional.hk} shown by applicant region`);
    else {
      const regionsEmpty = await page.$(`${card} .regions-empty`);
      check(regionsEmpty, "the region table is shown but does not read 1 award / HK committed 1,000,000.50");
      log("note: the server reports no award count / region totals yet; the card says so (not checked)");
    }

    // Document events, live: a new draft gets a partner's letter, which is
    // then deleted, and is submitted; the feed shows each event as it comes.
    const letter = { fileName: "support-letter.pdf", bytes: pdfOf(20_000) };
    const liveDocs = {};
    const liveTeam = {};
    const liveApp = await submitApplication(hkApplicant, hku, "Live documents application", {
      beforeSubmit: async (application) => {
        const doc = await uploadDocument(as(hkApplicant), application.name, c.DocumentKind.PARTNER_LETTER, letter.fileName, letter.bytes);
        const shown = async (activity) => {
          const since = Date.now();
          const text = await page
            .waitForFunction(
              ({ app, doc, activity }) =>
                document.querySelector(`#feed li[data-application="${app}"][data-document="${doc}"] [data-document-activity="${activity}"] .dv`)?.textContent ?? null,
              { app: application.name, doc: doc.name, activity },
              { timeout: 5_000, polling: 50 },
            )
            .then((h) => h.jsonValue())
            .catch(() => {
              throw new E2EError(`the feed did not show ${activity} of ${doc.name} within 5 s`);
            });
          liveDocs[activity] = { text, ms: Date.now() - since };
        };
        await shown("DOCUMENT_ADDED");
        // HKU's research office signs it as it stands: the feed says so,
        // with the person behind the key.
        const { application: current } = await as(hkSigner).applications.getApplication({ name: application.name });
        const etag = current?.etag;
        check(etag, `GetApplication gave no etag for ${application.name}`);
        const since = Date.now();
        await as(hkSigner).applications.endorseApplication({ name: application.name, etag, requestId: rid() });
        liveTeam.endorsed = await page
          .waitForFunction(
            (app) => {
              const row = document.querySelector(`#feed li[data-application="${app}"][data-team-activity="ENDORSED"]`);
              return row ? { text: row.querySelector(".change")?.textContent ?? "", person: row.querySelector('.role [data-field="actor-person"]')?.textContent ?? "" } : null;
            },
            application.name,
            { timeout: 5_000, polling: 50 },
          )
          .then((h) => h.jsonValue())
          .catch(() => {
            throw new E2EError(`the feed did not show the endorsement of ${application.name} within 5 s${staleHint}`);
          });
        liveTeam.endorsed.ms = Date.now() - since;
        // Deleting the letter changes the content: it clears the sign-off,
        // and the document event says so too.
        await as(hkApplicant).documents.deleteDocument({ name: doc.name, requestId: rid() });
        await shown("DOCUMENT_DELETED");
        liveTeam.cleared = await page.$eval(
          `#feed li[data-application="${application.name}"][data-document="${doc.name}"] [data-document-activity="DOCUMENT_DELETED"]`,
          (e) => e.querySelector('[data-team-activity="ENDORSEMENTS_CLEARED"]')?.textContent ?? null,
        );
        const rowsOf = await page.$$eval(`#feed li[data-document="${doc.name}"]`, (els) => els.length);
        check(rowsOf === 2, `the letter's 2 events are on ${rowsOf} feed rows`);
      },
    });
    check(
      liveDocs.DOCUMENT_ADDED.text === `Document added: ${letter.fileName} (Partner's letter of support, v1)`,
      `the feed reads "${liveDocs.DOCUMENT_ADDED.text}" for the letter added`,
    );
    check(
      liveDocs.DOCUMENT_DELETED.text === `Document deleted: ${letter.fileName} (Partner's letter of support, v1)`,
      `the feed reads "${liveDocs.DOCUMENT_DELETED.text}" for the letter deleted`,
    );
    // Submitted: its documents are frozen (which is why the test uploads first).
    const late = await uploadDocument(as(hkApplicant), liveApp.name, c.DocumentKind.OTHER, "late.pdf", pdfOf(10_000)).then(
      () => null,
      (e) => ConnectError.from(e),
    );
    check(late?.code === Code.FailedPrecondition, `an upload after submission was not refused with FAILED_PRECONDITION: ${late ? late.message : "it was stored"}`);
    ok(
      `live document events: "${liveDocs.DOCUMENT_ADDED.text}" after ${liveDocs.DOCUMENT_ADDED.ms} ms, ` +
        `"${liveDocs.DOCUMENT_DELETED.text}" after ${liveDocs.DOCUMENT_DELETED.ms} ms; uploads refused once submitted`,
    );
    check(
      liveTeam.endorsed.text === `${hku.displayName} endorsed` && liveTeam.endorsed.person === signerPerson.displayName,
      `the feed reads ${JSON.stringify(liveTeam.endorsed)} for HKU's endorsement, not "${hku.displayName} endorsed" by ${signerPerson.displayName}${staleHint}`,
    );
    check(
      liveTeam.cleared === `the change cleared the endorsements of ${hku.displayName}`,
      `the letter's deletion reads ${JSON.stringify(liveTeam.cleared)} about the endorsement it cleared${staleHint}`,
    );
    ok(`live team events: "${liveTeam.endorsed.text}" by ${liveTeam.endorsed.person} after ${liveTeam.endorsed.ms} ms; the deletion adds "${liveTeam.cleared}"`);

    // 5. Stop the server; the page reconnects; restart; 10 new events each once.
    const rowsBefore = await page.$$eval("#feed li[data-cursor]", (els) => els.map((e) => e.dataset.cursor));
    const exit = await server.stop();
    log(`server stopped (${JSON.stringify(exit)})`);
    await page.waitForSelector('#conn[data-state="reconnecting"]', { timeout: 10_000 }).catch(() => {
      throw new E2EError("the page did not show 'reconnecting' after the server stopped");
    });
    await sleep(3_000);
    await page.screenshot({ path: join(artifacts, "reconnecting.png") });
    const stateWhileDown = await page.$eval("#conn", (e) => e.dataset.state);
    check(stateWhileDown === "reconnecting", `while the server was down the page said '${stateWhileDown}', not 'reconnecting'`);
    ok("while the server was down the page showed 'reconnecting'");

    await server.start({ expectKey: false });
    as = clientsFor(c, baseUrl);
    await untilServing(as, adminKey, "restart");
    const fresh = [];
    for (let i = 1; i <= 5; i++) {
      const [k, inst] = i % 2 ? [hkApplicant, hku] : [umApplicant, um];
      fresh.push(await submitApplication(k, inst, `Restart test application ${i}`));
    }
    const expected = [];
    for (const a of fresh) {
      const { events } = await as(adminKey).applications.listApplicationEvents({ parent: a.name, pageSize: 100 });
      check(events.length === 2, `expected 2 events of ${a.name}, the server lists ${events.length}`);
      expected.push(...events.map((e) => ({ cursor: e.cursor, application: a.name, state: c.Application_State[e.newState] })));
    }
    ok("restarted the server on the same port and database and wrote 10 more events");

    const seen = () =>
      page.$$eval("#feed li[data-cursor]", (els) =>
        els.map((e) => ({ cursor: e.dataset.cursor, application: e.dataset.application, programme: e.dataset.programme, state: e.dataset.state })),
      );
    const deadline = Date.now() + 45_000;
    let rows = [];
    for (;;) {
      rows = await seen();
      const all = expected.every((x) => rows.some((r) => r.application === x.application && r.state === x.state));
      if (all) break;
      if (Date.now() > deadline) {
        const missing = expected.filter((x) => !rows.some((r) => r.application === x.application && r.state === x.state));
        throw new E2EError(`after the restart the feed lacks ${missing.length} of 10 events: ${JSON.stringify(missing)}`);
      }
      await sleep(200);
    }
    await sleep(2_500); // let any duplicate arrive
    rows = await seen();
    for (const x of expected) {
      const n = rows.filter((r) => r.application === x.application && r.state === x.state).length;
      check(n === 1, `${x.application} ${x.state} appears ${n} times in the feed`);
      const byCursor = rows.filter((r) => r.cursor === x.cursor).length;
      if (byCursor !== 1) log(`note: cursor ${x.cursor} of ${x.application} ${x.state} is on ${byCursor} rows (stream and list cursors differ?)`);
    }
    const cursors = rows.map((r) => r.cursor);
    check(new Set(cursors).size === cursors.length, "some cursor is on more than one feed row");
    for (const cur of rowsBefore) check(cursors.includes(cur), `row ${cur} from before the restart is gone`);
    check(rows.filter((r) => r.application === first.name && r.state === "APPROVED").length === 1, "the approval is not on exactly one row");
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 5_000 });
    ok(`each of the 10 new events is on exactly one row (${rows.length} rows, no duplicate cursor); state live again`);

    // Filters: one institution (history by `institutions/{i}`, then watch
    // by applicant_institution), then the programme, then everything.
    const feedRows = () => page.$$eval("#feed li[data-cursor]", (els) => els.map((e) => e.dataset.institution));
    const feedProgrammes = () => page.$$eval("#feed li[data-cursor]", (els) => els.map((e) => e.dataset.programme));
    const umEvents = expected.filter((x) => fresh.find((a) => a.name === x.application)?.applicantInstitution === um.name).length;
    const waitRows = async (what, parent, pred) => {
      const until = Date.now() + 10_000;
      let r = [];
      while (Date.now() < until) {
        r = await feedRows();
        if (pred(r)) {
          await checkHistoryListed(parent);
          return r;
        }
        await sleep(100);
      }
      const notice = await feedNotice();
      throw new E2EError(
        `${what}: the feed shows ${r.length} rows (${[...new Set(r)].join(", ")})` +
          (notice ? `; the page could not load the history (ListApplicationEvents, parent ${parent}): "${notice}"` : ""),
      );
    };
    await page.selectOption("#filter-institution", um.name);
    await waitRows(`filter by ${um.name}`, um.name, (r) => r.length === umEvents && r.every((i) => i === um.name));
    const inProgramme = rows.filter((r) => r.programme === programme.name).length;
    check(inProgramme > 0 && inProgramme < rows.length, `expected rows of other programmes too (${inProgramme} of ${rows.length} in ${programme.name})`);
    await page.selectOption("#filter-programme", programme.name);
    check((await page.$eval("#filter-institution", (e) => e.value)) === "", "choosing a programme did not clear the institution filter");
    await waitRows(`filter by ${programme.name}`, programme.name, (r) => r.length === inProgramme);
    const shownProgrammes = await feedProgrammes();
    check(shownProgrammes.every((p) => p === programme.name), `filter by ${programme.name} shows rows of ${[...new Set(shownProgrammes)].join(", ")}`);
    await page.selectOption("#filter-programme", "");
    await waitRows("no filter", "programmes/-", (r) => r.length === rows.length);
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 5_000 });
    ok(`filter by institution shows its ${umEvents} events only; by programme its ${inProgramme}; unfiltered all ${rows.length} again`);

    // The history panel of the first application.
    await page.click(`#feed li[data-application="${first.name}"] [data-open-application]`);
    await page.waitForFunction(() => document.querySelectorAll("#history-list li[data-cursor]").length >= 1, null, { timeout: 5_000 });
    const historyStates = await page.$$eval("#history-list li[data-cursor]", (els) => els.map((e) => e.dataset.state));
    log(`history panel of ${first.name}: ${historyStates.join(" → ")}`);
    check(historyStates.at(-1) === "APPROVED", `the history panel ends with ${historyStates.at(-1)}, not APPROVED`);
    check(
      historyStates.join() === "DRAFT,DRAFT,DRAFT,SUBMITTED,UNDER_REVIEW,APPROVED",
      `the history panel lists ${historyStates.join(", ")}, not the 6 events (created, 2 documents, submitted, under review, approved)`,
    );
    const timelineDocs = await page.$$eval("#history-list li[data-document] [data-document-activity]", (els) => els.map((e) => e.dataset.documentActivity));
    check(timelineDocs.join() === "DOCUMENT_ADDED,DOCUMENT_REPLACED", `the history panel's document events are [${timelineDocs}]`);
    // The documents, as the viewer key sees them: metadata, no download.
    await page.waitForSelector('#history-documents[data-documents="2"][data-can-download="false"]', { timeout: 5_000 }).catch(async () => {
      const got = await page.$eval("#history-documents", (e) => e.outerHTML.slice(0, 300)).catch(() => "(none)");
      throw new E2EError(`the history panel does not list the 2 documents without download for the viewer key: ${got}`);
    });
    const viewerDocs = await page.evaluate(() => ({
      buttons: document.querySelectorAll("#history-documents [data-download]").length,
      note: document.getElementById("docs-viewer-note")?.textContent ?? "",
      latest: [...document.querySelectorAll("#history-documents > ul > li[data-document]")].map((li) => li.dataset.document),
      older: [...document.querySelectorAll("#history-documents .doc-older li[data-document]")].map((li) => li.dataset.document),
    }));
    check(viewerDocs.buttons === 0, `the viewer key is offered ${viewerDocs.buttons} download button(s)`);
    check(/viewer key sees the documents' details only/.test(viewerDocs.note), `the viewer key is not told why there is no download: "${viewerDocs.note}"`);
    check(
      viewerDocs.latest.join() === proposal2.document.name && viewerDocs.older.join() === proposal1.document.name,
      `the panel shows ${JSON.stringify(viewerDocs)}: not version 2 first with version 1 among the earlier versions`,
    );
    ok("the application's history panel lists its 6 events, oldest first (2 of them document events), and its 2 documents: v2, then v1 as an earlier version; no download button for the viewer key");

    // 6. Languages, formatting, totals, the history panel and the layout:
    // each language at each width, with a screenshot of each.
    await page.click("#history-close");
    const LANGS = [
      {
        id: "en", capacity: "Capacity: allocated 1,240.5 of 1,500 beam-h, used 980", heading: "Programmes", totals: "Totals", approved: "Approved", signin: "Sign in",
        proposal: "Proposal", version: (n) => `v${n}`, superseded: "superseded", applicant: "Applicant",
        added: (f, n) => `Document added: ${f} (Proposal, v${n})`,
        replaced: (f, n) => `Document replaced: ${f} (Proposal, v${n})`,
      },
      {
        id: "zh-Hant", capacity: "容量：已分配 1,240.5（共 1,500 beam-h），已使用 980", heading: "資助計劃", totals: "總計", approved: "已批准", signin: "登入",
        proposal: "研究計劃書", version: (n) => `第 ${n} 版`, superseded: "已被取代", applicant: "申請人",
        added: (f, n) => `已新增文件：${f}（研究計劃書，第 ${n} 版）`,
        replaced: (f, n) => `已替換文件：${f}（研究計劃書，第 ${n} 版）`,
      },
      {
        id: "zh-Hans", capacity: "容量：已分配 1,240.5（共 1,500 beam-h），已使用 980", heading: "资助计划", totals: "总计", approved: "已批准", signin: "登录",
        proposal: "研究计划书", version: (n) => `第 ${n} 版`, superseded: "已被取代", applicant: "申请人",
        added: (f, n) => `已添加文件：${f}（研究计划书，第 ${n} 版）`,
        replaced: (f, n) => `已替换文件：${f}（研究计划书，第 ${n} 版）`,
      },
    ];
    const WIDTHS = [1280, 768, 390];
    const langInfo = (id) => LANGS.find((l) => l.id === id);
    const pageLang = () =>
      page.evaluate(() => ({
        lang: document.documentElement.dataset.lang,
        locale: document.documentElement.lang,
        stored: localStorage.getItem("gba-grants.lang"),
        heading: document.getElementById("programmes-h")?.textContent,
        totals: document.getElementById("totals-h")?.textContent,
      }));

    // The browser's languages choose the page's when none was chosen on it.
    const detection = [
      { languages: ["zh-MO", "en-GB"], lang: "zh-Hant", locale: "zh-MO" },
      { languages: ["zh-HK"], lang: "zh-Hant", locale: "zh-HK" },
      { languages: ["fr-FR", "zh-SG"], lang: "zh-Hans", locale: "zh-SG" },
      { languages: ["zh-CN", "en"], lang: "zh-Hans", locale: "zh-CN" },
      { languages: ["de-DE"], lang: "en", locale: "en" },
    ];
    check((await pageLang()).stored === null, "a language is stored before any was chosen");
    for (const d of detection) {
      const other = await context.newPage();
      try {
        await other.addInitScript((languages) => {
          Object.defineProperty(Navigator.prototype, "languages", { get: () => Object.freeze([...languages]), configurable: true });
          Object.defineProperty(Navigator.prototype, "language", { get: () => languages[0], configurable: true });
        }, d.languages);
        await other.goto(pageUrl);
        await other.waitForSelector("#signin-form", { state: "visible", timeout: 10_000 });
        const got = await other.evaluate(() => ({
          lang: document.documentElement.dataset.lang,
          locale: document.documentElement.lang,
          heading: document.getElementById("signin-h")?.textContent,
          submit: document.querySelector('#signin-form button[type="submit"]')?.textContent,
        }));
        const want = langInfo(d.lang);
        check(
          got.lang === d.lang && got.locale === d.locale && got.heading === want.signin && got.submit === want.signin,
          `with navigator.languages ${JSON.stringify(d.languages)} the page shows ${JSON.stringify(got)}, not ${d.lang} (locale ${d.locale}, "${want.signin}")`,
        );
      } finally {
        await other.close();
      }
    }
    ok(`the browser's languages choose the page's: ${detection.map((d) => `${d.languages.join(",")} → ${d.lang} (${d.locale})`).join("; ")}`);

    // What the totals must read, from what this test wrote (not from the page).
    const decimal = (nanos) => {
      const neg = nanos < 0n;
      const abs = neg ? -nanos : nanos;
      const frac = (abs % 1_000_000_000n).toString().padStart(9, "0");
      const fraction = frac.slice(0, 2) + frac.slice(2).replace(/0+$/, "");
      return `${neg ? "-" : ""}${abs / 1_000_000_000n}.${fraction}`;
    };
    const expectedTotals = [...ledger.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([currency, b]) => ({
        currency,
        programmes: b.programmes,
        applications: b.applications,
        awards: b.awards,
        figures: {
          requested: decimal(b.requested),
          committed: decimal(b.committed),
          disbursed: decimal(b.disbursed),
          remaining: decimal(b.budget - b.committed),
        },
      }));
    check(expectedTotals.length === 3, `the test should have written 3 currencies, not ${expectedTotals.length}`);
    const expectedAll = {
      programmes: expectedTotals.reduce((a, x) => a + x.programmes, facilityCounts.programmes),
      applications: expectedTotals.reduce((a, x) => a + x.applications, facilityCounts.applications),
      awards: expectedTotals.reduce((a, x) => a + x.awards, facilityCounts.awards),
    };
    // Compares the totals row with the expected figures, in the page (where
    // Intl formats the expected exact decimal for the page's locale).
    const totalsMismatches = () =>
      page.evaluate(
        ({ expected, all }) => {
          const loc = document.documentElement.lang;
          const int = (n) => new Intl.NumberFormat(loc).format(n);
          const bad = [];
          const top = document.querySelector('#totals [data-totals="all"]');
          for (const [k, n] of Object.entries(all)) {
            const got = top?.querySelector(`[data-count="${k}"]`)?.textContent;
            if (got !== int(n)) bad.push(`all ${k}: "${got}", expected "${int(n)}"`);
          }
          const blocks = [...document.querySelectorAll("#totals article[data-currency]")];
          const shown = blocks.map((b) => b.dataset.currency);
          if (shown.join() !== expected.map((x) => x.currency).join()) bad.push(`currencies [${shown}], expected [${expected.map((x) => x.currency)}]`);
          for (const x of expected) {
            const b = blocks.find((e) => e.dataset.currency === x.currency);
            if (!b) continue;
            for (const k of ["programmes", "applications", "awards"]) {
              const got = b.querySelector(`[data-count="${k}"]`)?.textContent;
              if (got !== int(x[k])) bad.push(`${x.currency} ${k}: "${got}", expected "${int(x[k])}"`);
            }
            for (const [k, value] of Object.entries(x.figures)) {
              const a = b.querySelector(`[data-total="${k}"] .amount`);
              // Intl formats a decimal string exactly (no float on the way).
              const text = new Intl.NumberFormat(loc, { style: "currency", currency: x.currency, currencyDisplay: "symbol" }).format(value);
              if (a?.dataset.value !== value || a?.dataset.currency !== x.currency || a?.textContent !== text) {
                bad.push(`${x.currency} ${k}: "${a?.textContent}" (${a?.dataset.value} ${a?.dataset.currency}), expected "${text}" (${value})`);
              }
            }
          }
          return bad;
        },
        { expected: expectedTotals, all: expectedAll },
      );

    // Overflow and line breaks. In the region tables, the totals, the cards,
    // the header and every button: no element wider inside than its box
    // (a sideways-scrolling wrapper may be, if its far end can be scrolled
    // to); amounts, counts, table cells, chips and button labels on one
    // line; and no line break inside a word or a number.
    const layoutProblems = (scopes, p = page) =>
      p.evaluate((scopeSelector) => {
        const problems = [];
        const scrollers = [];
        const name = (el) => {
          const attrs = ["data-currency", "data-row", "data-region", "data-total", "data-amount", "data-set-lang", "data-programme"]
            .filter((a) => el.hasAttribute(a))
            .map((a) => `[${a}="${el.getAttribute(a)}"]`)
            .join("");
          const cls = typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "";
          return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${cls}${attrs} "${(el.textContent ?? "").trim().slice(0, 40)}"`;
        };
        const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
        const scrollsX = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
        if (document.documentElement.scrollWidth > window.innerWidth + 1) {
          problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in a ${window.innerWidth} px window`);
        }
        const roots = [...document.querySelectorAll(scopeSelector)].filter(visible);
        const all = new Set();
        for (const r of roots) for (const el of [r, ...r.querySelectorAll("*")]) if (visible(el)) all.add(el);
        for (const el of all) {
          if (el.clientWidth === 0 || el.scrollWidth <= el.clientWidth + 1) continue;
          if (!scrollsX(el)) {
            problems.push(`${name(el)} overflows: scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}`);
            continue;
          }
          // An intentional sideways scroller: its far end must be reachable.
          const before = el.scrollLeft;
          el.scrollLeft = el.scrollWidth;
          const box = el.getBoundingClientRect();
          const far = Math.max(...[...el.querySelectorAll("*")].map((c) => c.getBoundingClientRect().right));
          el.scrollLeft = before;
          scrollers.push(name(el));
          if (far > box.right + 1) problems.push(`${name(el)} scrolls sideways but its end (${far}) stays past its edge (${box.right})`);
        }
        // Lines: the text fragments of an element, grouped by vertical overlap.
        const lineCount = (el) => {
          const rects = [];
          const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
          for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (!n.textContent.trim()) continue;
            const range = document.createRange();
            range.selectNodeContents(n);
            for (const r of range.getClientRects()) if (r.width > 0.5) rects.push(r);
          }
          rects.sort((a, b) => a.top - b.top);
          let lines = 0;
          let bottom = -Infinity;
          for (const r of rects) {
            if (r.top >= bottom - 2) {
              lines++;
              bottom = r.bottom;
            } else bottom = Math.max(bottom, r.bottom);
          }
          return lines;
        };
        const oneLine =
          ".amount, [data-count], button:not(.link), .regions th, .regions td, .chip, #totals dd, .lang-switch button, .doc-size, .doc-version, .doc-superseded";
        for (const el of all) {
          if (!el.matches(oneLine)) continue;
          const n = lineCount(el);
          if (n > 1) problems.push(`${name(el)} wraps onto ${n} lines`);
        }
        // Breaks inside a word or a number: where Intl.Segmenter (ICU's word
        // rules, dictionary-based for Chinese) finds no word boundary. In
        // running text elsewhere on the page, a break between two Chinese
        // characters is where Chinese breaks; in the totals, the region
        // tables and the buttons, Chinese words must stay whole too.
        const strictScope = "#totals-section, .regions-wrap, button";
        const han = /\p{Script=Han}/u;
        const segmenters = new Map();
        const boundaries = (text, lang) => {
          if (!segmenters.has(lang)) segmenters.set(lang, new Intl.Segmenter(lang, { granularity: "word" }));
          const inside = new Set();
          for (const seg of segmenters.get(lang).segment(text)) {
            if (!seg.isWordLike) continue;
            for (let k = seg.index + 1; k < seg.index + seg.segment.length; k++) inside.add(k);
          }
          return inside;
        };
        const texts = new Set();
        for (const el of all) for (const n of el.childNodes) if (n.nodeType === Node.TEXT_NODE && !el.closest(".mono")) texts.add(n);
        for (const node of texts) {
          const text = node.textContent;
          if (text.trim().length < 2) continue;
          const range = document.createRange();
          range.selectNodeContents(node);
          if (range.getClientRects().length < 2) continue;
          const el = node.parentElement;
          const inWord = boundaries(text, el.closest("[lang]")?.getAttribute("lang") || document.documentElement.lang);
          const strict = !!el.closest(strictScope);
          let prevTop = null;
          for (let i = 0; i < text.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const r = range.getClientRects()[0];
            if (!r || r.width === 0) continue;
            if (prevTop !== null && r.top > prevTop + r.height / 2 && inWord.has(i)) {
              const chinese = han.test(text[i - 1] ?? "") && han.test(text[i]);
              if (strict || !chinese) problems.push(`${name(el)}: a line break inside a word: "${text.slice(Math.max(0, i - 15), i)}|${text.slice(i, i + 15)}"`);
            }
            prevTop = r.top;
          }
        }
        return { problems, scrollers, checked: all.size };
      }, scopes);

    const LAYOUT_SCOPES = ".top, #totals-section, .card, .regions-wrap, button";
    const dateTexts = {};
    const firstRow = `#feed li[data-application="${first.name}"][data-state="APPROVED"]`;
    for (const L of LANGS) {
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.click(`#lang-switch [data-set-lang="${L.id}"]`);
      await page
        .waitForFunction(
          ({ id, heading }) => document.documentElement.dataset.lang === id && document.getElementById("programmes-h")?.textContent === heading,
          { id: L.id, heading: L.heading },
          { timeout: 3_000 },
        )
        .catch(async () => {
          throw new E2EError(`after choosing ${L.id} the page shows ${JSON.stringify(await pageLang())}`);
        });
      const state = await pageLang();
      check(state.stored === L.id, `the choice of ${L.id} is not remembered (localStorage holds ${state.stored})`);
      check(state.totals === L.totals, `the totals heading reads "${state.totals}" in ${L.id}, not "${L.totals}"`);
      const pressed = await page.$$eval("#lang-switch [data-set-lang]", (bs) => bs.filter((b) => b.getAttribute("aria-pressed") === "true").map((b) => b.dataset.setLang));
      check(pressed.join() === L.id, `the language switch shows [${pressed}] pressed, not ${L.id}`);

      // Words, names, numbers and dates for the locale.
      const readFormatting = () => page.evaluate(
        ({ card, row, hkuName }) => {
          const loc = document.documentElement.lang;
          const time = document.querySelector(`${row} time`);
          return {
            loc,
            budget: document.querySelector(`${card} [data-amount="budget"] .amount`)?.textContent,
            budgetExpected: new Intl.NumberFormat(loc, { style: "currency", currency: "CNY", currencyDisplay: "symbol" }).format("10000000"),
            date: time?.textContent,
            dateExpected: time ? new Intl.DateTimeFormat(loc, { dateStyle: "medium", timeStyle: "medium" }).format(new Date(time.getAttribute("datetime"))) : null,
            approved: document.querySelector(`${row} .change .st[data-state="APPROVED"]`)?.textContent,
            cardName: document.querySelector(`${card} h3`)?.textContent,
            inst: document.querySelector(`${row} .inst [lang]`)?.textContent,
            hkuName,
          };
        },
        { card, row: firstRow, hkuName: hku.displayName },
      );
      let f = await readFormatting();
      for (const until = Date.now() + 3_000; f.budget !== f.budgetExpected && Date.now() < until; ) {
        await sleep(100);
        f = await readFormatting();
      }
      check(f.budget === f.budgetExpected, `${L.id}: the budget reads "${f.budget}", not "${f.budgetExpected}" (${f.loc})`);
      check(f.date && f.date === f.dateExpected, `${L.id}: the event time reads "${f.date}", not "${f.dateExpected}" (${f.loc})`);
      check(f.approved === L.approved, `${L.id}: the state reads "${f.approved}", not "${L.approved}"`);
      const wantCard = L.id === "en" ? programme.displayName : programme.localName;
      const wantInst = L.id === "en" ? hku.displayName : hku.localName;
      check(f.cardName === wantCard, `${L.id}: the programme card is titled "${f.cardName}", not "${wantCard}"`);
      check(f.inst === wantInst, `${L.id}: the institution reads "${f.inst}" first, not "${wantInst}"`);
      dateTexts[L.id] = f.date;
      const capacityLine = await page.$eval(`.card[data-programme="${beamTime.name}"] [data-capacity-line]`, (e) => e.textContent).catch(() => null);
      check(capacityLine === L.capacity, `${L.id}: the facility card's capacity reads ${JSON.stringify(capacityLine)}, not "${L.capacity}"`);

      // The totals row: per currency, exactly what the test wrote.
      let mismatches = [];
      const until = Date.now() + 10_000;
      do {
        mismatches = await totalsMismatches();
        if (!mismatches.length) break;
        await sleep(200);
      } while (Date.now() < until);
      check(!mismatches.length, `${L.id}: the totals row is wrong: ${mismatches.join("; ")}`);

      // The history panel: investigator, partners and abstract.
      await page.click(`${firstRow} [data-open-application]`);
      await page.waitForSelector('#history-facts [data-field="abstract"]', { timeout: 5_000 });
      const panel = await page.evaluate(() => {
        const q = (sel) => document.querySelector(`#history-facts ${sel}`);
        return {
          investigator: q('[data-field="investigator-name"]')?.textContent,
          orcid: q('[data-field="investigator-orcid"]')?.textContent ?? "",
          email: q('[data-field="investigator-email"]')?.textContent ?? null,
          partners: [...document.querySelectorAll('#history-facts [data-field="partners"] li')].map((li) => ({
            institution: li.dataset.institution,
            name: li.querySelector("[lang]")?.textContent,
          })),
          abstract: q('[data-field="abstract"]')?.textContent,
          title: document.getElementById("history-title")?.textContent,
        };
      });
      check(panel.investigator === firstInvestigator.name, `${L.id}: the history panel names the investigator "${panel.investigator}", not "${firstInvestigator.name}"`);
      check(panel.orcid.includes(firstInvestigator.orcid), `${L.id}: the history panel lacks the ORCID iD (${panel.orcid})`);
      check(panel.email === null || panel.email === firstInvestigator.email, `${L.id}: the history panel shows the e-mail "${panel.email}"`);
      const wantPartners = [um, sysu].map((i) => ({ institution: i.name, name: L.id === "en" ? i.displayName : i.localName }));
      check(
        JSON.stringify(panel.partners) === JSON.stringify(wantPartners),
        `${L.id}: the history panel lists partners ${JSON.stringify(panel.partners)}, not ${JSON.stringify(wantPartners)}`,
      );
      check(panel.abstract === firstAbstract, `${L.id}: the history panel shows the abstract "${panel.abstract}"`);

      // Its documents and document events, in the language, with the
      // locale's size and date.
      await page.waitForSelector('#history-documents[data-documents="2"]', { timeout: 5_000 });
      const docs = await page.evaluate(
        ({ sizes, added, replaced }) => {
          const loc = document.documentElement.lang;
          const text = (el, sel) => el.querySelector(sel)?.textContent ?? null;
          return {
            docs: [...document.querySelectorAll("#history-documents li[data-document]")].map((li) => {
              const time = li.querySelector('[data-field="uploaded-time"]');
              const [value, unit] = sizes[li.dataset.document] ?? [0, "byte"];
              return {
                name: li.dataset.document,
                kind: text(li, ':scope > .doc-head [data-field="kind"]'),
                version: text(li, ':scope > .doc-head [data-field="version"]'),
                superseded: text(li, ':scope > .doc-head [data-field="superseded"]'),
                size: text(li, ':scope > .doc-head [data-field="size"]'),
                sizeExpected: new Intl.NumberFormat(loc, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }).format(value),
                file: text(li, ':scope > [data-field="file-name"]'),
                uploaded: text(li, ':scope > [data-field="uploaded"]'),
                time: time?.textContent,
                timeExpected: time ? new Intl.DateTimeFormat(loc, { dateStyle: "medium", timeStyle: "medium" }).format(new Date(time.getAttribute("datetime"))) : null,
              };
            }),
            timeline: [...document.querySelectorAll("#history-list li[data-document] .change")].map((e) => e.textContent),
            feed: [added, replaced].map((d) => document.querySelector(`#feed li[data-document="${d}"] .change`)?.textContent ?? null),
          };
        },
        {
          sizes: { [proposal1.document.name]: [205, "kilobyte"], [proposal2.document.name]: [1.5, "megabyte"] },
          added: proposal1.document.name,
          replaced: proposal2.document.name,
        },
      );
      const wantDocs = [
        { p: proposal2, version: 2, superseded: null },
        { p: proposal1, version: 1, superseded: L.superseded },
      ];
      check(docs.docs.length === 2, `${L.id}: the panel lists ${docs.docs.length} documents, not 2`);
      for (const [i, w] of wantDocs.entries()) {
        const d = docs.docs[i];
        const what = `${L.id}: document ${i + 1} in the panel (${JSON.stringify(d)})`;
        check(d.name === w.p.document.name, `${what} is not ${w.p.document.name}`);
        check(d.kind === L.proposal, `${what}: kind is not "${L.proposal}"`);
        check(d.version === L.version(w.version), `${what}: version is not "${L.version(w.version)}"`);
        check(d.superseded === w.superseded, `${what}: superseded should read ${JSON.stringify(w.superseded)}`);
        check(d.size === d.sizeExpected, `${what}: size is not "${d.sizeExpected}"`);
        check(d.file === w.p.fileName, `${what}: file name is not "${w.p.fileName}"`);
        check(d.time && d.time === d.timeExpected, `${what}: upload time is not "${d.timeExpected}"`);
        check(d.uploaded.includes(d.time) && d.uploaded.includes(L.applicant), `${what}: "uploaded" does not give the time and "${L.applicant}"`);
      }
      const wantEvents = [L.added(proposal1.fileName, 1), L.replaced(proposal2.fileName, 2)];
      check(JSON.stringify(docs.timeline) === JSON.stringify(wantEvents), `${L.id}: the panel's document events read ${JSON.stringify(docs.timeline)}, not ${JSON.stringify(wantEvents)}`);
      check(JSON.stringify(docs.feed) === JSON.stringify(wantEvents), `${L.id}: the feed's document events read ${JSON.stringify(docs.feed)}, not ${JSON.stringify(wantEvents)}`);
      await page.click("#history-close");
      if (L.id === "en") log(`history panel: e-mail ${panel.email === null ? "not shown (redacted for the viewer key)" : `shown: ${panel.email}`}`);

      // Each width: overflow, lines and breaks; a screenshot. Then the
      // history panel with its documents (earlier versions open).
      const notes = [];
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const shot = join(artifacts, `dashboard-${width}-${L.id}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const lay = await layoutProblems(LAYOUT_SCOPES);
        check(!lay.problems.length, `${L.id} at ${width} px (${shot}): ${lay.problems.slice(0, 8).join("; ")}${lay.problems.length > 8 ? ` (+${lay.problems.length - 8} more)` : ""}`);
        await page.click(`${firstRow} [data-open-application]`);
        await page.waitForSelector('#history-facts [data-field="abstract"]', { timeout: 5_000 });
        await page.waitForSelector('#history-documents[data-documents="2"] .doc-older summary', { timeout: 5_000 });
        await page.click("#history-documents .doc-older summary");
        await page.waitForSelector("#history-documents .doc-older[open] li[data-document]", { state: "visible", timeout: 2_000 });
        const panelShot = join(artifacts, `history-${width}-${L.id}.png`);
        await page.screenshot({ path: panelShot });
        const panelLay = await layoutProblems("#history, #history button, #history-documents");
        check(!panelLay.problems.length, `${L.id}, history panel at ${width} px (${panelShot}): ${panelLay.problems.slice(0, 8).join("; ")}`);
        await page.click("#history-close");
        notes.push(`${width} px: ${lay.checked} elements, panel ${panelLay.checked}${lay.scrollers.length ? `, ${lay.scrollers.length} reachable scroller(s)` : ""}`);
      }
      ok(
        `${L.id} (${f.loc}): headings, states and names in ${L.id}; budget ${f.budget}; capacity "${capacityLine}"; time ${f.date}; totals per currency exact; ` +
          `history panel with investigator, ${panel.partners.length} partners and abstract; documents "${docs.docs.map((d) => `${d.kind} ${d.version} ${d.size}`).join('", "')}" ` +
          `and their events; no overflow or broken token (${notes.join("; ")})`,
      );
    }
    check(new Set(Object.values(dateTexts)).size >= 2, `dates read the same in every language: ${JSON.stringify(dateTexts)}`);
    check(dateTexts["en"] !== dateTexts["zh-Hans"], `the English and Simplified Chinese dates are the same: ${dateTexts["en"]}`);
    ok(`dates differ by locale: ${LANGS.map((L) => `${L.id} "${dateTexts[L.id]}"`).join(", ")}`);

    // The choice survives a reload (the key stays in the tab's session).
    await page.setViewportSize({ width: 1280, height: 900 });
    const last = LANGS.at(-1);
    await page.reload();
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    let after = await pageLang();
    check(after.lang === last.id && after.heading === last.heading, `after a reload the page is in ${JSON.stringify(after)}, not ${last.id} as chosen`);
    await page.click('#lang-switch [data-set-lang="en"]');
    await page.waitForFunction(() => document.documentElement.dataset.lang === "en", null, { timeout: 3_000 });
    await page.reload();
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    after = await pageLang();
    check(after.lang === "en" && after.heading === "Programmes" && after.stored === "en", `after choosing English and a reload the page shows ${JSON.stringify(after)}`);
    await page.waitForSelector(`${card} [data-amount="budget"]`, { timeout: 10_000 });
    ok(`the language chosen is remembered across reloads (${last.id}, then en); screenshots in ${artifacts}/dashboard-{${WIDTHS.join(",")}}-{${LANGS.map((L) => L.id).join(",")}}.png`);

    // CSV downloads of a programme's applications and payments, with the
    // viewer key: each file must parse back (RFC 4180, UTF-8 with a BOM)
    // to what the server lists, amounts exact. An application whose title
    // would be a spreadsheet formula comes back with a quote in front.
    await checkCsvDownloads({
      c, page, as, viewer, umApplicant, um, hku, rid, book, decimal, nanosOf, mop, layoutProblems, baseUrl,
      institutionsByName, programme, youngScientists, youngApp, paid, outreach, first,
    });

    // Downloads, in tabs of their own (each tab keeps its own key). First
    // as the programme's officer, who may download: each version's file
    // must hash to what was uploaded, with progress on the way.
    const signInTab = async (key, setup) => {
      const p = await context.newPage();
      p.on("pageerror", (e) => pageErrors.push(`(another tab) ${e.message}`));
      await p.exposeFunction("__cspViolation", (v) => pageErrors.push(`(another tab) CSP refused ${v}`));
      await p.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
      });
      if (setup) await setup(p);
      await p.goto(pageUrl);
      await p.waitForSelector("#signin-form", { state: "visible", timeout: 10_000 });
      await p.fill("#api-key", key);
      await p.click('#signin-form button[type="submit"]');
      await p.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
      await p.waitForSelector(`#feed li[data-application="${first.name}"] [data-open-application]`, { timeout: 10_000 });
      await p.click(`#feed li[data-application="${first.name}"][data-state="APPROVED"] [data-open-application]`);
      await p.waitForSelector('#history-documents[data-documents="2"]', { timeout: 5_000 });
      return p;
    };
    const downloadIn = async (p, doc) => {
      const [download] = await Promise.all([p.waitForEvent("download", { timeout: 15_000 }), p.click(`#history-documents [data-download="${doc.name}"]`)]);
      const failure = await download.failure();
      check(!failure, `the download of ${doc.fileName} failed in the browser: ${failure}`);
      const bytes = await readFile(await download.path());
      return { file: download.suggestedFilename(), size: bytes.length, sha256: sha256Hex(bytes) };
    };
    const statusOf = (p, doc) => p.$eval(`[data-status-for="${doc.name}"]`, (e) => ({ phase: e.dataset.phase ?? "", failure: e.dataset.failure ?? "", text: e.textContent }));
    const officerPage = await signInTab(officer);
    try {
      await officerPage.waitForSelector('#history-documents[data-can-download="true"]', { timeout: 5_000 });
      // Every status drawn during the downloads, to see the progress.
      await officerPage.evaluate(() => {
        window.__statuses = [];
        new MutationObserver((records) => {
          for (const r of records)
            for (const n of r.addedNodes)
              if (n.nodeType === 1 && n.matches("[data-status-for]")) window.__statuses.push({ doc: n.dataset.statusFor, phase: n.dataset.phase ?? "", received: n.dataset.received ?? "" });
        }).observe(document.getElementById("history-body"), { childList: true, subtree: true });
      });
      const got2 = await downloadIn(officerPage, proposal2.document);
      check(got2.size === proposal2.bytes.length && got2.sha256 === proposal2.sha256, `the file saved for v2 (${got2.size} bytes, SHA-256 ${got2.sha256}) is not what was uploaded (${proposal2.sha256})`);
      check(got2.file === proposal2.fileName, `v2 was saved as "${got2.file}", not "${proposal2.fileName}"`);
      await officerPage.waitForSelector(`[data-status-for="${proposal2.document.name}"][data-phase="saved"]`, { timeout: 5_000 });
      const statuses = await officerPage.evaluate(() => window.__statuses);
      const v2size = proposal2.bytes.length;
      const midway = statuses.filter((x) => x.doc === proposal2.document.name && x.phase === "running" && Number(x.received) > 0 && Number(x.received) < v2size);
      check(midway.length >= 1, `no progress between 0 and ${v2size} bytes was shown for v2: ${JSON.stringify(statuses)}`);
      check(statuses.some((x) => x.doc === proposal2.document.name && x.phase === "verifying"), `the SHA-256 check was not shown: ${JSON.stringify(statuses)}`);
      // Version 1, among the earlier versions.
      await officerPage.click("#history-documents .doc-older summary");
      const got1 = await downloadIn(officerPage, proposal1.document);
      check(got1.size === proposal1.bytes.length && got1.sha256 === proposal1.sha256, `the file saved for v1 (${got1.size} bytes, SHA-256 ${got1.sha256}) is not what was uploaded (${proposal1.sha256})`);
      check(got1.file === proposal1.fileName, `v1 was saved as "${got1.file}", not "${proposal1.fileName}"`);
      ok(
        `as the officer: "${got2.file}" and "${got1.file}" downloaded over gRPC-Web with SHA-256 equal to the uploads ` +
          `(progress shown at ${midway.map((x) => x.received).join(", ")} of ${v2size} bytes, then the check)`,
      );

      // A download altered on the way (one byte of the content flipped in
      // the gRPC-Web response): refused, and no file saved.
      const downloadUrl = "**/gba.grants.v1.DocumentService/DownloadDocument";
      let flipped = false;
      await officerPage.route(downloadUrl, async (route) => {
        const response = await route.fetch();
        const body = Buffer.from(await response.body());
        const at = body.indexOf(Buffer.from("%PDF-1.7\n"));
        if (at >= 0 && at + 1000 < body.length) {
          body[at + 1000] ^= 0xff;
          flipped = true;
        }
        await route.fulfill({ response, body });
      });
      const saved = [];
      const onDownload = (d) => saved.push(d.suggestedFilename());
      officerPage.on("download", onDownload);
      await officerPage.click(`#history-documents [data-download="${proposal1.document.name}"]`);
      await officerPage
        .waitForSelector(`[data-status-for="${proposal1.document.name}"][data-phase="failed"]`, { timeout: 10_000 })
        .catch(async () => {
          throw new E2EError(`an altered download was not refused: ${JSON.stringify(await statusOf(officerPage, proposal1.document))}`);
        });
      await sleep(1_000);
      officerPage.off("download", onDownload);
      await officerPage.unroute(downloadUrl);
      const refused = await statusOf(officerPage, proposal1.document);
      check(flipped, "the test did not find the content in the download's response to alter");
      check(refused.failure === "checksum" && /^Not saved: .*SHA-256/.test(refused.text), `an altered download reads ${JSON.stringify(refused)}, not the SHA-256 refusal`);
      check(!saved.length, `an altered download was saved as ${saved.join(", ")}`);
      ok(`a download altered on the way is not saved: "${refused.text}"`);

      // The panel with its buttons and statuses, at each width.
      const notes = [];
      for (const width of WIDTHS) {
        await officerPage.setViewportSize({ width, height: 900 });
        await officerPage.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        const shot = join(artifacts, `history-officer-${width}-en.png`);
        await officerPage.screenshot({ path: shot });
        const lay = await layoutProblems("#history, #history button, #history-documents", officerPage);
        check(!lay.problems.length, `officer's history panel at ${width} px (${shot}): ${lay.problems.slice(0, 8).join("; ")}`);
        notes.push(`${width} px: ${lay.checked} elements`);
      }
      ok(`the documents with download buttons and statuses hold at each width (${notes.join("; ")})`);
    } finally {
      await officerPage.close();
    }

    // A viewer key, in a tab where the page could not learn the key's role
    // (GetCurrentApiKey cut off): the button is offered, and the server's
    // refusal is shown; nothing is saved.
    const blind = await signInTab(viewer, (p) => p.route("**/gba.grants.v1.AccessService/GetCurrentApiKey", (r) => r.abort()));
    try {
      const offered = await blind.$eval("#history-documents", (e) => ({ can: e.dataset.canDownload, buttons: e.querySelectorAll("[data-download]").length }));
      check(offered.can === "unknown" && offered.buttons >= 1, `without the role, the panel offers ${JSON.stringify(offered)}`);
      const saved = [];
      blind.on("download", (d) => saved.push(d.suggestedFilename()));
      await blind.click(`#history-documents [data-download="${proposal2.document.name}"]`);
      await blind.waitForSelector(`[data-status-for="${proposal2.document.name}"][data-phase="failed"]`, { timeout: 10_000 }).catch(async () => {
        throw new E2EError(`the viewer's download was not refused on the page: ${JSON.stringify(await statusOf(blind, proposal2.document))}`);
      });
      await sleep(500);
      const refusal = await statusOf(blind, proposal2.document);
      check(
        refusal.failure === "denied" && /^This key may not download documents: ROLE_NOT_ALLOWED/.test(refusal.text),
        `the viewer's refusal reads ${JSON.stringify(refusal)}`,
      );
      check(!saved.length, `the viewer's refused download was saved as ${saved.join(", ")}`);
      ok(`a viewer key whose role the page does not know gets the refusal shown: "${refusal.text}"`);
    } finally {
      await blind.close();
    }

    // Team and sign-off, on the demo's picture (`gba-grants demo`, in a
    // database and a server of their own): each project has its PI at the
    // applicant and, with a partner, "Co-investigator of project N" there;
    // each research office signed before submission.
    await checkDemoTeams({ c, bin: binCopy, tmp, context, pageErrors, layoutProblems, widths: WIDTHS, cleanups });

    // 7. A burst of events must not freeze the tab: rows are drawn in
    // batches at most once per frame / 100 ms and the feed keeps 500 rows.
    const burstApps = Number(process.env.E2E_BURST_APPLICATIONS ?? 300);
    if (burstApps > 0) {
      await page.evaluate(() => {
        const w = window;
        w.__gaps = [];
        w.__longest = 0;
        w.__measure = true;
        let last = performance.now();
        const tick = (t) => {
          w.__gaps.push(t - last);
          last = t;
          if (w.__measure) requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        try {
          new PerformanceObserver((list) => {
            for (const e of list.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
          }).observe({ type: "longtask" });
        } catch {
          // No long-task timing in this browser.
        }
      });
      const started = Date.now();
      let next = 0;
      const worker = async () => {
        while (next < burstApps) {
          const i = next++;
          const [k, inst] = i % 2 ? [hkApplicant, hku] : [umApplicant, um];
          await submitApplication(k, inst, `Burst application ${i + 1}`);
        }
      };
      await Promise.all(Array.from({ length: 48 }, worker));
      const secs = (Date.now() - started) / 1000;
      const events = burstApps * 2;
      log(`burst: wrote ${events} events in ${secs.toFixed(1)} s (${Math.round(events / secs)} events/s)`);
      const lastTitle = `Burst application ${burstApps}`;
      await page.waitForFunction(
        (n) => {
          const rows = document.querySelectorAll("#feed li[data-cursor]");
          const submitted = [...rows].filter((r) => r.dataset.state === "SUBMITTED" && /^Burst application/.test(r.querySelector("[data-open-application]")?.textContent ?? "")).length;
          return submitted >= Math.min(n, 250);
        },
        burstApps,
        { timeout: 30_000 },
      );
      await sleep(1_000);
      const m = await page.evaluate(() => {
        window.__measure = false;
        const rows = [...document.querySelectorAll("#feed li[data-cursor]")];
        const gaps = window.__gaps.slice(1);
        return {
          rows: rows.length,
          unique: new Set(rows.map((r) => r.dataset.cursor)).size,
          maxGap: Math.round(Math.max(0, ...gaps)),
          frames: gaps.length,
          longest: Math.round(window.__longest),
        };
      });
      log(`burst: ${m.rows} rows shown, ${m.frames} frames, longest frame gap ${m.maxGap} ms, longest task ${m.longest} ms (${lastTitle})`);
      check(m.rows <= 500, `the feed holds ${m.rows} rows, more than 500`);
      check(m.unique === m.rows, "a cursor is on two rows after the burst");
      check(m.maxGap < 1000, `the page froze for ${m.maxGap} ms during the burst`);
      ok(`a burst of ${events} events at ${Math.round(events / secs)}/s: feed capped at ${m.rows} rows, longest frame gap ${m.maxGap} ms`);
    }

    // Sign-out clears the key.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click("#signout");
    await page.waitForSelector("#signin-form", { state: "visible" });
    const stored = await page.evaluate(() => JSON.stringify(sessionStorage));
    check(!stored.includes(viewer), "the key is still in sessionStorage after sign-out");
    check((await page.$eval("#conn", (e) => e.dataset.state)) === "signed-out", "not signed out");
    ok("sign-out cleared the key");

    // A key revoked while the page watches: back to sign-in, with a message.
    const { apiKey: revocable, secret: revocableSecret } = await admin.access.createApiKey({
      apiKey: { role: c.ApiKey_Role.VIEWER, allProgrammes: true, displayName: "revoked during the e2e" },
      requestId: rid(),
    });
    await page.fill("#api-key", revocableSecret);
    await page.click('#signin-form button[type="submit"]');
    await page.waitForSelector('#conn[data-state="live"]', { timeout: 15_000 });
    await as(adminKey).access.revokeApiKey({ name: revocable.name, requestId: rid() });
    await page
      .waitForFunction(() => !document.getElementById("signin")?.hidden && /revoked|not accepted/.test(document.getElementById("signin-msg")?.textContent ?? ""), null, { timeout: 5_000 })
      .catch(() => {
        throw new E2EError("after its key was revoked the page did not return to sign-in with a message");
      });
    const msg = await page.$eval("#signin-msg", (e) => e.textContent);
    ok(`a key revoked while watching returns the page to sign-in ("${msg}")`);

    check(pageErrors.length === 0, `uncaught errors in the page: ${pageErrors.join("; ")}`);
    ok("no uncaught error in the page");
  } finally {
    for (const f of cleanups) await f();
    await rm(tmp, { recursive: true, force: true }).catch(() => {});
  }
}

main().then(
  () => {
    console.log(`${passed} passed, 0 failed`);
    process.exit(0);
  },
  (err) => {
    console.error(`e2e FAILED: ${err instanceof E2EError ? err.message : err?.stack ?? err}`);
    console.log(`${passed} passed, 1 failed`);
    process.exit(1);
  },
);
