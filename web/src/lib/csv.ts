// A programme's applications and payments as CSV files (RFC 4180): fields
// separated by commas, records ended by CRLF, a field quoted when it holds
// a comma, a double quote, CR or LF (its quotes doubled), a header row
// first. Pure: no DOM, no network (unit-tested).
//
// The files are grantctl's: `grantctl export applications` and `grantctl
// export disbursements` (services/grantctl/cmd/export.rs, records.rs)
// write the same columns, in the same order, with the same values, so
// that a finance office gets the same file from either. Keep the two in
// step: the column lists below are copies of grantctl's APPLICATIONS and
// DISBURSEMENTS tables, each column text or number as there. The values:
// states as their enum names without the STATE_ prefix (APPROVED; empty
// when unset), times in RFC 3339 UTC, amounts as exact decimals with the
// currency's minor digits and no grouping ("1234567.89"), each with its
// currency in a column of its own, and an empty cell for anything absent.
//
// The page's file is meant for spreadsheets, so it is always what
// `grantctl export ... --excel` writes: a UTF-8 byte order mark (U+FEFF)
// first, so that Excel reads the Chinese names as UTF-8, and a single
// quote in front of text that starts with =, +, - or @ (see
// `guardFormula`). Without --excel grantctl writes neither.
import type { Application } from "../gen/gba/grants/v1/application_pb";
import type { Disbursement } from "../gen/gba/grants/v1/award_pb";
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import { currencyDigits, type MoneyValue } from "./money";
import { resourceDecimal } from "./resources";

export const BOM = "\uFEFF";
export const CRLF = "\r\n";
/** The Blob type of the files. */
export const CSV_MEDIA_TYPE = "text/csv;charset=utf-8";

/**
 * A column: its name (the header) and what it holds. Text came from the
 * server, and so from people, and is guarded against formulas; a number
 * (an amount, rate, count or time) is written as it is, so that `-5.00`
 * stays a number. As grantctl's `text(...)` and `number(...)`.
 */
export interface Column {
  readonly name: string;
  readonly kind: "text" | "number";
}

const text = (name: string): Column => ({ name, kind: "text" });
const number = (name: string): Column => ({ name, kind: "number" });

/**
 * Spreadsheets take a cell that starts with `=`, `+`, `-` or `@` for a
 * formula (CSV or formula injection: `=HYPERLINK(...)` in a title would
 * run when the file is opened). Such text gets a single quote in front,
 * which spreadsheets read as "text follows" and show without it, as
 * grantctl's --excel does. Everything else is written as it is, control
 * and bidi characters included: the file is data.
 */
export function guardFormula(value: string): string {
  return /^[=+\-@]/.test(value) ? `'${value}` : value;
}

/** One field, quoted when it holds a comma, a quote, CR or LF (quotes doubled). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The file: BOM, the header, then a record per row (a value for each
 * column, "" for an absent one), each ended by CRLF. Text columns are
 * guarded (`guardFormula`), number columns never.
 */
export function csvText(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => cells.map(csvField).join(",") + CRLF;
  let out = BOM + line(columns.map((c) => c.name));
  for (const row of rows) {
    if (row.length !== columns.length) throw new Error(`a row of ${row.length} values for ${columns.length} columns`);
    out += line(row.map((v, i) => (columns[i]!.kind === "text" ? guardFormula(v) : v)));
  }
  return out;
}

/**
 * The amount in its currency's minor units (cents), through BigInt, never
 * a float. Digits below the minor unit are cut off (toward zero) as
 * grantctl cuts them: the service never sends them.
 */
export function minorUnits(m: MoneyValue): bigint {
  const scale = 10n ** BigInt(currencyDigits(m.currencyCode));
  return BigInt(m.units) * scale + BigInt(m.nanos) / (1_000_000_000n / scale);
}

/**
 * An amount as grantctl writes it: an exact decimal with the currency's
 * minor digits and no grouping ("1234567.89", "-5.05"; JPY "1200").
 * Empty when the amount is not set.
 */
export function plainAmount(m: MoneyValue | undefined | null): string {
  if (!m) return "";
  const digits = currencyDigits(m.currencyCode);
  const scale = 10n ** BigInt(digits);
  const minor = minorUnits(m);
  const abs = minor < 0n ? -minor : minor;
  const sign = minor < 0n ? "-" : "";
  if (digits === 0) return `${sign}${abs}`;
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, "0")}`;
}

/** An amount and its currency, two cells; both empty when the amount is not set. */
export function moneyCells(m: MoneyValue | undefined | null): [string, string] {
  return m ? [plainAmount(m), m.currencyCode] : ["", ""];
}

/** The seconds of -9999-01-01T00:00:00Z and of 9999-12-31T23:59:59Z: grantctl's time range. */
const FIRST_SECOND = -377_705_116_800n;
const LAST_SECOND = 253_402_300_799n;

/**
 * A time in RFC 3339, UTC, as grantctl writes it: "2025-03-01T08:30:00Z",
 * with 3, 6 or 9 fraction digits when it has a fraction (as protobuf's
 * JSON writes it). Empty when not set; "<seconds>s" outside the years
 * -9999 to 9999.
 */
export function rfc3339(ts: { seconds: bigint; nanos: number } | undefined): string {
  if (!ts) return "";
  const seconds = BigInt(ts.seconds);
  if (seconds < FIRST_SECOND || seconds > LAST_SECOND) return `${seconds}s`;
  const d = new Date(Number(seconds) * 1000);
  const y = d.getUTCFullYear();
  const year = y < 0 ? `-${String(-y).padStart(3, "0")}` : String(y).padStart(4, "0");
  const two = (n: number) => String(n).padStart(2, "0");
  const nanos = Math.min(Math.max(ts.nanos, 0), 999_999_999);
  const frac =
    nanos === 0
      ? ""
      : nanos % 1_000_000 === 0
        ? `.${String(nanos / 1_000_000).padStart(3, "0")}`
        : nanos % 1_000 === 0
          ? `.${String(nanos / 1_000).padStart(6, "0")}`
          : `.${String(nanos).padStart(9, "0")}`;
  return `${year}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}T${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}${frac}Z`;
}

/** The names of an institution, as ListInstitutions / GetInstitution give them. */
export interface InstitutionNames {
  displayName: string;
  localName: string;
}

/** grantctl's APPLICATIONS. */
export const APPLICATION_COLUMNS: readonly Column[] = [
  text("name"),
  text("programme"),
  text("title"),
  text("state"),
  text("applicant_institution"),
  text("institution_name_en"),
  text("institution_name_zh"),
  text("principal_investigator"),
  number("requested_amount"),
  text("requested_currency"),
  number("duration_months"),
  number("submit_time"),
  number("create_time"),
  number("update_time"),
  text("requested_unit"),
];

/** grantctl's DISBURSEMENTS. */
export const PAYMENT_COLUMNS: readonly Column[] = [
  text("application"),
  text("name"),
  text("reference"),
  number("amount"),
  text("currency"),
  number("payee_amount"),
  text("payee_currency"),
  number("exchange_rate"),
  number("bank_charges"),
  text("bank_charges_currency"),
  number("pay_time"),
  number("create_time"),
];

/** The state's enum name without STATE_ (APPROVED, UNDER_REVIEW, ...), empty when unset, its number when unknown. */
export function stateWord(s: State): string {
  if (s === State.UNSPECIFIED) return "";
  return State[s] ?? String(s);
}

/** `programmes/P` of `programmes/P/applications/A`; empty for anything else. */
export function programmeOf(application: string): string {
  const p = application.split("/");
  return p.length === 4 && p[0] === "programmes" && p[2] === "applications" ? `programmes/${p[1]}` : "";
}

/** A row per application: the English and the Chinese name of its applicant beside its resource name. */
export function applicationsCsv(apps: readonly Application[], institution: (name: string) => InstitutionNames | undefined): string {
  return csvText(
    APPLICATION_COLUMNS,
    apps.map((a) => {
      const inst = institution(a.applicantInstitution);
      return [
        a.name,
        programmeOf(a.name),
        a.title,
        stateWord(a.state),
        a.applicantInstitution,
        inst?.displayName ?? "",
        inst?.localName ?? "",
        a.principalInvestigator?.name ?? "",
        // A facility programme's request is in its unit, named last.
        ...(a.requestedAmount || !a.requestedResource ? moneyCells(a.requestedAmount) : [resourceDecimal(a.requestedResource), ""]),
        a.durationMonths ? String(a.durationMonths) : "",
        rfc3339(a.submitTime),
        rfc3339(a.createTime),
        rfc3339(a.updateTime),
        a.requestedAmount ? "" : (a.requestedResource?.unit ?? ""),
      ];
    }),
  );
}

/** A disbursement with the application it paid. */
export interface Payment {
  application: string;
  disbursement: Disbursement;
}

/** A row per disbursement. The bank charges are in the payee's currency. */
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

/**
 * Whether an application's disbursements go in the payments file, as
 * grantctl picks them: an award (APPROVED, ACTIVE or CLOSED, with an award
 * number) that has paid anything (its disbursed amount not zero in minor
 * units).
 */
export function isPaid(a: Application): boolean {
  const awarded = (a.state === State.APPROVED || a.state === State.ACTIVE || a.state === State.CLOSED) && a.awardNumber !== "";
  return awarded && !!a.disbursedAmount && minorUnits(a.disbursedAmount) !== 0n;
}

/** What the page calls the two downloads (the buttons say "applications" and "payments"). */
export type ExportKind = "applications" | "payments";

/** The kind as grantctl names it (`grantctl export applications|disbursements`), for the file's name. */
export const GRANTCTL_KIND: Readonly<Record<ExportKind, string>> = { applications: "applications", payments: "disbursements" };

/**
 * `programme-<id>-applications.csv` or `programme-<id>-disbursements.csv`
 * for `programmes/<id>` (anything but [A-Za-z0-9._-] in the id as `_`).
 */
export function csvFileName(programme: string, kind: ExportKind): string {
  const id = programme.replace(/^programmes\//, "").replace(/[^A-Za-z0-9._-]/g, "_") || "programme";
  return `programme-${id}-${GRANTCTL_KIND[kind]}.csv`;
}
