// Dates for the reader's locale.
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

export function formatDateTime(ts: Timestamp | undefined): string {
  return ts ? dateTime.format(timestampDate(ts)) : "—";
}

export function formatDate(ts: Timestamp | undefined): string {
  return ts ? dateOnly.format(timestampDate(ts)) : "—";
}

export function isoString(ts: Timestamp | undefined): string {
  return ts ? timestampDate(ts).toISOString() : "";
}
