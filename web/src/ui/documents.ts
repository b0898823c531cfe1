// The documents of an application in its history panel: the latest version
// of each kind, the earlier ones behind a disclosure, each with its kind,
// version, size, file name and upload, and a download button for keys that
// may download (viewers read the metadata only), with the download's
// progress and outcome.
import type { ApiKey_Role as Role } from "../gen/gba/grants/v1/access_pb";
import type { Document, DocumentKind } from "../gen/gba/grants/v1/document_pb";
import { formatDateTime, isoString } from "../lib/dates";
import {
  documentKindLabel,
  documentKindToken,
  exactBytes,
  formatBytes,
  groupDocuments,
  versionLabel,
} from "../lib/documents";
import { formatPercent, render as words, t, tn, tParts, type Text } from "../lib/i18n";
import { roleLabel } from "../lib/labels";
import { h } from "./dom";

export type DownloadState =
  | { phase: "running"; received: bigint; total: bigint }
  | { phase: "verifying" }
  | { phase: "saved" }
  | { phase: "failed"; message: Text; failure: string };

export interface DocumentsView {
  docs: readonly Document[];
  /** Loading or failed; null once listed. */
  status: Text | null;
  /** false: no download buttons (a viewer key); null: not known, offered. */
  canDownload: boolean | null;
  /** The role of the key that uploaded a document, and the person behind it, from its event, when known. */
  uploader(name: string): { role: Role; person?: { displayName: string } | undefined } | undefined;
  downloads: ReadonlyMap<string, DownloadState>;
  /** Kinds whose earlier versions are shown. */
  expanded: ReadonlySet<DocumentKind>;
  onToggle(kind: DocumentKind, open: boolean): void;
}

const busy = (s: DownloadState | undefined) => s?.phase === "running" || s?.phase === "verifying";

/** The status beside a document's download button. */
export function renderDownloadStatus(name: string, state: DownloadState | undefined): HTMLElement {
  const attrs = { class: "doc-status", "data-status-for": name, "aria-live": "polite" };
  if (!state) return h("span", attrs);
  switch (state.phase) {
    case "running": {
      const fraction = state.total > 0n ? Number((state.received * 10_000n) / state.total) / 10_000 : 0;
      const text = t("docs.progress", { percent: formatPercent(fraction), received: formatBytes(state.received), total: formatBytes(state.total) });
      return h(
        "span",
        { ...attrs, "data-phase": "running", "data-received": String(state.received), "data-total": String(state.total) },
        h("progress", { max: 1, value: fraction, "aria-label": text }),
        " ",
        h("span", { class: "doc-progress" }, text),
      );
    }
    case "verifying":
      return h("span", { ...attrs, "data-phase": "verifying" }, t("docs.verifying"));
    case "saved":
      return h("span", { ...attrs, class: "doc-status ok", "data-phase": "saved" }, t("docs.saved"));
    case "failed":
      return h("span", { ...attrs, class: "doc-status bad", role: "alert", "data-phase": "failed", "data-failure": state.failure }, words(state.message));
  }
}

function documentItem(d: Document, view: DocumentsView, older: boolean): HTMLLIElement {
  const state = view.downloads.get(d.name);
  const by = view.uploader(d.name);
  const person = by?.person?.displayName.trim();
  const who = by ? (person ? t("actor.withPerson", { person, role: roleLabel(by.role) }) : roleLabel(by.role)) : d.uploader || "—";
  const time = h("time", { datetime: isoString(d.createTime), "data-field": "uploaded-time" }, formatDateTime(d.createTime));
  const uploaded = tParts("docs.uploaded", { who }, ["time"]).map((p) => (typeof p === "string" ? p : time));
  const offer = view.canDownload !== false;
  return h(
    "li",
    {
      class: older ? "doc doc-earlier" : "doc",
      "data-document": d.name,
      "data-kind": documentKindToken(d.kind),
      "data-version": d.version,
      "data-size": String(d.sizeBytes),
      "data-sha256": d.sha256,
      "data-superseded": String(d.superseded),
    },
    h(
      "div",
      { class: "doc-head" },
      h("span", { class: "doc-kind", "data-field": "kind" }, documentKindLabel(d.kind)),
      h("span", { class: "doc-version", "data-field": "version" }, versionLabel(d.version)),
      d.superseded && h("span", { class: "doc-superseded", "data-field": "superseded" }, t("docs.superseded")),
      h("span", { class: "doc-size", "data-field": "size", title: exactBytes(d.sizeBytes) }, formatBytes(d.sizeBytes)),
    ),
    h("span", { class: "doc-file", "data-field": "file-name", title: t("docs.sha256", { hash: d.sha256 }) }, d.fileName),
    h("p", { class: "doc-uploaded small muted", "data-field": "uploaded", title: d.uploader }, uploaded),
    (offer || state) &&
      h(
        "div",
        { class: "doc-actions" },
        offer &&
          h(
            "button",
            {
              type: "button",
              class: "secondary doc-download",
              "data-download": d.name,
              "aria-label": t("docs.downloadLabel", { file: d.fileName, version: d.version }),
              disabled: busy(state),
            },
            t("docs.download"),
          ),
        renderDownloadStatus(d.name, state),
      ),
  );
}

/** The documents section of the history panel (`#history-documents`). */
export function renderDocuments(view: DocumentsView): HTMLElement {
  const groups = groupDocuments(view.docs);
  const items = groups.map((g) => {
    const li = documentItem(g.latest, view, false);
    if (g.older.length) {
      const token = documentKindToken(g.kind);
      li.append(
        h(
          "details",
          {
            class: "doc-older",
            "data-older-of": token,
            open: view.expanded.has(g.kind),
            ontoggle: (ev: Event) => view.onToggle(g.kind, (ev.currentTarget as HTMLDetailsElement).open),
          },
          h("summary", null, tn("docs.older", g.older.length)),
          h("ul", { class: "docs docs-earlier" }, g.older.map((d) => documentItem(d, view, true))),
        ),
      );
    }
    return li;
  });
  return h(
    "section",
    {
      class: "documents",
      id: "history-documents",
      "data-documents": view.docs.length,
      "data-can-download": view.canDownload === null ? "unknown" : String(view.canDownload),
    },
    h("h3", { class: "facts-h" }, t("docs.heading")),
    view.canDownload === false && view.docs.length > 0 && h("p", { class: "small muted", id: "docs-viewer-note" }, t("docs.viewerNote")),
    view.status && h("p", { class: "muted", id: "docs-status" }, words(view.status)),
    items.length ? h("ul", { class: "docs" }, items) : !view.status && h("p", { class: "muted" }, t("docs.none")),
  );
}

/** Saves `blob` as `fileName` (an <a download> with an object URL). */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: fileName, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // Long enough for the browser to have taken the file.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
