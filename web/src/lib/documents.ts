// An application's documents in words: sizes, kinds, versions and the
// document events of the feed (`ApplicationEvent.document_activity`), in
// the current language (see i18n.ts). Plain data and strings, no DOM, so
// that it is unit-tested.
import { ApiKey_Role as Role } from "../gen/gba/grants/v1/access_pb";
import { DocumentActivity_Kind as ActivityKind, DocumentKind } from "../gen/gba/grants/v1/document_pb";
import { formatUnit, isMsgKey, t, tn, tParts, type Slot } from "./i18n";

const UNITS = [
  ["kilobyte", 1e3],
  ["megabyte", 1e6],
  ["gigabyte", 1e9],
  ["terabyte", 1e12],
] as const;

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * A size for people, in the current locale: "512 bytes", "20.5 kB",
 * "205 kB", "1.5 MB". Decimal units (1 kB = 1,000 bytes, as Intl and
 * CLDR name them); one decimal below 100 of a unit, none from 100 on; a
 * size that rounds to 1,000 of a unit is given in the next one.
 */
export function formatBytes(bytes: bigint | number): string {
  const n = Number(bytes);
  if (!(n >= 1000)) return tn("count.bytes", bytes);
  let i = 0;
  while (i < UNITS.length - 1 && n >= UNITS[i + 1]![1]) i++;
  let value = n / UNITS[i]![1];
  let digits = value >= 100 ? 0 : 1;
  if (round(value, digits) >= 1000 && i < UNITS.length - 1) {
    i++;
    value = n / UNITS[i]![1];
    digits = 1;
  }
  return formatUnit(value, UNITS[i]![0], digits);
}

/** The exact size: "204,800 bytes". */
export function exactBytes(bytes: bigint | number): string {
  return tn("count.bytes", bytes);
}

/** Stable token for CSS and tests: `PROPOSAL`, `BUDGET`, … */
export function documentKindToken(k: DocumentKind): string {
  return DocumentKind[k] ?? String(k);
}

/** A document's kind in words: "Proposal", "研究計劃書", … */
export function documentKindLabel(k: DocumentKind): string {
  const key = `docs.kind.${DocumentKind[k] ?? ""}`;
  return isMsgKey(key) ? t(key) : t("docs.kind.unknown", { n: k });
}

/** "v2" / "第 2 版". */
export function versionLabel(version: number): string {
  return t("docs.version", { version });
}

/** Stable token for CSS and tests: `DOCUMENT_ADDED`, `DOCUMENT_REPLACED`, `DOCUMENT_DELETED`. */
export function documentActivityToken(k: ActivityKind): string {
  return ActivityKind[k] ?? String(k);
}

export interface DocumentLike {
  name: string;
  kind: DocumentKind;
  version: number;
  fileName: string;
}

export interface DocumentActivityLike {
  kind: ActivityKind;
  document?: DocumentLike | undefined;
}

/**
 * A document event in words, with the file name left as a slot (`file`)
 * for the caller to draw: "Document added: ", {file}, " (Proposal, v1)".
 */
export function documentEventParts(a: DocumentActivityLike): (string | Slot)[] {
  const key = `docEvent.${ActivityKind[a.kind] ?? ""}`;
  const d = a.document;
  const params = { kind: documentKindLabel(d?.kind ?? DocumentKind.UNSPECIFIED), version: d?.version ?? 0, n: a.kind };
  return tParts(isMsgKey(key) ? key : "docEvent.unknown", params, ["file"]);
}

/** The same as text: "Document added: proposal.pdf (Proposal, v1)". */
export function documentEventText(a: DocumentActivityLike): string {
  const file = a.document?.fileName ?? "";
  return documentEventParts(a)
    .map((p) => (typeof p === "string" ? p : file))
    .join("");
}

export interface DocumentGroup<D> {
  kind: DocumentKind;
  /** The highest version of the kind. */
  latest: D;
  /** The other versions, newest first. */
  older: D[];
}

/**
 * Documents by kind (in the contract's order of kinds): the latest version
 * of each, and the earlier ones, newest first.
 */
export function groupDocuments<D extends DocumentLike>(docs: readonly D[]): DocumentGroup<D>[] {
  const byKind = new Map<DocumentKind, D[]>();
  for (const d of docs) {
    const list = byKind.get(d.kind);
    if (list) list.push(d);
    else byKind.set(d.kind, [d]);
  }
  return [...byKind.entries()]
    .sort(([a], [b]) => a - b)
    .map(([kind, list]) => {
      const sorted = [...list].sort((a, b) => b.version - a.version || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { kind, latest: sorted[0]!, older: sorted.slice(1) };
    });
}

/**
 * Whether a key of `role` may download documents: viewers read the
 * metadata only (the server answers PERMISSION_DENIED `ROLE_NOT_ALLOWED`);
 * the others may, for the applications they can see (a reviewer only when
 * assigned and not conflicted: the server says so if not). Null while the
 * role is not known: the page offers the download and reports a refusal.
 */
export function mayDownload(role: Role | null | undefined): boolean | null {
  if (role === null || role === undefined || role === Role.UNSPECIFIED) return null;
  return role !== Role.VIEWER;
}
