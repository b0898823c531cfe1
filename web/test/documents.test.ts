import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiKey_Role as Role } from "../src/gen/gba/grants/v1/access_pb";
import { DocumentActivity_Kind as Activity, DocumentKind as Kind } from "../src/gen/gba/grants/v1/document_pb";
import {
  documentActivityToken,
  documentEventParts,
  documentEventText,
  documentKindLabel,
  documentKindToken,
  exactBytes,
  formatBytes,
  groupDocuments,
  mayDownload,
  versionLabel,
} from "../src/lib/documents";
import { tParts, useLanguage, type Lang } from "../src/lib/i18n";

function inLang<T>(lang: Lang, fn: () => T, locale?: string): T {
  useLanguage(lang, locale);
  try {
    return fn();
  } finally {
    useLanguage("en");
  }
}

test("sizes for people: bytes, then decimal units with the locale's digits", () => {
  assert.equal(formatBytes(0n), "0 bytes");
  assert.equal(formatBytes(1n), "1 byte");
  assert.equal(formatBytes(999), "999 bytes");
  assert.equal(formatBytes(1000n), "1 kB");
  assert.equal(formatBytes(20_480n), "20.5 kB");
  assert.equal(formatBytes(99_949n), "99.9 kB");
  assert.equal(formatBytes(204_800n), "205 kB");
  // From 100 of a unit on, no decimals.
  assert.equal(formatBytes(100_000n), "100 kB");
  assert.equal(formatBytes(999_499n), "999 kB");
  // What rounds to 1,000 of a unit is given in the next one.
  assert.equal(formatBytes(999_500n), "1 MB");
  assert.equal(formatBytes(1_500_000n), "1.5 MB");
  assert.equal(formatBytes(268_435_456n), "268 MB");
  assert.equal(formatBytes(12_345_678_901n), "12.3 GB");
  assert.equal(formatBytes(5_000_000_000_000n), "5 TB");
  assert.equal(formatBytes(5_000_000_000_000_000n), "5,000 TB");
  assert.equal(exactBytes(204_800n), "204,800 bytes");
});

test("sizes in Chinese: the locale's unit words and grouping", () => {
  inLang("zh-Hant", () => {
    assert.equal(formatBytes(512n), "512 位元組");
    assert.equal(formatBytes(20_480n), "20.5 kB");
    assert.equal(exactBytes(1_234_567n), "1,234,567 位元組");
  });
  inLang("zh-Hans", () => {
    assert.equal(formatBytes(512n), "512 字节");
    assert.equal(formatBytes(1_500_000n), "1.5 MB");
  });
  // A locale with another decimal separator.
  inLang("en", () => assert.equal(formatBytes(20_480n), "20,5 kB"), "de-DE");
});

test("kinds and versions in words, with stable tokens", () => {
  assert.equal(documentKindLabel(Kind.PROPOSAL), "Proposal");
  assert.equal(documentKindLabel(Kind.PARTNER_LETTER), "Partner's letter of support");
  assert.equal(documentKindLabel(99 as Kind), "Document kind 99");
  assert.equal(documentKindToken(Kind.ETHICS_APPROVAL), "ETHICS_APPROVAL");
  assert.equal(documentKindToken(99 as Kind), "99");
  assert.equal(versionLabel(2), "v2");
  inLang("zh-Hant", () => {
    assert.equal(documentKindLabel(Kind.PROPOSAL), "研究計劃書");
    assert.equal(versionLabel(2), "第 2 版");
  });
  inLang("zh-Hans", () => assert.equal(documentKindLabel(Kind.BUDGET), "预算表"));
});

test("document events in words, the file name left as a slot", () => {
  const doc = { name: "programmes/p/applications/a/documents/d", kind: Kind.PROPOSAL, version: 1, fileName: "proposal.pdf" };
  assert.equal(documentEventText({ kind: Activity.DOCUMENT_ADDED, document: doc }), "Document added: proposal.pdf (Proposal, v1)");
  assert.deepEqual(documentEventParts({ kind: Activity.DOCUMENT_REPLACED, document: { ...doc, version: 2 } }), [
    "Document replaced: ",
    { slot: "file" },
    " (Proposal, v2)",
  ]);
  assert.equal(documentEventText({ kind: Activity.DOCUMENT_DELETED, document: doc }), "Document deleted: proposal.pdf (Proposal, v1)");
  assert.equal(documentEventText({ kind: 7 as Activity, document: doc }), "Document activity 7: proposal.pdf (Proposal, v1)");
  assert.equal(documentActivityToken(Activity.DOCUMENT_ADDED), "DOCUMENT_ADDED");
  inLang("zh-Hant", () =>
    assert.equal(documentEventText({ kind: Activity.DOCUMENT_ADDED, document: doc }), "已新增文件：proposal.pdf（研究計劃書，第 1 版）"),
  );
  inLang("zh-Hans", () =>
    assert.equal(documentEventText({ kind: Activity.DOCUMENT_REPLACED, document: { ...doc, version: 2 } }), "已替换文件：proposal.pdf（研究计划书，第 2 版）"),
  );
});

test("tParts keeps the language's order of slots and fills the rest", () => {
  assert.deepEqual(tParts("docs.uploaded", { who: "Applicant" }, ["time"]), ["Uploaded ", { slot: "time" }, " by Applicant"]);
  inLang("zh-Hans", () => assert.deepEqual(tParts("docs.uploaded", { who: "申请人" }, ["time"]), [{ slot: "time" }, " 由申请人上传"]));
  // No slot asked for: the whole message as text.
  assert.deepEqual(tParts("docs.version", { version: 3 }), ["v3"]);
});

test("documents by kind: the latest version, then the earlier ones, newest first", () => {
  const d = (kind: Kind, version: number, superseded = false) => ({ name: `d-${kind}-${version}`, kind, version, fileName: `f${version}`, superseded });
  const groups = groupDocuments([d(Kind.BUDGET, 1), d(Kind.PROPOSAL, 1, true), d(Kind.PROPOSAL, 3), d(Kind.PROPOSAL, 2, true)]);
  assert.deepEqual(
    groups.map((g) => [g.kind, g.latest.version, g.older.map((o) => o.version)]),
    [
      [Kind.PROPOSAL, 3, [2, 1]],
      [Kind.BUDGET, 1, []],
    ],
  );
  assert.deepEqual(groupDocuments([]), []);
});

test("who may download: viewers never; unknown roles are offered the button", () => {
  assert.equal(mayDownload(Role.VIEWER), false);
  for (const r of [Role.ADMIN, Role.OFFICER, Role.APPLICANT, Role.REVIEWER]) assert.equal(mayDownload(r), true);
  assert.equal(mayDownload(null), null);
  assert.equal(mayDownload(Role.UNSPECIFIED), null);
});
