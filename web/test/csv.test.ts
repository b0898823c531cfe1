import { test } from "node:test";
import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ApplicationSchema, Application_State as State } from "../src/gen/gba/grants/v1/application_pb";
import { DisbursementSchema } from "../src/gen/gba/grants/v1/award_pb";
import {
  APPLICATION_COLUMNS,
  applicationsCsv,
  BOM,
  csvField,
  csvFileName,
  csvText,
  guardFormula,
  isPaid,
  moneyCells,
  PAYMENT_COLUMNS,
  paymentsCsv,
  rfc3339,
} from "../src/lib/csv";

const m = (currencyCode: string, units: bigint, nanos = 0) => ({ currencyCode, units, nanos });
const ts = (iso: string, nanos = 0) => ({ seconds: BigInt(Date.parse(iso) / 1000), nanos });

/** RFC 4180, read back independently of the writer: records of fields; the BOM must be first and every record end in CRLF. */
function parse(text: string): string[][] {
  assert.ok(text.startsWith(BOM), "no BOM");
  const s = text.slice(1);
  const records: string[][] = [];
  let record: string[] = [];
  let i = 0;
  for (;;) {
    let field = "";
    if (s[i] === '"') {
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        assert.ok(q >= 0, "unterminated quote");
        field += s.slice(i, q);
        i = q + 1;
        if (s[i] === '"') {
          field += '"';
          i++;
        } else break;
      }
    } else {
      while (i < s.length && s[i] !== "," && s[i] !== "\r" && s[i] !== "\n") {
        assert.notEqual(s[i], '"', `a bare quote at ${i}`);
        field += s[i++];
      }
    }
    record.push(field);
    if (s[i] === ",") {
      i++;
      continue;
    }
    assert.equal(s.slice(i, i + 2), "\r\n", `record ${records.length + 1} does not end in CRLF`);
    i += 2;
    records.push(record);
    record = [];
    if (i === s.length) return records;
  }
}

test("fields are quoted when they hold a comma, a quote, CR or LF; quotes doubled", () => {
  assert.equal(csvField("plain text"), "plain text");
  assert.equal(csvField(""), "");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("line\nbreak"), '"line\nbreak"');
  assert.equal(csvField("carriage\rreturn"), '"carriage\rreturn"');
  assert.equal(csvField(" spaces kept "), " spaces kept ");
  assert.equal(csvField("tab\there"), "tab\there");
});

test("the file: BOM, a header, records ended by CRLF", () => {
  const text = csvText(["a", "b"], [["1", "x,y"], ["", 'q"']]);
  assert.equal(text, '\uFEFFa,b\r\n1,"x,y"\r\n,"q"""\r\n');
  // UTF-8 with the BOM as its first bytes.
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual(parse(text), [["a", "b"], ["1", "x,y"], ["", 'q"']]);
  // No row: the header alone.
  assert.equal(csvText(["a"], []), "\uFEFFa\r\n");
});

test("text starting with = + - @ gets a single quote in front; figures never do", () => {
  assert.equal(guardFormula("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
  assert.equal(guardFormula("+86 20 1234"), "'+86 20 1234");
  assert.equal(guardFormula("-1"), "'-1");
  assert.equal(guardFormula("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(guardFormula("a=b"), "a=b");
  assert.equal(guardFormula(" =1"), " =1");
  assert.equal(guardFormula(""), "");
  const text = csvText(["t", "n"], [["=1+2", { figure: "-5.00" }], ['=A1,"x"', { figure: "1.00" }]]);
  assert.deepEqual(parse(text).slice(1), [["'=1+2", "-5.00"], ['\'=A1,"x"', "1.00"]]);
});

test("control and bidi characters are written as they are", () => {
  const tricky = "a\u202eb\u0007c\u0000d\u200f";
  const text = csvText(["t"], [[tricky], ["x\r\ny"]]);
  assert.deepEqual(parse(text), [["t"], [tricky], ["x\r\ny"]]);
});

test("amounts are exact decimals without grouping, the currency in its own cell", () => {
  assert.deepEqual(moneyCells(m("CNY", 1_234_567n, 890_000_000)), [{ figure: "1234567.89" }, "CNY"]);
  assert.deepEqual(moneyCells(m("MOP", 0n, 10_000_000)), [{ figure: "0.01" }, "MOP"]);
  assert.deepEqual(moneyCells(m("HKD", 1000n)), [{ figure: "1000.00" }, "HKD"]);
  assert.deepEqual(moneyCells(m("CNY", 0n)), [{ figure: "0.00" }, "CNY"]);
  // Beyond 2^53, and digits beyond the minor unit: never rounded.
  assert.deepEqual(moneyCells(m("CNY", 9_007_199_254_740_993n, 10_000_000)), [{ figure: "9007199254740993.01" }, "CNY"]);
  assert.deepEqual(moneyCells(m("CNY", 1n, 5_000_000)), [{ figure: "1.005" }, "CNY"]);
  assert.deepEqual(moneyCells(undefined), ["", ""]);
  assert.deepEqual(moneyCells(m("", 0n)), ["", ""]);
});

test("times in RFC 3339 UTC, with the fraction the timestamp has", () => {
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z")), "2025-03-01T08:30:00Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 120_000_000)), "2025-03-01T08:30:00.120Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 123_456_000)), "2025-03-01T08:30:00.123456Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 1)), "2025-03-01T08:30:00.000000001Z");
  assert.equal(rfc3339(undefined), "");
});

const hku = { displayName: "The University of Hong Kong", localName: "香港大學" };
const sysu = { displayName: "Sun Yat-sen University, Guangzhou", localName: "中山大学" };

test("applications: a row each, bilingual names, exact amounts, RFC 3339 times", () => {
  const apps = [
    create(ApplicationSchema, {
      name: "programmes/p1/applications/a1",
      applicantInstitution: "institutions/hku",
      title: '海洋生態 "sensing", phase 2',
      state: State.ACTIVE,
      requestedAmount: m("CNY", 1_234_567n, 890_000_000),
      awardedAmount: m("CNY", 1_000_000n, 500_000_000),
      disbursedAmount: m("CNY", 150_000n, 330_000_000),
      submitTime: ts("2025-03-01T08:30:00Z"),
      awardNumber: "GBA-2025-0001",
    }),
    create(ApplicationSchema, {
      name: "programmes/p1/applications/a2",
      applicantInstitution: "institutions/sysu",
      title: "=HYPERLINK(\"http://evil\")",
      state: State.SUBMITTED,
      requestedAmount: m("MOP", 0n, 10_000_000),
      submitTime: ts("2025-03-02T00:00:00Z", 5_000_000),
    }),
    create(ApplicationSchema, { name: "programmes/p1/applications/a3", applicantInstitution: "institutions/gone", title: "Draft", state: State.DRAFT }),
  ];
  const names = new Map([
    ["institutions/hku", hku],
    ["institutions/sysu", sysu],
  ]);
  const rows = parse(applicationsCsv(apps, (n) => names.get(n)));
  assert.deepEqual(rows[0], [...APPLICATION_COLUMNS]);
  assert.deepEqual(rows[0], [
    "application", "title", "state", "applicant_institution", "institution_display_name", "institution_local_name",
    "requested_amount", "requested_currency", "awarded_amount", "awarded_currency", "disbursed_amount", "disbursed_currency",
    "submit_time", "award_number",
  ]);
  assert.deepEqual(rows[1], [
    "programmes/p1/applications/a1", '海洋生態 "sensing", phase 2', "ACTIVE", "institutions/hku", "The University of Hong Kong", "香港大學",
    "1234567.89", "CNY", "1000000.50", "CNY", "150000.33", "CNY", "2025-03-01T08:30:00Z", "GBA-2025-0001",
  ]);
  assert.deepEqual(rows[2], [
    "programmes/p1/applications/a2", "'=HYPERLINK(\"http://evil\")", "SUBMITTED", "institutions/sysu", "Sun Yat-sen University, Guangzhou", "中山大学",
    "0.01", "MOP", "", "", "", "", "2025-03-02T00:00:00.005Z", "",
  ]);
  // An institution the page could not name: its names are empty.
  assert.deepEqual(rows[3]!.slice(0, 8), ["programmes/p1/applications/a3", "Draft", "DRAFT", "institutions/gone", "", "", "", ""]);
  assert.equal(rows.length, 4);
  assert.ok(rows.every((r) => r.length === APPLICATION_COLUMNS.length));
});

test("payments: a row each, the payee's amount and charges in the payee's currency", () => {
  const text = paymentsCsv([
    {
      application: "programmes/p1/applications/a1",
      disbursement: create(DisbursementSchema, {
        name: "programmes/p1/applications/a1/disbursements/d1",
        reference: "-PAY-1",
        amount: m("CNY", 1_234_567n, 890_000_000),
        payeeAmount: m("HKD", 1_338_514n, 910_000_000),
        exchangeRate: "1.0842",
        bankCharges: m("HKD", 25n),
        payTime: ts("2025-04-01T09:00:00Z"),
        createTime: ts("2025-04-01T09:00:01Z", 250_000_000),
      }),
    },
    {
      application: "programmes/p1/applications/a2",
      disbursement: create(DisbursementSchema, {
        name: "programmes/p1/applications/a2/disbursements/d2",
        reference: "轉賬 0001",
        amount: m("MOP", 0n, 10_000_000),
        payeeAmount: m("MOP", 0n, 10_000_000),
        exchangeRate: "1",
      }),
    },
  ]);
  const rows = parse(text);
  assert.deepEqual(rows[0], [...PAYMENT_COLUMNS]);
  assert.deepEqual(rows[1], [
    "programmes/p1/applications/a1", "programmes/p1/applications/a1/disbursements/d1", "'-PAY-1",
    "1234567.89", "CNY", "1338514.91", "HKD", "1.0842", "25.00", "HKD", "2025-04-01T09:00:00Z", "2025-04-01T09:00:01.250Z",
  ]);
  assert.deepEqual(rows[2], [
    "programmes/p1/applications/a2", "programmes/p1/applications/a2/disbursements/d2", "轉賬 0001",
    "0.01", "MOP", "0.01", "MOP", "1", "", "", "", "",
  ]);
});

test("paid: awarded with an amount disbursed", () => {
  const app = (state: State, paid: bigint) => create(ApplicationSchema, { state, disbursedAmount: m("CNY", paid) });
  assert.ok(isPaid(app(State.ACTIVE, 1n)));
  assert.ok(isPaid(app(State.CLOSED, 1n)));
  assert.ok(isPaid(app(State.APPROVED, 1n)));
  assert.ok(!isPaid(app(State.APPROVED, 0n)));
  assert.ok(!isPaid(app(State.CLOSED, 0n)));
  assert.ok(!isPaid(app(State.SUBMITTED, 1n)));
  assert.ok(!isPaid(create(ApplicationSchema, { state: State.ACTIVE })));
});

test("file names after the programme's id", () => {
  assert.equal(csvFileName("programmes/01HX3Y", "applications"), "programme-01HX3Y-applications.csv");
  assert.equal(csvFileName("programmes/gba-joint", "payments"), "programme-gba-joint-payments.csv");
  assert.equal(csvFileName("programmes/a/b c", "payments"), "programme-a_b_c-payments.csv");
});
