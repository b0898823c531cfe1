// A programme's applications and payments as CSV files (RFC 4180): fields
// separated by commas, records ended by CRLF, a field quoted when it holds
// a comma, a double quote, CR or LF (its quotes doubled), a header row
// first, and a UTF-8 byte order mark (U+FEFF) in front so that Excel reads
// the Chinese names as UTF-8. Pure: no DOM, no network (unit-tested).
//
// The columns are data, in every language the same: header names after
// the contract's fields, states as their enum names (APPROVED), times in
// RFC 3339 UTC, and amounts as exact decimals with no grouping
// ("1234567.89", at least the currency's minor digits, never through a
// float), each with its currency in a column of its own.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import type { Disbursement } from "../gen/gba/grants/v1/award_pb";
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import { decimalString, toNanos, type MoneyValue } from "./money";

export const BOM = "\uFEFF";
export const CRLF = "\r\n";
/** The Blob type of the files. */
export const CSV_MEDIA_TYPE = "text/csv;charset=utf-8";

/**
 * A cell: text as it came (from the server, and so from people), or a
 * figure this module wrote itself (an exact amount), which is never
 * prefixed (see `guardFormula`).
 */
export type Cell = string | { readonly figure: string };

/**
 * Spreadsheets take a cell that starts with `=`, `+`, `-` or `@` for a
 * formula (CSV or formula injection: `=HYPERLINK(...)` in a title would
 * run when the file is opened). Such text gets a single quote in front,
 * which spreadsheets read as "text follows" and show without it.
 * Everything else is written as it is, control and bidi characters
 * included: the file is data. Only text is guarded: amounts are ours
 * (and never negative here), so that they parse back as numbers.
 */
export function guardFormula(text: string): string {
  return /^[=+\-@]/.test(text) ? `'${text}` : text;
}

/** One field, quoted when it holds a comma, a quote, CR or LF (quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The file: BOM, the header, then a record per row, each ended by CRLF. */
export function csvText(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const line = (cells: readonly Cell[]) => cells.map((c) => csvField(typeof c === "string" ? guardFormula(c) : c.figure)).join(",") + CRLF;
  let out = BOM + line(header);
  for (const row of rows) out += line(row);
  return out;
}

/** An amount and its currency, two cells; both empty when the amount is not set. */
export function moneyCells(m: MoneyValue | undefined | null): [Cell, Cell] {
  if (!m || (!m.currencyCode && toNanos(m) === 0n)) return ["", ""];
  return [{ figure: decimalString(m) }, m.currencyCode];
}

/**
 * A time in RFC 3339, UTC, exactly: "2025-03-01T08:30:00Z", with 3, 6 or
 * 9 fraction digits when it has a fraction (as protobuf's JSON writes it).
 * Empty when not set.
 */
export function rfc3339(ts: { seconds: bigint; nanos: number } | undefined): string {
  if (!ts) return "";
  const seconds = BigInt(ts.seconds);
  const whole = new Date(Number(seconds) * 1000).toISOString().replace(/\.\d+Z$/, "");
  const nanos = ts.nanos;
  if (!nanos) return `${whole}Z`;
  let frac = String(nanos).padStart(9, "0");
  while (frac.length > 3 && frac.endsWith("000")) frac = frac.slice(0, -3);
  return `${whole}.${frac}Z`;
}

/** The names of an institution, as ListInstitutions / GetInstitution give them. */
export interface InstitutionNames {
  displayName: string;
  localName: string;
}

export const APPLICATION_COLUMNS = [
  "application",
  "title",
  "state",
  "applicant_institution",
  "institution_display_name",
  "institution_local_name",
  "requested_amount",
  "requested_currency",
  "awarded_amount",
  "awarded_currency",
  "disbursed_amount",
  "disbursed_currency",
  "submit_time",
  "award_number",
] as const;

export const PAYMENT_COLUMNS = [
  "application",
  "disbursement",
  "reference",
  "amount",
  "currency",
  "payee_amount",
  "payee_currency",
  "exchange_rate",
  "bank_charges",
  "bank_charges_currency",
  "pay_time",
  "create_time",
] as const;

/** The state's enum name (APPROVED, UNDER_REVIEW, ...), or its number. */
const stateName = (s: State) => State[s] ?? String(s);

/** A row per application: the English and the Chinese name of its applicant beside its resource name. */
export function applicationsCsv(apps: readonly Application[], institution: (name: string) => InstitutionNames | undefined): string {
  return csvText(
    APPLICATION_COLUMNS,
    apps.map((a) => {
      const inst = institution(a.applicantInstitution);
      return [
        a.name,
        a.title,
        stateName(a.state),
        a.applicantInstitution,
        inst?.displayName ?? "",
        inst?.localName ?? "",
        ...moneyCells(a.requestedAmount),
        ...moneyCells(a.awardedAmount),
        ...moneyCells(a.disbursedAmount),
        rfc3339(a.submitTime),
        a.awardNumber,
      ];
    }),
  );
}

/** A disbursement with the application it paid. */
export interface Payment {
  application: string;
  disbursement: Disbursement;
}

/** A row per disbursement. The bank charges are in the payee's currency (zero when empty). */
export function paymentsCsv(payments: readonly Payment[]): string {
  return csvText(
    PAYMENT_COLUMNS,
    payments.map(({ application, disbursement: d }) => [
      application,
      d.name,
      d.reference,
      ...moneyCells(d.amount),
      ...moneyCells(d.payeeAmount),
      d.exchangeRate,
      ...moneyCells(d.bankCharges),
      rfc3339(d.payTime),
      rfc3339(d.createTime),
    ]),
  );
}

/** Whether an application has been paid: awarded (APPROVED, ACTIVE or CLOSED) with an amount disbursed. */
export function isPaid(a: Application): boolean {
  return (a.state === State.APPROVED || a.state === State.ACTIVE || a.state === State.CLOSED) && toNanos(a.disbursedAmount) > 0n;
}

export type ExportKind = "applications" | "payments";

/** `programme-<id>-applications.csv` for `programmes/<id>` (anything but [A-Za-z0-9._-] in the id as `_`). */
export function csvFileName(programme: string, kind: ExportKind): string {
  const id = programme.replace(/^programmes\//, "").replace(/[^A-Za-z0-9._-]/g, "_") || "programme";
  return `programme-${id}-${kind}.csv`;
}
