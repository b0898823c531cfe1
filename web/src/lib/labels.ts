// The contract's enums in words of the current language (see i18n.ts).
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import { ApiKey_Role as Role } from "../gen/gba/grants/v1/access_pb";
import { Region } from "../gen/gba/grants/v1/common_pb";
import { isMsgKey, t } from "./i18n";

export const STATE_ORDER: State[] = [
  State.DRAFT,
  State.SUBMITTED,
  State.UNDER_REVIEW,
  State.CHANGES_REQUESTED,
  State.APPROVED,
  State.ACTIVE,
  State.CLOSED,
  State.REJECTED,
  State.WITHDRAWN,
];

/** The catalogue entry `${prefix}.${ENUM_NAME}`, or `${prefix}.unknown` with the number. */
function enumWord(prefix: "state" | "role" | "region", names: Record<number, string>, v: number): string {
  const key = `${prefix}.${names[v] ?? ""}`;
  return isMsgKey(key) ? t(key) : t(`${prefix}.unknown`, { n: v });
}

export function stateLabel(s: State): string {
  return enumWord("state", State, s);
}

/** Stable token for CSS and tests: `APPROVED`, `UNDER_REVIEW`, … */
export function stateToken(s: State): string {
  return State[s] ?? String(s);
}

export function roleLabel(r: Role): string {
  return enumWord("role", Role, r);
}

export const REGION_ORDER: Region[] = [Region.HONG_KONG, Region.MACAO, Region.GUANGDONG];

export function regionLabel(r: Region): string {
  return enumWord("region", Region, r);
}

/** The language tag of an institution's local name: Traditional in Hong Kong and Macao, Simplified in Guangdong. */
export function localNameLang(r: Region | undefined): string {
  if (r === Region.HONG_KONG) return "zh-HK";
  if (r === Region.MACAO) return "zh-MO";
  if (r === Region.GUANGDONG) return "zh-CN";
  return "zh";
}
