// An application's team and sign-off in words: team roles, ORCID links,
// whose endorsement a programme's requirement still awaits, the people
// behind acting keys, and the team events of the feed
// (`ApplicationEvent.team_activity`), in the current language (see
// i18n.ts). Plain data and strings, no DOM, so that it is unit-tested.
import { EndorsementRequirement as Requirement, TeamActivity_Kind as Kind, TeamMember_Role as TeamRole } from "../gen/gba/grants/v1/team_pb";
import { isMsgKey, t, tParts, type Slot } from "./i18n";

/** Stable token for CSS and tests: `PRINCIPAL_INVESTIGATOR`, `CO_INVESTIGATOR`, … */
export function teamRoleToken(r: TeamRole): string {
  return TeamRole[r] ?? String(r);
}

/** A team member's role in words: "Principal investigator", "首席研究員", … */
export function teamRoleLabel(r: TeamRole): string {
  const key = `teamRole.${TeamRole[r] ?? ""}`;
  return isMsgKey(key) ? t(key) : t("teamRole.unknown", { n: r });
}

const ORCID = /^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$/;

/** The ORCID iD's page, https://orcid.org/ID, for a well-formed iD only (else null). */
export function orcidUrl(orcid: string): string | null {
  const id = orcid.trim();
  return ORCID.test(id) ? `https://orcid.org/${id}` : null;
}

/** Stable token for CSS and tests: `NONE`, `APPLICANT`, `PARTNERS`, `APPLICANT_AND_PARTNERS`. */
export function requirementToken(r: Requirement): string {
  return r === Requirement.UNSPECIFIED ? "NONE" : (Requirement[r] ?? String(r));
}

/** Whose sign-off the programme asks for, in words: "No sign-off required", … */
export function requirementLabel(r: Requirement): string {
  const key = `signoff.req.${requirementToken(r)}`;
  return isMsgKey(key) ? t(key) : t("signoff.req.unknown", { n: r });
}

/**
 * The institutions whose sign-off `requirement` asks for, in order: the
 * applicant, then each partner (none for an unknown requirement).
 */
export function requiredInstitutions(requirement: Requirement, applicant: string, partners: readonly string[]): string[] {
  const own = requirement === Requirement.APPLICANT || requirement === Requirement.APPLICANT_AND_PARTNERS;
  const others = requirement === Requirement.PARTNERS || requirement === Requirement.APPLICANT_AND_PARTNERS;
  const out: string[] = [];
  if (own && applicant) out.push(applicant);
  if (others) for (const p of partners) if (p && !out.includes(p)) out.push(p);
  return out;
}

export interface EndorsementLike {
  institution: string;
}

/** The required institutions that have not signed the application as it stands. */
export function missingEndorsements(
  requirement: Requirement,
  applicant: string,
  partners: readonly string[],
  endorsements: readonly EndorsementLike[],
): string[] {
  const signed = new Set(endorsements.map((e) => e.institution));
  return requiredInstitutions(requirement, applicant, partners).filter((i) => !signed.has(i));
}

export interface SignOffRow<E extends EndorsementLike> {
  institution: string;
  /** Whether the programme asks for this institution's sign-off. */
  required: boolean;
  /** Its endorsement, when it signed. */
  endorsement: E | undefined;
}

/**
 * One row per institution that signed or must sign: the applicant first,
 * then the partners in order, then any other that signed. With the
 * requirement unknown (`undefined`), only those that signed.
 */
export function signOffRows<E extends EndorsementLike>(
  requirement: Requirement | undefined,
  applicant: string,
  partners: readonly string[],
  endorsements: readonly E[],
): SignOffRow<E>[] {
  const required = new Set(requirement === undefined ? [] : requiredInstitutions(requirement, applicant, partners));
  const byInstitution = new Map(endorsements.map((e) => [e.institution, e]));
  const order = [applicant, ...partners, ...endorsements.map((e) => e.institution)];
  const rows: SignOffRow<E>[] = [];
  const seen = new Set<string>();
  for (const institution of order) {
    if (!institution || seen.has(institution)) continue;
    seen.add(institution);
    const endorsement = byInstitution.get(institution);
    if (endorsement || required.has(institution)) rows.push({ institution, required: required.has(institution), endorsement });
  }
  return rows;
}

export interface PersonLike {
  displayName: string;
}

/** Who signed or acted: the person behind the key when the key names one, else the key's resource name. */
export function signerName(actor: string, person: PersonLike | undefined): { text: string; isKey: boolean } {
  const name = person?.displayName.trim() ?? "";
  return name ? { text: name, isKey: false } : { text: actor || "—", isKey: true };
}

/** An acting key's role with the person behind it: "Chan Tai Man (Applicant)"; the role alone without one. */
export function actorParts(role: string, person: PersonLike | undefined): (string | Slot)[] {
  const name = person?.displayName.trim() ?? "";
  return name ? tParts("actor.withPerson", { role }, ["person"]) : [role];
}

/** Stable token for CSS and tests: `TEAM_CHANGED`, `ENDORSED`, … */
export function teamActivityToken(k: Kind): string {
  return Kind[k] ?? String(k);
}

export interface TeamActivityLike {
  kind: Kind;
  institution: string;
  cleared: readonly string[];
}

/**
 * A team event's main words, with the institutions left as slots
 * (`institution`, or `institutions` for the clearing) for the caller to
 * draw: {institution}, " endorsed".
 */
export function teamEventParts(a: TeamActivityLike): (string | Slot)[] {
  const key = `teamEvent.${Kind[a.kind] ?? ""}`;
  return tParts(isMsgKey(key) ? key : "teamEvent.unknown", { n: a.kind }, ["institution", "institutions"]);
}

/**
 * What an event adds after its own words (a document's, a team change's)
 * when it cleared endorsements: "the change cleared the endorsements of ",
 * {institutions}. Empty when it cleared none.
 */
export function clearedParts(a: TeamActivityLike | undefined): (string | Slot)[] {
  if (!a || !a.cleared.length) return [];
  return tParts("teamEvent.cleared", {}, ["institutions"]);
}

/** The clearing a team event adds after its main words (none for ENDORSEMENTS_CLEARED, whose words say it). */
export function alsoClearedParts(a: TeamActivityLike): (string | Slot)[] {
  return a.kind === Kind.ENDORSEMENTS_CLEARED ? [] : clearedParts(a);
}

/** Institutions as one list in the language: "A, B" / "A、B". */
export function joinNames(names: readonly string[]): string {
  return names.join(t("list.names"));
}

function fillSlots(parts: (string | Slot)[], values: Record<string, string>): string {
  return parts.map((p) => (typeof p === "string" ? p : (values[p.slot] ?? ""))).join("");
}

/**
 * A team event as text, institutions named by `nameOf`: "Team changed",
 * "HKU endorsed", "HKU withdrew its endorsement", "A change cleared the
 * endorsements of HKU, SYSU"; a team change that cleared them says both,
 * after " · ".
 */
export function teamEventText(a: TeamActivityLike, nameOf: (institution: string) => string = (n) => n): string {
  const names = { institution: nameOf(a.institution), institutions: joinNames(a.cleared.map(nameOf)) };
  const main = fillSlots(teamEventParts(a), names);
  const cleared = alsoClearedParts(a);
  return cleared.length ? `${main} · ${fillSlots(cleared, names)}` : main;
}

/** What a document event that cleared endorsements adds: "the change cleared the endorsements of HKU". */
export function clearedText(a: TeamActivityLike | undefined, nameOf: (institution: string) => string = (n) => n): string {
  return fillSlots(clearedParts(a), { institutions: joinNames((a?.cleared ?? []).map(nameOf)) });
}
