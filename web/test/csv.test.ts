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
  plainAmount,
  programmeOf,
  rfc3339,
  stateWord,
  type Column,
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

const cols = (...names: string[]): Column[] => names.map((n) => ({ name: n, kind: n.startsWith("n") ? "number" : "text" }));

test("the file: BOM, a header, records ended by CRLF", () => {
  const text = csvText(cols("a", "b"), [["1", "x,y"], ["", 'q"']]);
  assert.equal(text, '\uFEFFa,b\r\n1,"x,y"\r\n,"q"""\r\n');
  // UTF-8 with the BOM as its first bytes.
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.deepEqual(parse(text), [["a", "b"], ["1", "x,y"], ["", 'q"']]);
  // No row: the header alone.
  assert.equal(csvText(cols("a"), []), "\uFEFFa\r\n");
  // A row of the wrong width is refused, as grantctl refuses it.
  assert.throws(() => csvText(cols("a", "b"), [["only one"]]), /a row of 1 values for 2 columns/);
});

test("text starting with = + - @ gets a single quote in front; number columns never do", () => {
  assert.equal(guardFormula("=HYPERLINK(\"http://x\",\"y\")"), "'=HYPERLINK(\"http://x\",\"y\")");
  assert.equal(guardFormula("+86 20 1234"), "'+86 20 1234");
  assert.equal(guardFormula("-1"), "'-1");
  assert.equal(guardFormula("@SUM(A1)"), "'@SUM(A1)");
  assert.equal(guardFormula("a=b"), "a=b");
  assert.equal(guardFormula(" =1"), " =1");
  assert.equal(guardFormula(""), "");
  const text = csvText(cols("t", "n"), [["=1+2", "-5.00"], ['=A1,"x"', "1.00"]]);
  assert.deepEqual(parse(text).slice(1), [["'=1+2", "-5.00"], ['\'=A1,"x"', "1.00"]]);
});

test("control and bidi characters are written as they are", () => {
  const tricky = "a\u202eb\u0007c\u0000d\u200f";
  const text = csvText(cols("t"), [[tricky], ["x\r\ny"]]);
  assert.deepEqual(parse(text), [["t"], [tricky], ["x\r\ny"]]);
});

test("amounts as grantctl writes them: exact, the currency's minor digits, no grouping, the currency in its own cell", () => {
  // The figures of grantctl's own tests (money.rs, export.rs).
  assert.deepEqual(moneyCells(m("CNY", 1_234_567n, 890_000_000)), ["1234567.89", "CNY"]);
  assert.deepEqual(moneyCells(m("CNY", 750_000n)), ["750000.00", "CNY"]);
  assert.deepEqual(moneyCells(m("HKD", 0n, 50_000_000)), ["0.05", "HKD"]);
  assert.deepEqual(moneyCells(m("CNY", -5n, -50_000_000)), ["-5.05", "CNY"]);
  assert.deepEqual(moneyCells(m("JPY", 1_200n)), ["1200", "JPY"]);
  assert.deepEqual(moneyCells(m("MOP", 0n, 10_000_000)), ["0.01", "MOP"]);
  assert.deepEqual(moneyCells(m("CNY", 0n)), ["0.00", "CNY"]);
  // Beyond 2^53: never through a float.
  assert.deepEqual(moneyCells(m("CNY", 9_007_199_254_740_993n, 10_000_000)), ["9007199254740993.01", "CNY"]);
  // Below the minor unit (the service never sends it): cut off toward zero, as grantctl does.
  assert.equal(plainAmount(m("CNY", 1n, 5_000_000)), "1.00");
  assert.equal(plainAmount(m("CNY", -1n, -5_000_000)), "-1.00");
  // Not set: both empty. Set, even empty, it is an amount (grantctl writes what the message holds).
  assert.deepEqual(moneyCells(undefined), ["", ""]);
  assert.deepEqual(moneyCells(m("", 0n)), ["0.00", ""]);
});

test("times in RFC 3339 UTC, with the fraction the timestamp has, as grantctl writes them", () => {
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z")), "2025-03-01T08:30:00Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 120_000_000)), "2025-03-01T08:30:00.120Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 123_456_000)), "2025-03-01T08:30:00.123456Z");
  assert.equal(rfc3339(ts("2025-03-01T08:30:00Z", 1)), "2025-03-01T08:30:00.000000001Z");
  assert.equal(rfc3339(ts("1969-12-31T23:59:59Z")), "1969-12-31T23:59:59Z");
  assert.equal(rfc3339(ts("0001-01-01T00:00:00Z")), "0001-01-01T00:00:00Z");
  assert.equal(rfc3339(ts("9999-12-31T23:59:59Z", 999_999_999)), "9999-12-31T23:59:59.999999999Z");
  // Out of grantctl's range: the seconds, as grantctl writes them.
  assert.equal(rfc3339({ seconds: 253_402_300_800n, nanos: 0 }), "253402300800s");
  assert.equal(rfc3339(undefined), "");
});

test("states and programmes as grantctl words them", () => {
  assert.equal(stateWord(State.UNDER_REVIEW), "UNDER_REVIEW");
  assert.equal(stateWord(State.APPROVED), "APPROVED");
  assert.equal(stateWord(State.UNSPECIFIED), "");
  assert.equal(stateWord(42 as State), "42");
  assert.equal(programmeOf("programmes/p1/applications/a1"), "programmes/p1");
  assert.equal(programmeOf("nonsense"), "");
  assert.equal(programmeOf("programmes/p1/applications/a1/disbursements/d1"), "");
});

const hku = { displayName: "The University of Hong Kong", localName: "香港大學" };
const sysu = { displayName: "Sun Yat-sen University, Guangzhou", localName: "中山大学" };

test("the columns are grantctl's, named and ordered as `grantctl export` writes them", () => {
  // services/grantctl/cmd/export.rs: APPLICATIONS and DISBURSEMENTS, each column text or number.
  assert.deepEqual(
    APPLICATION_COLUMNS.map((c) => `${c.kind}:${c.name}`),
    [
      "text:name", "text:programme", "text:title", "text:state", "text:applicant_institution", "text:institution_name_en",
      "text:institution_name_zh", "text:principal_investigator", "number:requested_amount", "text:requested_currency",
      "number:duration_months", "number:submit_time", "number:create_time", "number:update_time", "text:requested_unit",
    ],
  );
  assert.deepEqual(
    PAYMENT_COLUMNS.map((c) => `${c.kind}:${c.name}`),
    [
      "text:application", "text:name", "text:reference", "number:amount", "text:currency", "number:payee_amount",
      "text:payee_currency", "number:exchange_rate", "number:bank_charges", "text:bank_charges_currency",
      "number:pay_time", "number:create_time",
    ],
  );
});

test("applications: a row each, bilingual names, the PI's name, exact amounts, RFC 3339 times", () => {
  const apps = [
    create(ApplicationSchema, {
      name: "programmes/p1/applications/a1",
      applicantInstitution: "institutions/hku",
      title: '海洋生態 "sensing", phase 2',
      state: State.ACTIVE,
      principalInvestigator: { name: "Chan Tai Man", email: "pi@hku.example", orcid: "0000-0002-1825-0097" },
      requestedAmount: m("CNY", 1_234_567n, 890_000_000),
      durationMonths: 24,
      awardedAmount: m("CNY", 1_000_000n, 500_000_000),
      disbursedAmount: m("CNY", 150_000n, 330_000_000),
      submitTime: ts("2025-03-01T08:30:00Z"),
      createTime: ts("2025-02-28T10:00:00Z", 250_000_000),
      updateTime: ts("2025-04-01T09:00:00Z", 123_456_000),
      awardNumber: "GBA-2025-0001",
    }),
    create(ApplicationSchema, {
      name: "programmes/p1/applications/a2",
      applicantInstitution: "institutions/sysu",
      title: "=HYPERLINK(\"http://evil\")",
      state: State.SUBMITTED,
      principalInvestigator: { name: "-Lee" },
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
  assert.deepEqual(rows[0], [
    "name", "programme", "title", "state", "applicant_institution", "institution_name_en", "institution_name_zh",
    "principal_investigator", "requested_amount", "requested_currency", "duration_months", "submit_time", "create_time", "update_time",
    "requested_unit",
  ]);
  assert.deepEqual(rows[1], [
    "programmes/p1/applications/a1", "programmes/p1", '海洋生態 "sensing", phase 2', "ACTIVE", "institutions/hku",
    "The University of Hong Kong", "香港大學", "Chan Tai Man", "1234567.89", "CNY", "24",
    "2025-03-01T08:30:00Z", "2025-02-28T10:00:00.250Z", "2025-04-01T09:00:00.123456Z", "",
  ]);
  assert.deepEqual(rows[2], [
    "programmes/p1/applications/a2", "programmes/p1", "'=HYPERLINK(\"http://evil\")", "SUBMITTED", "institutions/sysu",
    "Sun Yat-sen University, Guangzhou", "中山大学", "'-Lee", "0.01", "MOP", "", "2025-03-02T00:00:00.005Z", "", "", "",
  ]);
  // An institution the page could not name, no PI, no amount, no times: empty cells.
  assert.deepEqual(rows[3], ["programmes/p1/applications/a3", "programmes/p1", "Draft", "DRAFT", "institutions/gone", "", "", "", "", "", "", "", "", "", ""]);
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
        bankCharges: m("MOP", 0n),
        exchangeRate: "1",
      }),
    },
  ]);
  const rows = parse(text);
  assert.deepEqual(rows[0], [
    "application", "name", "reference", "amount", "currency", "payee_amount", "payee_currency", "exchange_rate",
    "bank_charges", "bank_charges_currency", "pay_time", "create_time",
  ]);
  assert.deepEqual(rows[1], [
    "programmes/p1/applications/a1", "programmes/p1/applications/a1/disbursements/d1", "'-PAY-1",
    "1234567.89", "CNY", "1338514.91", "HKD", "1.0842", "25.00", "HKD", "2025-04-01T09:00:00Z", "2025-04-01T09:00:01.250Z",
  ]);
  assert.deepEqual(rows[2], [
    "programmes/p1/applications/a2", "programmes/p1/applications/a2/disbursements/d2", "轉賬 0001",
    "0.01", "MOP", "0.01", "MOP", "1", "0.00", "MOP", "", "",
  ]);
});

test("paid, as grantctl picks the awards for its disbursements: awarded, with an award number, having paid anything", () => {
  const app = (state: State, paid: bigint, awardNumber = "GBA-1") => create(ApplicationSchema, { state, awardNumber, disbursedAmount: m("CNY", paid) });
  assert.ok(isPaid(app(State.ACTIVE, 1n)));
  assert.ok(isPaid(app(State.CLOSED, 1n)));
  assert.ok(isPaid(app(State.APPROVED, 1n)));
  assert.ok(isPaid(app(State.ACTIVE, -1n)), "a negative total is not nothing");
  assert.ok(!isPaid(app(State.ACTIVE, 1n, "")), "no award number, no award");
  assert.ok(!isPaid(app(State.APPROVED, 0n)));
  assert.ok(!isPaid(app(State.CLOSED, 0n)));
  assert.ok(!isPaid(app(State.SUBMITTED, 1n)));
  assert.ok(!isPaid(app(State.REJECTED, 1n)));
  assert.ok(!isPaid(create(ApplicationSchema, { state: State.ACTIVE, awardNumber: "GBA-1" })));
});

test("file names after the programme's id and grantctl's kind", () => {
  assert.equal(csvFileName("programmes/01HX3Y", "applications"), "programme-01HX3Y-applications.csv");
  assert.equal(csvFileName("programmes/gba-joint", "payments"), "programme-gba-joint-disbursements.csv");
  assert.equal(csvFileName("programmes/a/b c", "payments"), "programme-a_b_c-disbursements.csv");
});

test("applications: a facility request is in its unit, named in requested_unit, as grantctl writes it", () => {
  const app = create(ApplicationSchema, {
    name: "programmes/csns/applications/b1",
    applicantInstitution: "institutions/hku",
    title: "Garnet electrolytes",
    state: State.SUBMITTED,
    requestedResource: { unit: "beam-h", steps: 193n, value: "96.5" },
    durationMonths: 6,
  });
  const [header = [], row = []] = parse(applicationsCsv([app], () => undefined));
  const cell = (name: string) => row[header.indexOf(name)];
  assert.equal(cell("requested_amount"), "96.5");
  assert.equal(cell("requested_currency"), "");
  assert.equal(cell("requested_unit"), "beam-h");
  assert.equal(row.length, APPLICATION_COLUMNS.length);
});
