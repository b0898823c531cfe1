// A programme's applications or payments, fetched through every page, as a
// CSV file (see csv.ts), the file `grantctl export applications` or
// `grantctl export disbursements` writes with --excel: ListApplications
// with the programme as parent until the page token is empty; for
// payments, ListDisbursements (every page) of each award that has paid
// anything, in the applications' order. The calls are injected, so that
// this is tested with fake servers.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import type { Disbursement } from "../gen/gba/grants/v1/award_pb";
import { applicationsCsv, csvFileName, isPaid, paymentsCsv, type ExportKind, type InstitutionNames, type Payment } from "./csv";

export interface ExportCalls {
  listApplications(parent: string, pageToken: string, signal: AbortSignal): Promise<{ applications: Application[]; nextPageToken: string }>;
  listDisbursements(parent: string, pageToken: string, signal: AbortSignal): Promise<{ disbursements: Disbursement[]; nextPageToken: string }>;
  /** An institution the page does not know yet; undefined when the key may not see it. */
  getInstitution(name: string, signal: AbortSignal): Promise<InstitutionNames | undefined>;
}

export type ExportProgress =
  /** Applications listed so far. */
  | { step: "applications"; done: number }
  /** Paid applications whose disbursements are listed, of `total`. */
  | { step: "payments"; done: number; total: number };

export interface ExportOptions {
  signal: AbortSignal;
  /** The institutions the page knows already (ListInstitutions). */
  knownInstitution?(name: string): InstitutionNames | undefined;
  onProgress?(p: ExportProgress): void;
  /** ListDisbursements calls at a time (default 4). */
  concurrency?: number;
}

export interface ExportFile {
  fileName: string;
  text: string;
  /** Data rows (the header not counted). */
  rows: number;
}

/** Throws once `signal` is aborted (the caller looks at the signal, not at this error). */
function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new Error("aborted");
}

/** Every page of a listing, in order; a page token the server gives twice is an error (it would never end). */
export async function allPages<T>(
  page: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  signal: AbortSignal,
  onPage?: (soFar: number) => void,
): Promise<T[]> {
  const all: T[] = [];
  const seen = new Set<string>();
  let pageToken = "";
  do {
    stopIfAborted(signal);
    const res = await page(pageToken);
    all.push(...res.items);
    onPage?.(all.length);
    pageToken = res.nextPageToken;
    if (pageToken && seen.has(pageToken)) throw new Error(`the server gave the page token ${JSON.stringify(pageToken)} twice`);
    seen.add(pageToken);
  } while (pageToken);
  return all;
}

/** Runs `fn` over `items`, `limit` at a time; results in the items' order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Builds the CSV file of `kind` for `programme` (`programmes/{id}`). */
export async function exportProgramme(kind: ExportKind, programme: string, calls: ExportCalls, opts: ExportOptions): Promise<ExportFile> {
  const { signal } = opts;
  const apps = await allPages(
    async (pageToken) => {
      const res = await calls.listApplications(programme, pageToken, signal);
      return { items: res.applications, nextPageToken: res.nextPageToken };
    },
    signal,
    (done) => opts.onProgress?.({ step: "applications", done }),
  );
  const fileName = csvFileName(programme, kind);

  if (kind === "applications") {
    const names = new Map<string, InstitutionNames | undefined>();
    for (const a of apps) {
      const n = a.applicantInstitution;
      if (n && !names.has(n)) names.set(n, opts.knownInstitution?.(n));
    }
    const missing = [...names].filter(([, v]) => !v).map(([n]) => n);
    await mapLimited(missing, opts.concurrency ?? 4, async (n) => names.set(n, await calls.getInstitution(n, signal)));
    stopIfAborted(signal);
    return { fileName, text: applicationsCsv(apps, (n) => names.get(n)), rows: apps.length };
  }

  const paid = apps.filter(isPaid);
  let done = 0;
  opts.onProgress?.({ step: "payments", done, total: paid.length });
  const lists = await mapLimited(paid, opts.concurrency ?? 4, async (a) => {
    const ds = await allPages(async (pageToken) => {
      const res = await calls.listDisbursements(a.name, pageToken, signal);
      return { items: res.disbursements, nextPageToken: res.nextPageToken };
    }, signal);
    opts.onProgress?.({ step: "payments", done: ++done, total: paid.length });
    return ds.map((disbursement): Payment => ({ application: a.name, disbursement }));
  });
  stopIfAborted(signal);
  const payments = lists.flat();
  return { fileName, text: paymentsCsv(payments), rows: payments.length };
}
