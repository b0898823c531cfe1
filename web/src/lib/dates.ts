// Dates for the page's locale (see i18n.ts).
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { formatDate as dateText, formatDateTime as dateTimeText } from "./i18n";

export function formatDateTime(ts: Timestamp | undefined): string {
  return ts ? dateTimeText(timestampDate(ts)) : "—";
}

export function formatDate(ts: Timestamp | undefined): string {
  return ts ? dateText(timestampDate(ts)) : "—";
}

export function isoString(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toISOString() : "";
}
