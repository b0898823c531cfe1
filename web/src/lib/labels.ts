// English words for the contract's enums.
import { Application_State as State } from "../gen/gba/grants/v1/application_pb";
import { ApiKey_Role as Role } from "../gen/gba/grants/v1/access_pb";
import { Region } from "../gen/gba/grants/v1/common_pb";

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

const STATE_WORDS: Record<number, string> = {
  [State.UNSPECIFIED]: "—",
  [State.DRAFT]: "Draft",
  [State.SUBMITTED]: "Submitted",
  [State.UNDER_REVIEW]: "Under review",
  [State.CHANGES_REQUESTED]: "Changes requested",
  [State.APPROVED]: "Approved",
  [State.ACTIVE]: "Active",
  [State.CLOSED]: "Closed",
  [State.REJECTED]: "Rejected",
  [State.WITHDRAWN]: "Withdrawn",
};

export function stateLabel(s: State): string {
  return STATE_WORDS[s] ?? `State ${s}`;
}

/** Stable token for CSS and tests: `APPROVED`, `UNDER_REVIEW`, … */
export function stateToken(s: State): string {
  return State[s] ?? String(s);
}

const ROLE_WORDS: Record<number, string> = {
  [Role.UNSPECIFIED]: "—",
  [Role.ADMIN]: "Admin",
  [Role.OFFICER]: "Officer",
  [Role.APPLICANT]: "Applicant",
  [Role.VIEWER]: "Viewer",
  [Role.REVIEWER]: "Reviewer",
};

export function roleLabel(r: Role): string {
  return ROLE_WORDS[r] ?? `Role ${r}`;
}

export const REGION_ORDER: Region[] = [Region.HONG_KONG, Region.MACAO, Region.GUANGDONG];

const REGION_WORDS: Record<number, string> = {
  [Region.UNSPECIFIED]: "Unspecified",
  [Region.HONG_KONG]: "Hong Kong",
  [Region.MACAO]: "Macao",
  [Region.GUANGDONG]: "Guangdong",
};

export function regionLabel(r: Region): string {
  return REGION_WORDS[r] ?? `Region ${r}`;
}
