import { test } from "node:test";
import assert from "node:assert/strict";
import { EndorsementRequirement as Req, TeamActivity_Kind as Kind, TeamMember_Role as TeamRole } from "../src/gen/gba/grants/v1/team_pb";
import { useLanguage, type Lang } from "../src/lib/i18n";
import {
  actorParts,
  alsoClearedParts,
  clearedParts,
  clearedText,
  missingEndorsements,
  orcidUrl,
  requiredInstitutions,
  requirementLabel,
  requirementToken,
  signerName,
  signOffRows,
  teamActivityToken,
  teamEventParts,
  teamEventText,
  teamRoleLabel,
  teamRoleToken,
} from "../src/lib/team";

function inLang<T>(lang: Lang, fn: () => T): T {
  useLanguage(lang);
  try {
    return fn();
  } finally {
    useLanguage("en");
  }
}

const HKU = "institutions/hku";
const UM = "institutions/um";
const SYSU = "institutions/sysu";
const signed = (...institutions: string[]) => institutions.map((institution) => ({ institution }));
const short: Record<string, string> = { [HKU]: "HKU", [UM]: "UM", [SYSU]: "SYSU" };
const nameOf = (n: string) => short[n] ?? n;

test("whose sign-off each requirement asks for", () => {
  assert.deepEqual(requiredInstitutions(Req.UNSPECIFIED, HKU, [UM, SYSU]), []);
  assert.deepEqual(requiredInstitutions(Req.APPLICANT, HKU, [UM, SYSU]), [HKU]);
  assert.deepEqual(requiredInstitutions(Req.PARTNERS, HKU, [UM, SYSU]), [UM, SYSU]);
  assert.deepEqual(requiredInstitutions(Req.APPLICANT_AND_PARTNERS, HKU, [UM, SYSU]), [HKU, UM, SYSU]);
  // No partner: the partners' requirement asks for nobody.
  assert.deepEqual(requiredInstitutions(Req.PARTNERS, HKU, []), []);
  assert.deepEqual(requiredInstitutions(Req.APPLICANT_AND_PARTNERS, HKU, []), [HKU]);
  // An unknown requirement asks for nobody the page can name.
  assert.deepEqual(requiredInstitutions(9 as Req, HKU, [UM]), []);
});

test("which signatures are missing, for each requirement", () => {
  const partners = [UM, SYSU];
  assert.deepEqual(missingEndorsements(Req.UNSPECIFIED, HKU, partners, []), []);
  assert.deepEqual(missingEndorsements(Req.APPLICANT, HKU, partners, []), [HKU]);
  assert.deepEqual(missingEndorsements(Req.APPLICANT, HKU, partners, signed(UM)), [HKU]);
  assert.deepEqual(missingEndorsements(Req.APPLICANT, HKU, partners, signed(HKU)), []);
  assert.deepEqual(missingEndorsements(Req.PARTNERS, HKU, partners, signed(HKU)), [UM, SYSU]);
  assert.deepEqual(missingEndorsements(Req.PARTNERS, HKU, partners, signed(SYSU)), [UM]);
  assert.deepEqual(missingEndorsements(Req.PARTNERS, HKU, partners, signed(UM, SYSU)), []);
  assert.deepEqual(missingEndorsements(Req.APPLICANT_AND_PARTNERS, HKU, partners, []), [HKU, UM, SYSU]);
  assert.deepEqual(missingEndorsements(Req.APPLICANT_AND_PARTNERS, HKU, partners, signed(UM)), [HKU, SYSU]);
  assert.deepEqual(missingEndorsements(Req.APPLICANT_AND_PARTNERS, HKU, partners, signed(SYSU, HKU, UM)), []);
});

test("sign-off rows: required ones and those that signed, applicant first", () => {
  const rows = (req: Req | undefined, endorsements: { institution: string }[]) =>
    signOffRows(req, HKU, [UM, SYSU], endorsements).map((r) => [nameOf(r.institution), r.required, !!r.endorsement]);
  assert.deepEqual(rows(Req.APPLICANT_AND_PARTNERS, signed(SYSU)), [
    ["HKU", true, false],
    ["UM", true, false],
    ["SYSU", true, true],
  ]);
  // A partner that signed although only the applicant must: shown, not required.
  assert.deepEqual(rows(Req.APPLICANT, signed(UM, HKU)), [
    ["HKU", true, true],
    ["UM", false, true],
  ]);
  assert.deepEqual(rows(Req.UNSPECIFIED, []), []);
  // The programme not known: only those that signed.
  assert.deepEqual(rows(undefined, signed(UM)), [["UM", false, true]]);
});

test("requirements in words, with stable tokens", () => {
  assert.equal(requirementToken(Req.UNSPECIFIED), "NONE");
  assert.equal(requirementToken(Req.APPLICANT_AND_PARTNERS), "APPLICANT_AND_PARTNERS");
  assert.equal(requirementLabel(Req.UNSPECIFIED), "The programme requires no sign-off.");
  assert.equal(requirementLabel(Req.PARTNERS), "The programme requires every partner institution's sign-off.");
  assert.equal(requirementLabel(7 as Req), "Sign-off requirement 7");
  inLang("zh-Hant", () => assert.equal(requirementLabel(Req.APPLICANT), "本計劃須由申請機構簽署。"));
  inLang("zh-Hans", () => assert.equal(requirementLabel(Req.APPLICANT_AND_PARTNERS), "本计划须由申请机构及每个合作机构签署。"));
});

test("team roles in three languages, with stable tokens", () => {
  const roles = [TeamRole.PRINCIPAL_INVESTIGATOR, TeamRole.CO_PRINCIPAL_INVESTIGATOR, TeamRole.CO_INVESTIGATOR, TeamRole.COLLABORATOR];
  assert.deepEqual(roles.map(teamRoleLabel), ["Principal investigator", "Co-principal investigator", "Co-investigator", "Collaborator"]);
  assert.deepEqual(inLang("zh-Hant", () => roles.map(teamRoleLabel)), ["首席研究員", "聯合首席研究員", "合作研究員", "協作者"]);
  assert.deepEqual(inLang("zh-Hans", () => roles.map(teamRoleLabel)), ["项目负责人", "共同项目负责人", "合作研究员", "协作者"]);
  assert.equal(teamRoleLabel(TeamRole.UNSPECIFIED), "Team member");
  assert.equal(teamRoleLabel(42 as TeamRole), "Team role 42");
  assert.equal(inLang("zh-Hans", () => teamRoleLabel(42 as TeamRole)), "团队角色 42");
  assert.equal(teamRoleToken(TeamRole.CO_INVESTIGATOR), "CO_INVESTIGATOR");
  assert.equal(teamRoleToken(42 as TeamRole), "42");
});

test("ORCID iDs link to orcid.org, well-formed ones only", () => {
  assert.equal(orcidUrl("0000-0002-1825-0097"), "https://orcid.org/0000-0002-1825-0097");
  assert.equal(orcidUrl(" 0000-0002-1694-233X "), "https://orcid.org/0000-0002-1694-233X");
  assert.equal(orcidUrl(""), null);
  assert.equal(orcidUrl("javascript:alert(1)"), null);
  assert.equal(orcidUrl("0000-0002-1825-0097/../x"), null);
  assert.equal(orcidUrl("https://orcid.org/0000-0002-1825-0097"), null);
});

test("who signed or acted: the person, else the key", () => {
  assert.deepEqual(signerName("apiKeys/k1", { displayName: "Dr Lee Ka-yan" }), { text: "Dr Lee Ka-yan", isKey: false });
  assert.deepEqual(signerName("apiKeys/k1", { displayName: "  " }), { text: "apiKeys/k1", isKey: true });
  assert.deepEqual(signerName("apiKeys/k1", undefined), { text: "apiKeys/k1", isKey: true });
  assert.deepEqual(actorParts("Applicant", { displayName: "Dr Lee" }), [{ slot: "person" }, " (Applicant)"]);
  assert.deepEqual(actorParts("Applicant", undefined), ["Applicant"]);
  assert.deepEqual(inLang("zh-Hant", () => actorParts("申請人", { displayName: "李家欣" })), [{ slot: "person" }, "（申請人）"]);
});

test("team events in words, for each kind", () => {
  const ev = (kind: Kind, institution = "", cleared: string[] = []) => ({ kind, institution, cleared });
  assert.equal(teamEventText(ev(Kind.TEAM_CHANGED), nameOf), "Team changed");
  assert.equal(teamEventText(ev(Kind.ENDORSED, HKU), nameOf), "HKU endorsed");
  assert.equal(teamEventText(ev(Kind.ENDORSEMENT_WITHDRAWN, UM), nameOf), "UM withdrew its endorsement");
  assert.equal(teamEventText(ev(Kind.ENDORSEMENTS_CLEARED, "", [HKU, SYSU]), nameOf), "A change cleared the endorsements of HKU, SYSU");
  // A team change that cleared endorsements says both.
  assert.equal(teamEventText(ev(Kind.TEAM_CHANGED, "", [HKU]), nameOf), "Team changed · the change cleared the endorsements of HKU");
  assert.equal(teamEventText(ev(Kind.UNSPECIFIED)), "Team activity");
  assert.equal(teamEventText(ev(9 as Kind)), "Team activity 9");
  // Without names, the resource names.
  assert.equal(teamEventText(ev(Kind.ENDORSED, HKU)), "institutions/hku endorsed");
  assert.equal(teamActivityToken(Kind.ENDORSEMENT_WITHDRAWN), "ENDORSEMENT_WITHDRAWN");
  assert.equal(teamActivityToken(9 as Kind), "9");
  // The institutions are slots, for the page to draw with their own lang.
  assert.deepEqual(teamEventParts(ev(Kind.ENDORSED, HKU)), [{ slot: "institution" }, " endorsed"]);
  assert.deepEqual(teamEventParts(ev(Kind.ENDORSEMENTS_CLEARED, "", [HKU])), ["A change cleared the endorsements of ", { slot: "institutions" }]);
});

test("team events in Traditional and Simplified Chinese", () => {
  const ev = (kind: Kind, institution = "", cleared: string[] = []) => ({ kind, institution, cleared });
  const hant: Record<string, string> = { [HKU]: "香港大學", [UM]: "澳門大學", [SYSU]: "中山大学" };
  const zh = (n: string) => hant[n] ?? n;
  inLang("zh-Hant", () => {
    assert.equal(teamEventText(ev(Kind.TEAM_CHANGED), zh), "研究團隊已變更");
    assert.equal(teamEventText(ev(Kind.ENDORSED, HKU), zh), "香港大學已簽署");
    assert.equal(teamEventText(ev(Kind.ENDORSEMENT_WITHDRAWN, UM), zh), "澳門大學已撤回簽署");
    assert.equal(teamEventText(ev(Kind.ENDORSEMENTS_CLEARED, "", [HKU, SYSU]), zh), "內容變更已清除香港大學、中山大学的簽署");
    assert.equal(teamEventText(ev(Kind.TEAM_CHANGED, "", [UM]), zh), "研究團隊已變更 · 此變更已清除澳門大學的簽署");
  });
  inLang("zh-Hans", () => {
    assert.equal(teamEventText(ev(Kind.TEAM_CHANGED), zh), "研究团队已变更");
    assert.equal(teamEventText(ev(Kind.ENDORSED, SYSU), zh), "中山大学已签署");
    assert.equal(teamEventText(ev(Kind.ENDORSEMENT_WITHDRAWN, HKU), zh), "香港大學已撤回签署");
    assert.equal(teamEventText(ev(Kind.ENDORSEMENTS_CLEARED, "", [HKU, UM]), zh), "内容变更已清除香港大學、澳門大學的签署");
  });
});

test("a document event that cleared the endorsements says so after its own words", () => {
  // On a document event the clearing comes as ENDORSEMENTS_CLEARED: the
  // document's words come first, these after them.
  const cleared = { kind: Kind.ENDORSEMENTS_CLEARED, institution: "", cleared: [HKU, UM] };
  assert.deepEqual(clearedParts(cleared), ["the change cleared the endorsements of ", { slot: "institutions" }]);
  assert.equal(clearedText(cleared, nameOf), "the change cleared the endorsements of HKU, UM");
  assert.equal(inLang("zh-Hant", () => clearedText(cleared, nameOf)), "此變更已清除HKU、UM的簽署");
  assert.equal(inLang("zh-Hans", () => clearedText(cleared, nameOf)), "此变更已清除HKU、UM的签署");
  // Standing alone, its own words already say it: nothing more.
  assert.deepEqual(alsoClearedParts(cleared), []);
  assert.deepEqual(alsoClearedParts({ kind: Kind.TEAM_CHANGED, institution: "", cleared: [HKU] }), ["the change cleared the endorsements of ", { slot: "institutions" }]);
  // Nothing cleared: nothing added.
  assert.equal(clearedText(undefined), "");
  assert.equal(clearedText({ kind: Kind.ENDORSED, institution: HKU, cleared: [] }), "");
  assert.deepEqual(alsoClearedParts({ kind: Kind.TEAM_CHANGED, institution: "", cleared: [] }), []);
});
