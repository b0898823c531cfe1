import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ApplicationSchema, Application_State as State, type Application } from "../src/gen/gba/grants/v1/application_pb";
import { DisbursementSchema, type Disbursement } from "../src/gen/gba/grants/v1/award_pb";
import { exportProgramme, type ExportCalls, type ExportProgress } from "../src/lib/programme-export";
import type { InstitutionNames } from "../src/lib/csv";

const m = (currencyCode: string, units: bigint, nanos = 0) => ({ currencyCode, units, nanos });
const P = "programmes/p1";

/** Lines of a CSV text, the BOM and the line ends taken off. */
const lines = (text: string) => text.slice(1).split("\r\n").slice(0, -1);

/** A fake server: pages of `pageSize`, tokens "t<offset>"; it records every call. */
function fakeServer(apps: Application[], disbursements: Map<string, Disbursement[]>, institutions: Map<string, InstitutionNames>, pageSize = 2) {
  const calls: string[] = [];
  const page = <T>(all: T[], token: string) => {
    const from = token ? Number(token.slice(1)) : 0;
    const next = from + pageSize;
    return { items: all.slice(from, next), nextPageToken: next < all.length ? `t${next}` : "" };
  };
  const server: ExportCalls = {
    async listApplications(parent, pageToken) {
      calls.push(`apps ${parent} ${pageToken}`);
      const { items, nextPageToken } = page(apps, pageToken);
      return { applications: items, nextPageToken };
    },
    async listDisbursements(parent, pageToken) {
      calls.push(`disb ${parent} ${pageToken}`);
      const { items, nextPageToken } = page(disbursements.get(parent) ?? [], pageToken);
      return { disbursements: items, nextPageToken };
    },
    async getInstitution(name) {
      calls.push(`inst ${name}`);
      return institutions.get(name);
    },
  };
  return { server, calls };
}

const awarded = [State.APPROVED, State.ACTIVE, State.CLOSED];
const app = (id: string, state: State, paid: bigint, inst = "institutions/hku") =>
  create(ApplicationSchema, {
    name: `${P}/applications/${id}`,
    applicantInstitution: inst,
    title: `Application ${id}`,
    state,
    principalInvestigator: { name: `PI of ${id}` },
    requestedAmount: m("CNY", 1_234_567n, 890_000_000),
    durationMonths: 24,
    createTime: { seconds: 1_740_787_200n, nanos: 0 },
    awardNumber: awarded.includes(state) ? `GBA-${id}` : "",
    disbursedAmount: paid ? m("CNY", paid) : undefined,
  });
const disb = (appId: string, id: string, units: bigint, nanos = 0) =>
  create(DisbursementSchema, { name: `${P}/applications/${appId}/disbursements/${id}`, reference: `REF-${id}`, amount: m("CNY", units, nanos), payeeAmount: m("CNY", units, nanos), exchangeRate: "1" });

const apps = [
  app("a1", State.ACTIVE, 300n),
  app("a2", State.SUBMITTED, 0n, "institutions/um"),
  app("a3", State.CLOSED, 5n),
  app("a4", State.APPROVED, 0n),
  app("a5", State.DRAFT, 0n, "institutions/hidden"),
];
const payments = new Map([
  [`${P}/applications/a1`, [disb("a1", "d1", 100n), disb("a1", "d2", 100n), disb("a1", "d3", 99n, 990_000_000), disb("a1", "d4", 0n, 10_000_000)]],
  [`${P}/applications/a3`, [disb("a3", "d5", 5n)]],
]);
const institutions = new Map([
  ["institutions/hku", { displayName: "The University of Hong Kong", localName: "香港大學" }],
  ["institutions/um", { displayName: "University of Macau", localName: "澳門大學" }],
]);

test("applications: every page, the institutions the page lacks asked for once each", async () => {
  const { server, calls } = fakeServer(apps, payments, institutions);
  const progress: ExportProgress[] = [];
  const file = await exportProgramme("applications", P, server, {
    signal: new AbortController().signal,
    knownInstitution: (n) => (n === "institutions/hku" ? institutions.get(n) : undefined),
    onProgress: (p) => progress.push(p),
  });
  assert.equal(file.fileName, "programme-p1-applications.csv");
  assert.equal(file.rows, 5);
  assert.deepEqual(calls.filter((c) => c.startsWith("apps")), [`apps ${P} `, `apps ${P} t2`, `apps ${P} t4`]);
  assert.deepEqual(calls.filter((c) => c.startsWith("inst")).sort(), ["inst institutions/hidden", "inst institutions/um"]);
  assert.deepEqual(progress, [
    { step: "applications", done: 2 },
    { step: "applications", done: 4 },
    { step: "applications", done: 5 },
  ]);
  const l = lines(file.text);
  assert.equal(l.length, 6);
  assert.equal(l[0], "name,programme,title,state,applicant_institution,institution_name_en,institution_name_zh,principal_investigator,requested_amount,requested_currency,duration_months,submit_time,create_time,update_time,requested_unit");
  assert.equal(l[1], `${P}/applications/a1,${P},Application a1,ACTIVE,institutions/hku,The University of Hong Kong,香港大學,PI of a1,1234567.89,CNY,24,,2025-03-01T00:00:00Z,,`);
  assert.equal(l[2], `${P}/applications/a2,${P},Application a2,SUBMITTED,institutions/um,University of Macau,澳門大學,PI of a2,1234567.89,CNY,24,,2025-03-01T00:00:00Z,,`);
  assert.equal(l[5], `${P}/applications/a5,${P},Application a5,DRAFT,institutions/hidden,,,PI of a5,1234567.89,CNY,24,,2025-03-01T00:00:00Z,,`);
});

test("payments: the disbursements of the paid applications only, every page, in order", async () => {
  const { server, calls } = fakeServer(apps, payments, institutions);
  const progress: ExportProgress[] = [];
  const file = await exportProgramme("payments", P, server, { signal: new AbortController().signal, onProgress: (p) => progress.push(p), concurrency: 2 });
  assert.equal(file.fileName, "programme-p1-disbursements.csv");
  assert.equal(file.rows, 5);
  const disbCalls = calls.filter((c) => c.startsWith("disb")).sort();
  assert.deepEqual(disbCalls, [`disb ${P}/applications/a1 `, `disb ${P}/applications/a1 t2`, `disb ${P}/applications/a3 `]);
  assert.ok(!calls.some((c) => c.startsWith("inst")));
  const l = lines(file.text);
  assert.deepEqual(
    l.slice(1).map((x) => x.split(",").slice(1, 5)),
    [
      [`${P}/applications/a1/disbursements/d1`, "REF-d1", "100.00", "CNY"],
      [`${P}/applications/a1/disbursements/d2`, "REF-d2", "100.00", "CNY"],
      [`${P}/applications/a1/disbursements/d3`, "REF-d3", "99.99", "CNY"],
      [`${P}/applications/a1/disbursements/d4`, "REF-d4", "0.01", "CNY"],
      [`${P}/applications/a3/disbursements/d5`, "REF-d5", "5.00", "CNY"],
    ],
  );
  assert.deepEqual(progress.filter((p) => p.step === "payments").at(-1), { step: "payments", done: 2, total: 2 });
});

test("no paid application: the header alone", async () => {
  const { server } = fakeServer([app("a2", State.SUBMITTED, 0n)], payments, institutions);
  const file = await exportProgramme("payments", P, server, { signal: new AbortController().signal });
  assert.equal(file.rows, 0);
  assert.equal(file.fileName, "programme-p1-disbursements.csv");
  assert.equal(file.text, "\uFEFFapplication,name,reference,amount,currency,payee_amount,payee_currency,exchange_rate,bank_charges,bank_charges_currency,pay_time,create_time\r\n");
});

test("a server that gives a page token twice is an error, not a loop", async () => {
  const server: ExportCalls = {
    async listApplications() {
      return { applications: [app("a1", State.DRAFT, 0n)], nextPageToken: "again" };
    },
    listDisbursements: async () => ({ disbursements: [], nextPageToken: "" }),
    getInstitution: async () => undefined,
  };
  await assert.rejects(exportProgramme("applications", P, server, { signal: new AbortController().signal }), /page token "again" twice/);
});

test("a failure of a call is the export's failure; an abort stops it", async () => {
  const { server } = fakeServer(apps, payments, institutions);
  const failing: ExportCalls = { ...server, listDisbursements: async () => Promise.reject(new Error("PERMISSION_DENIED")) };
  await assert.rejects(exportProgramme("payments", P, failing, { signal: new AbortController().signal }), /PERMISSION_DENIED/);
  const abort = new AbortController();
  abort.abort();
  await assert.rejects(exportProgramme("applications", P, server, { signal: abort.signal }));
});
