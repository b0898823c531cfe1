// The CSV downloads of a programme card: a button for its applications and
// one for its payments, each with its status beside it (listing, then how
// many rows were downloaded into which file, or why not).
import type { ExportKind } from "../lib/csv";
import type { ExportProgress } from "../lib/programme-export";
import { render as words, t, tn, type Text } from "../lib/i18n";
import { h } from "./dom";

export type ExportState =
  | { phase: "running"; progress: ExportProgress }
  | { phase: "saved"; rows: number; fileName: string }
  | { phase: "failed"; message: Text; failure: string };

export const EXPORT_KINDS: readonly ExportKind[] = ["applications", "payments"];

const busy = (s: ExportState | undefined) => s?.phase === "running";

/** The status beside a download button (`data-export-status` = the kind). */
export function renderExportStatus(kind: ExportKind, state: ExportState | undefined): HTMLElement {
  const attrs = { class: "export-status", "data-export-status": kind, "aria-live": "polite" };
  if (!state) return h("span", attrs);
  switch (state.phase) {
    case "running": {
      const p = state.progress;
      const text = p.step === "applications" ? t("export.listingApplications", { n: p.done }) : t("export.listingPayments", { done: p.done, total: p.total });
      return h("span", { ...attrs, "data-phase": "running" }, text);
    }
    case "saved":
      return h(
        "span",
        { ...attrs, class: "export-status ok", "data-phase": "saved", "data-rows": state.rows, "data-file": state.fileName },
        tn("export.saved", state.rows),
        " ",
        h("span", { class: "mono" }, state.fileName),
      );
    case "failed":
      return h("span", { ...attrs, class: "export-status bad", role: "alert", "data-phase": "failed", "data-failure": state.failure }, words(state.message));
  }
}

/**
 * The card's downloads; `state` gives each kind's download of this
 * session. `kinds`: which (a facility programme pays nothing, so its card
 * offers its applications only).
 */
export function renderExports(
  programmeLabel: string,
  state: (kind: ExportKind) => ExportState | undefined,
  kinds: readonly ExportKind[] = EXPORT_KINDS,
): HTMLElement {
  return h(
    "div",
    { class: "card-export", role: "group", "aria-label": t("export.group", { programme: programmeLabel }) },
    kinds.map((kind) => {
      const s = state(kind);
      return h(
        "div",
        { class: "export-row" },
        h(
          "button",
          { type: "button", class: "secondary export-download", "data-export": kind, disabled: busy(s) },
          t(kind === "applications" ? "export.applications" : "export.payments"),
        ),
        renderExportStatus(kind, s),
      );
    }),
  );
}
