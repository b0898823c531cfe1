// The page's languages: English, Traditional Chinese (Hong Kong, Macao) and
// Simplified Chinese (Guangdong). Every word the page shows comes from the
// catalogues below, and every number, amount and date is formatted with
// the chosen language's locale. No DOM here (unit-tested under node);
// navigator and localStorage are read only when asked.
import { formatMoney, type FormatOptions, type MoneyValue } from "./money";
import { formatResource, type ResourceFormatOptions, type ResourceValue } from "./resources";

export type Lang = "en" | "zh-Hant" | "zh-Hans";

export interface LangInfo {
  id: Lang;
  /** The language's name in itself, for the switch. */
  autonym: string;
  /** The locale used when the browser names none of this language. */
  defaultLocale: string;
}

export const LANGS: readonly LangInfo[] = [
  { id: "en", autonym: "English", defaultLocale: "en" },
  { id: "zh-Hant", autonym: "繁體中文", defaultLocale: "zh-HK" },
  { id: "zh-Hans", autonym: "简体中文", defaultLocale: "zh-CN" },
];

export const LANG_STORAGE_KEY = "gba-grants.lang";

export function isLang(v: unknown): v is Lang {
  return v === "en" || v === "zh-Hant" || v === "zh-Hans";
}

/**
 * The page language for one BCP 47 tag, or null for a language the page
 * does not have. zh-HK, zh-MO, zh-TW and zh-Hant(-*) are Traditional;
 * zh, zh-CN, zh-SG and zh-Hans(-*) are Simplified; a script subtag wins
 * over the region. Cantonese (yue) is written in Traditional characters
 * unless it says otherwise.
 */
export function langOfTag(tag: string): Lang | null {
  const parts = tag.trim().toLowerCase().replace(/_/g, "-").split("-");
  const [language, ...rest] = parts;
  if (language === "en") return "en";
  if (language !== "zh" && language !== "yue") return null;
  if (rest.includes("hant")) return "zh-Hant";
  if (rest.includes("hans")) return "zh-Hans";
  if (rest.some((p) => p === "hk" || p === "mo" || p === "tw")) return "zh-Hant";
  return language === "yue" ? "zh-Hant" : "zh-Hans";
}

/** The first of the browser's languages the page has; English otherwise. */
export function detectLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const lang = langOfTag(tag);
    if (lang) return lang;
  }
  return "en";
}

/**
 * The locale for formatting in `lang`: the browser's own tag for that
 * language when it has one that Intl knows (en-GB, zh-MO, ...), else the
 * language's default (en, zh-HK, zh-CN).
 */
export function localeFor(lang: Lang, languages: readonly string[] = []): string {
  for (const tag of languages) {
    if (langOfTag(tag) !== lang) continue;
    try {
      const [supported] = Intl.DateTimeFormat.supportedLocalesOf(tag);
      // A bare "zh" formats as zh-CN, which is right only for Simplified.
      if (supported && (lang !== "zh-Hant" || supported.toLowerCase() !== "zh")) return supported;
    } catch {
      // Not a well-formed tag: try the next one.
    }
  }
  return LANGS.find((l) => l.id === lang)!.defaultLocale;
}

/** The browser's languages, most preferred first (empty outside a browser). */
export function browserLanguages(): string[] {
  if (typeof navigator === "undefined") return [];
  const list = navigator.languages?.length ? navigator.languages : [navigator.language];
  return list.filter((l): l is string => typeof l === "string" && l.length > 0);
}

/** The language chosen on the switch earlier, if any. */
export function storedLang(): Lang | null {
  try {
    const v = globalThis.localStorage?.getItem(LANG_STORAGE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

export function storeLang(lang: Lang): void {
  try {
    globalThis.localStorage?.setItem(LANG_STORAGE_KEY, lang);
  } catch {
    // Storage refused (private mode): the choice lasts for this page only.
  }
}

// ---- the catalogues -----------------------------------------------------------
// `{name}` is a parameter; numbers and bigints given as parameters are
// formatted for the locale. Keys ending in `.one` / `.other` are plural
// forms (Intl.PluralRules); Chinese has only `other`, but carries both.

const en = {
  "doc.title": "GBA Grants — live dashboard",
  "app.name": "GBA Grants",
  "app.tagline": "live dashboard",
  "lang.label": "Language",
  "signout.button": "Sign out",

  "conn.loading": "Loading history…",
  "conn.connecting": "Connecting…",
  "conn.live": "Live",
  "conn.reconnecting": "Reconnecting…",
  "conn.stale": "Stale",
  "conn.signed-out": "Signed out",
  "conn.stopped": "Stopped",
  "conn.withDetail": "{state} — {detail}",
  "detail.disconnected": "disconnected",
  "detail.streamEnded": "the stream ended",
  "detail.silent": "no message for too long",
  "detail.staleFor": "no message for {seconds} s",
  "detail.historyCount": "{count} events loaded",

  "signin.heading": "Sign in",
  "signin.help": "Paste an API key; a viewer key is enough. It stays in this browser tab only and is sent only as the authorization header.",
  "signin.keyLabel": "API key",
  "signin.submit": "Sign in",
  "signin.checking": "Checking the key…",
  "signin.rejected": "That API key was not accepted.",
  "signout.done": "Signed out.",
  "signout.revoked": "Your API key was revoked.",
  "signout.missing": "Please sign in.",
  "signout.notAccepted": "Your API key was not accepted.",

  "totals.heading": "Totals",
  "totals.note": "Money is totalled per currency, and facility resources per unit; amounts in different currencies or units are never added together.",
  "totals.requested": "Requested",
  "totals.committed": "Committed",
  "totals.disbursed": "Disbursed",
  "totals.remaining": "Remaining budget",
  "totals.partial": "Some programmes have no live figures yet.",
  "totals.requestedResource": "Requested",
  "totals.allocated": "Allocated",
  "totals.used": "Used",
  "totals.free": "Free capacity",

  "programmes.heading": "Programmes",
  "programmes.none": "No programmes visible to this key.",
  "card.currency": "Currency {code}",
  "card.open": "Open {from} – {to}",
  "card.asOf": "As of {time}",
  "card.noApplications": "No applications yet.",
  "card.waiting": "Waiting for live figures…",
  "export.group": "Download {programme} as CSV",
  "export.applications": "Download applications (CSV)",
  "export.payments": "Download payments (CSV)",
  "export.listingApplications": "Listing applications: {n}…",
  "export.listingPayments": "Listing payments: {done} of {total} applications…",
  "export.saved.one": "Downloaded {n} row:",
  "export.saved.other": "Downloaded {n} rows:",
  "export.denied": "This key may not list them: {detail}",
  "export.failed": "The download failed: {detail}",
  "budget.disbursed": "Disbursed",
  "budget.committedOpen": "Committed, not yet disbursed",
  "budget.remaining": "Remaining",
  "budget.total": "Budget",
  "budget.committed": "Committed (awarded)",
  "budget.requested": "Requested (submitted)",
  "budget.aria": "{parts} of {budget}",
  "budget.ariaPart": "{label} {amount}",
  "card.unit": "Unit {unit}",
  "facility.facility": "Facility",
  "facility.resource": "Resource",
  "facility.maxRequest": "At most {amount} per application",
  "capacity.used": "Used",
  "capacity.allocatedOpen": "Allocated, not yet used",
  "capacity.free": "Free",
  "capacity.total": "Capacity",
  "capacity.allocated": "Allocated (awarded)",
  "capacity.requested": "Requested (submitted)",
  "capacity.line": "Capacity: allocated {allocated} of {capacity}, used {used}",
  "capacity.aria": "Capacity: allocated {allocated} of {capacity}, used {used}, free {free}",
  "list.separator": ", ",

  "count.programmes.one": "{n} programme",
  "count.programmes.other": "{n} programmes",
  "count.applications.one": "{n} application",
  "count.applications.other": "{n} applications",
  "count.awards.one": "{n} award",
  "count.awards.other": "{n} awards",
  "count.months.one": "{n} month",
  "count.months.other": "{n} months",

  "reviews.settings.one": "Peer review: {n} review per application",
  "reviews.settings.other": "Peer review: {n} reviews per application",
  "reviews.progress": "Reviews:",
  "reviews.awaiting": "for applications awaiting a decision",
  "reviews.aria.one": "{completed} of {required} review completed",
  "reviews.aria.other": "{completed} of {required} reviews completed",
  "reviews.count.one": "{completed}/{required} review",
  "reviews.count.other": "{completed}/{required} reviews",
  "review.UNSPECIFIED": "Review activity",
  "review.REVIEWER_ASSIGNED": "Reviewer assigned",
  "review.CONFLICT_DECLARED": "Conflict declared",
  "review.REVIEW_SUBMITTED": "Review submitted",
  "review.REVIEW_REVISED": "Review revised",
  "review.REVIEWS_OVERRIDDEN": "Approved with incomplete reviews (override)",
  "review.unknown": "Review activity {n}",

  "state.UNSPECIFIED": "—",
  "state.DRAFT": "Draft",
  "state.SUBMITTED": "Submitted",
  "state.UNDER_REVIEW": "Under review",
  "state.CHANGES_REQUESTED": "Changes requested",
  "state.APPROVED": "Approved",
  "state.ACTIVE": "Active",
  "state.CLOSED": "Closed",
  "state.REJECTED": "Rejected",
  "state.WITHDRAWN": "Withdrawn",
  "state.unknown": "State {n}",

  "role.UNSPECIFIED": "—",
  "role.ADMIN": "Admin",
  "role.OFFICER": "Officer",
  "role.APPLICANT": "Applicant",
  "role.VIEWER": "Viewer",
  "role.REVIEWER": "Reviewer",
  "role.unknown": "Role {n}",

  "region.UNSPECIFIED": "Unspecified",
  "region.HONG_KONG": "Hong Kong",
  "region.MACAO": "Macao",
  "region.GUANGDONG": "Guangdong",
  "region.unknown": "Region {n}",
  "regions.caption": "By applicant region ({currency})",
  "regions.none": "No figures by applicant region yet.",
  "regions.region": "Region",
  "regions.requested": "Requested",
  "regions.committed": "Committed",
  "regions.disbursed": "Disbursed",
  "regions.awards": "Awards",
  "regions.captionUnit": "By applicant region ({unit})",
  "regions.requestedResource": "Requested",
  "regions.allocated": "Allocated",
  "regions.used": "Used",
  "regions.crossBorder.one": "Hong Kong and Macao: {count} of {n} project ({percent})",
  "regions.crossBorder.other": "Hong Kong and Macao: {count} of {n} projects ({percent})",
  "regions.percent": "{value} %",

  "feed.heading": "Live feed",
  "feed.help": "Newest first; one filter at a time. Select an application to see its history.",
  "feed.filterProgramme": "Programme",
  "feed.filterInstitution": "Institution",
  "feed.allProgrammes": "All programmes",
  "feed.allInstitutions": "All institutions",
  "feed.colTime": "Time",
  "feed.colApplication": "Application",
  "feed.colInstitution": "Institution",
  "feed.colChange": "Change",
  "feed.colBy": "By",
  "feed.colReason": "Reason",
  "feed.empty": "No events yet.",
  "feed.historyUnavailable": "History is not available here ({detail}); showing events from now on.",
  "change.created": "Created as",
  "change.payment": "Payment recorded",
  "change.paymentTotal": "(total {amount})",
  "change.usage": "Usage recorded",
  "change.usageTotal": "(used {amount} so far)",

  "history.title": "Application history",
  "history.close": "Close",
  "history.closeLabel": "Close history",
  "history.loading": "Loading…",
  "history.none": "No events.",
  "history.failed": "Could not load the history: {detail}",
  "history.by": "by {role}",
  "history.awarded": "Awarded {amount}",
  "history.events": "History",
  "facts.programme": "Programme",
  "facts.applicant": "Applicant institution",
  "facts.investigator": "Principal investigator",
  "facts.orcid": "ORCID",
  "facts.partners": "Partner institutions",
  "facts.noPartners": "None",
  "facts.duration": "Duration",
  "facts.requested": "Requested",
  "facts.awarded": "Awarded",
  "facts.disbursed": "Disbursed",
  "facts.awardNumber": "Award number",
  "facts.abstract": "Abstract",
  "facts.requestedResource": "Requested",
  "facts.awardedResource": "Allocated",
  "facts.used": "Used",
  "facts.periods": "Preferred periods",
  "facts.period": "{from} – {to}",

  "docs.heading": "Documents",
  "docs.loading": "Loading documents…",
  "docs.none": "No documents.",
  "docs.failed": "Could not load the documents: {detail}",
  "docs.kind.UNSPECIFIED": "Document",
  "docs.kind.PROPOSAL": "Proposal",
  "docs.kind.BUDGET": "Budget",
  "docs.kind.PARTNER_LETTER": "Partner's letter of support",
  "docs.kind.ETHICS_APPROVAL": "Ethics approval",
  "docs.kind.OTHER": "Other document",
  "docs.kind.unknown": "Document kind {n}",
  "docs.version": "v{version}",
  "docs.superseded": "superseded",
  "docs.uploaded": "Uploaded {time} by {who}",
  "docs.older.one": "{n} earlier version",
  "docs.older.other": "{n} earlier versions",
  "docs.download": "Download",
  "docs.downloadLabel": "Download {file} (version {version})",
  "docs.progress": "Downloading {percent} ({received} of {total})",
  "docs.verifying": "Checking the SHA-256…",
  "docs.saved": "Downloaded; the SHA-256 matches.",
  "docs.checksumMismatch": "Not saved: what arrived does not have the document's SHA-256.",
  "docs.sizeMismatch": "Not saved: {received} arrived, not the document's {size}.",
  "docs.changed": "Not saved: the document changed while it was downloading.",
  "docs.badStream": "Not saved: the server's answer was not the document.",
  "docs.denied": "This key may not download documents: {detail}",
  "docs.downloadFailed": "The download failed: {detail}",
  "docs.viewerNote": "A viewer key sees the documents' details only. To download one, sign in with a key of the applicant, of the programme's officers or assigned reviewers, or an admin key.",
  "docs.sha256": "SHA-256 {hash}",
  "count.bytes.one": "{n} byte",
  "count.bytes.other": "{n} bytes",
  "docEvent.UNSPECIFIED": "Document activity: {file} ({kind}, v{version})",
  "docEvent.DOCUMENT_ADDED": "Document added: {file} ({kind}, v{version})",
  "docEvent.DOCUMENT_REPLACED": "Document replaced: {file} ({kind}, v{version})",
  "docEvent.DOCUMENT_DELETED": "Document deleted: {file} ({kind}, v{version})",
  "docEvent.unknown": "Document activity {n}: {file} ({kind}, v{version})",

  "list.names": ", ",
  "actor.withPerson": "{person} ({role})",
  "team.heading": "Team",
  "team.none": "No team members listed.",
  "team.orcidLabel": "ORCID iD of {name}: {orcid}",
  "teamRole.UNSPECIFIED": "Team member",
  "teamRole.PRINCIPAL_INVESTIGATOR": "Principal investigator",
  "teamRole.CO_PRINCIPAL_INVESTIGATOR": "Co-principal investigator",
  "teamRole.CO_INVESTIGATOR": "Co-investigator",
  "teamRole.COLLABORATOR": "Collaborator",
  "teamRole.unknown": "Team role {n}",
  "signoff.heading": "Sign-off",
  "signoff.req.NONE": "The programme requires no sign-off.",
  "signoff.req.APPLICANT": "The programme requires the applicant institution's sign-off.",
  "signoff.req.PARTNERS": "The programme requires every partner institution's sign-off.",
  "signoff.req.APPLICANT_AND_PARTNERS": "The programme requires the sign-off of the applicant and every partner.",
  "signoff.req.unknown": "Sign-off requirement {n}",
  "signoff.complete": "All the required sign-offs are in.",
  "signoff.awaiting": "Awaiting the sign-off of {institutions}",
  "signoff.signed": "Signed {time} by {who}",
  "signoff.missing": "Not yet signed",
  "signoff.none": "No endorsements.",
  "teamEvent.UNSPECIFIED": "Team activity",
  "teamEvent.TEAM_CHANGED": "Team changed",
  "teamEvent.ENDORSED": "{institution} endorsed",
  "teamEvent.ENDORSEMENT_WITHDRAWN": "{institution} withdrew its endorsement",
  "teamEvent.ENDORSEMENTS_CLEARED": "A change cleared the endorsements of {institutions}",
  "teamEvent.cleared": "the change cleared the endorsements of {institutions}",
  "teamEvent.unknown": "Team activity {n}",
} as const satisfies Record<string, string>;

export type MsgKey = keyof typeof en;
export type Catalogue = { readonly [K in MsgKey]: string };
/** `count.awards` for `count.awards.one` / `count.awards.other`. */
export type PluralKey = MsgKey extends infer K ? (K extends `${infer B}.other` ? B : never) : never;

const zhHant: Catalogue = {
  "doc.title": "大灣區科研資助 — 即時儀表板",
  "app.name": "大灣區科研資助",
  "app.tagline": "即時儀表板",
  "lang.label": "語言",
  "signout.button": "登出",

  "conn.loading": "正在載入記錄…",
  "conn.connecting": "連線中…",
  "conn.live": "即時",
  "conn.reconnecting": "重新連線中…",
  "conn.stale": "數據過時",
  "conn.signed-out": "已登出",
  "conn.stopped": "已停止",
  "conn.withDetail": "{state} — {detail}",
  "detail.disconnected": "連線中斷",
  "detail.streamEnded": "串流已結束",
  "detail.silent": "太久沒有收到訊息",
  "detail.staleFor": "{seconds} 秒沒有收到訊息",
  "detail.historyCount": "已載入 {count} 個事件",

  "signin.heading": "登入",
  "signin.help": "請貼上 API 金鑰；檢視者金鑰已足夠。金鑰只保存在此瀏覽器分頁，並只會作為授權標頭傳送。",
  "signin.keyLabel": "API 金鑰",
  "signin.submit": "登入",
  "signin.checking": "正在核對金鑰…",
  "signin.rejected": "此 API 金鑰不獲接受。",
  "signout.done": "已登出。",
  "signout.revoked": "你的 API 金鑰已被撤銷。",
  "signout.missing": "請登入。",
  "signout.notAccepted": "你的 API 金鑰不獲接受。",

  "totals.heading": "總計",
  "totals.note": "金額按貨幣分別合計，設施資源按單位分別合計；不同貨幣或單位的數量不會相加。",
  "totals.requested": "申請金額",
  "totals.committed": "已承諾",
  "totals.disbursed": "已撥款",
  "totals.remaining": "剩餘預算",
  "totals.partial": "部分資助計劃尚未有即時數據。",
  "totals.requestedResource": "申請量",
  "totals.allocated": "已分配",
  "totals.used": "已使用",
  "totals.free": "剩餘容量",

  "programmes.heading": "資助計劃",
  "programmes.none": "此金鑰看不到任何資助計劃。",
  "card.currency": "貨幣 {code}",
  "card.open": "開放期 {from} 至 {to}",
  "card.asOf": "截至 {time}",
  "card.noApplications": "尚未有申請。",
  "card.waiting": "正在等待即時數據…",
  "export.group": "以 CSV 下載{programme}",
  "export.applications": "下載申請（CSV）",
  "export.payments": "下載撥款記錄（CSV）",
  "export.listingApplications": "正在列出申請：{n} 項…",
  "export.listingPayments": "正在列出撥款記錄：{done} / {total} 項申請…",
  "export.saved.one": "已下載 {n} 行：",
  "export.saved.other": "已下載 {n} 行：",
  "export.denied": "此金鑰不可列出這些資料：{detail}",
  "export.failed": "下載失敗：{detail}",
  "budget.disbursed": "已撥款",
  "budget.committedOpen": "已承諾、未撥款",
  "budget.remaining": "剩餘",
  "budget.total": "預算",
  "budget.committed": "已承諾（已批出）",
  "budget.requested": "申請金額（已遞交）",
  "budget.aria": "預算 {budget}：{parts}",
  "budget.ariaPart": "{label} {amount}",
  "card.unit": "單位 {unit}",
  "facility.facility": "設施",
  "facility.resource": "資源",
  "facility.maxRequest": "每宗申請最多 {amount}",
  "capacity.used": "已使用",
  "capacity.allocatedOpen": "已分配、未使用",
  "capacity.free": "尚餘",
  "capacity.total": "容量",
  "capacity.allocated": "已分配（已批出）",
  "capacity.requested": "申請量（已遞交）",
  "capacity.line": "容量：已分配 {allocated}（共 {capacity}），已使用 {used}",
  "capacity.aria": "容量：已分配 {allocated}（共 {capacity}），已使用 {used}，尚餘 {free}",
  "list.separator": "，",

  "count.programmes.one": "{n} 個資助計劃",
  "count.programmes.other": "{n} 個資助計劃",
  "count.applications.one": "{n} 宗申請",
  "count.applications.other": "{n} 宗申請",
  "count.awards.one": "{n} 項資助",
  "count.awards.other": "{n} 項資助",
  "count.months.one": "{n} 個月",
  "count.months.other": "{n} 個月",

  "reviews.settings.one": "同行評審：每宗申請需 {n} 份評審",
  "reviews.settings.other": "同行評審：每宗申請需 {n} 份評審",
  "reviews.progress": "評審：",
  "reviews.awaiting": "（待決定的申請）",
  "reviews.aria.one": "已完成 {completed} / {required} 份評審",
  "reviews.aria.other": "已完成 {completed} / {required} 份評審",
  "reviews.count.one": "評審 {completed}/{required}",
  "reviews.count.other": "評審 {completed}/{required}",
  "review.UNSPECIFIED": "評審活動",
  "review.REVIEWER_ASSIGNED": "已指派評審員",
  "review.CONFLICT_DECLARED": "已申報利益衝突",
  "review.REVIEW_SUBMITTED": "已遞交評審",
  "review.REVIEW_REVISED": "已修訂評審",
  "review.REVIEWS_OVERRIDDEN": "評審未齊而批准（特准）",
  "review.unknown": "評審活動 {n}",

  "state.UNSPECIFIED": "—",
  "state.DRAFT": "草稿",
  "state.SUBMITTED": "已遞交",
  "state.UNDER_REVIEW": "審核中",
  "state.CHANGES_REQUESTED": "需要修改",
  "state.APPROVED": "已批准",
  "state.ACTIVE": "執行中",
  "state.CLOSED": "已結束",
  "state.REJECTED": "已拒絕",
  "state.WITHDRAWN": "已撤回",
  "state.unknown": "狀態 {n}",

  "role.UNSPECIFIED": "—",
  "role.ADMIN": "管理員",
  "role.OFFICER": "計劃主任",
  "role.APPLICANT": "申請人",
  "role.VIEWER": "檢視者",
  "role.REVIEWER": "評審員",
  "role.unknown": "角色 {n}",

  "region.UNSPECIFIED": "未指定",
  "region.HONG_KONG": "香港",
  "region.MACAO": "澳門",
  "region.GUANGDONG": "廣東",
  "region.unknown": "地區 {n}",
  "regions.caption": "按申請機構地區（{currency}）",
  "regions.none": "尚未有按申請機構地區劃分的數據。",
  "regions.region": "地區",
  "regions.requested": "申請金額",
  "regions.committed": "已承諾",
  "regions.disbursed": "已撥款",
  "regions.awards": "資助項目",
  "regions.captionUnit": "按申請機構地區（{unit}）",
  "regions.requestedResource": "申請量",
  "regions.allocated": "已分配",
  "regions.used": "已使用",
  "regions.crossBorder.one": "港澳：{n} 個項目中的 {count} 個（{percent}）",
  "regions.crossBorder.other": "港澳：{n} 個項目中的 {count} 個（{percent}）",
  "regions.percent": "{value}%",

  "feed.heading": "即時動態",
  "feed.help": "最新的排在最前；每次只可使用一個篩選。選擇申請可查看其記錄。",
  "feed.filterProgramme": "資助計劃",
  "feed.filterInstitution": "機構",
  "feed.allProgrammes": "所有資助計劃",
  "feed.allInstitutions": "所有機構",
  "feed.colTime": "時間",
  "feed.colApplication": "申請",
  "feed.colInstitution": "機構",
  "feed.colChange": "變更",
  "feed.colBy": "操作者",
  "feed.colReason": "原因",
  "feed.empty": "暫無事件。",
  "feed.historyUnavailable": "此處無法提供記錄（{detail}）；只顯示此後的事件。",
  "change.created": "建立為",
  "change.payment": "已記錄付款",
  "change.paymentTotal": "（累計 {amount}）",
  "change.usage": "已記錄使用量",
  "change.usageTotal": "（累計使用 {amount}）",

  "history.title": "申請記錄",
  "history.close": "關閉",
  "history.closeLabel": "關閉申請記錄",
  "history.loading": "載入中…",
  "history.none": "沒有事件。",
  "history.failed": "無法載入記錄：{detail}",
  "history.by": "操作者：{role}",
  "history.awarded": "批出 {amount}",
  "history.events": "記錄",
  "facts.programme": "資助計劃",
  "facts.applicant": "申請機構",
  "facts.investigator": "首席研究員",
  "facts.orcid": "ORCID",
  "facts.partners": "合作機構",
  "facts.noPartners": "無",
  "facts.duration": "研究期",
  "facts.requested": "申請金額",
  "facts.awarded": "批出金額",
  "facts.disbursed": "已撥款",
  "facts.awardNumber": "資助編號",
  "facts.abstract": "摘要",
  "facts.requestedResource": "申請量",
  "facts.awardedResource": "獲分配",
  "facts.used": "已使用",
  "facts.periods": "希望使用時段",
  "facts.period": "{from} 至 {to}",

  "docs.heading": "文件",
  "docs.loading": "正在載入文件…",
  "docs.none": "沒有文件。",
  "docs.failed": "無法載入文件：{detail}",
  "docs.kind.UNSPECIFIED": "文件",
  "docs.kind.PROPOSAL": "研究計劃書",
  "docs.kind.BUDGET": "預算表",
  "docs.kind.PARTNER_LETTER": "合作機構支持信",
  "docs.kind.ETHICS_APPROVAL": "倫理審批",
  "docs.kind.OTHER": "其他文件",
  "docs.kind.unknown": "文件類別 {n}",
  "docs.version": "第 {version} 版",
  "docs.superseded": "已被取代",
  "docs.uploaded": "{time} 由{who}上載",
  "docs.older.one": "{n} 個較早版本",
  "docs.older.other": "{n} 個較早版本",
  "docs.download": "下載",
  "docs.downloadLabel": "下載 {file}（第 {version} 版）",
  "docs.progress": "下載中 {percent}（{received} / {total}）",
  "docs.verifying": "正在核對 SHA-256…",
  "docs.saved": "已下載；SHA-256 相符。",
  "docs.checksumMismatch": "未儲存：收到的內容與文件的 SHA-256 不符。",
  "docs.sizeMismatch": "未儲存：收到 {received}，但文件大小為 {size}。",
  "docs.changed": "未儲存：文件在下載期間有所改變。",
  "docs.badStream": "未儲存：伺服器的回應並非該文件。",
  "docs.denied": "此金鑰不可下載文件：{detail}",
  "docs.downloadFailed": "下載失敗：{detail}",
  "docs.viewerNote": "檢視者金鑰只可查看文件的資料。如需下載，請以申請機構、計劃主任、獲指派評審員或管理員的金鑰登入。",
  "docs.sha256": "SHA-256 雜湊值 {hash}",
  "count.bytes.one": "{n} 位元組",
  "count.bytes.other": "{n} 位元組",
  "docEvent.UNSPECIFIED": "文件活動：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_ADDED": "已新增文件：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_REPLACED": "已替換文件：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_DELETED": "已刪除文件：{file}（{kind}，第 {version} 版）",
  "docEvent.unknown": "文件活動 {n}：{file}（{kind}，第 {version} 版）",

  "list.names": "、",
  "actor.withPerson": "{person}（{role}）",
  "team.heading": "研究團隊",
  "team.none": "未列出團隊成員。",
  "team.orcidLabel": "{name}的 ORCID iD：{orcid}",
  "teamRole.UNSPECIFIED": "團隊成員",
  "teamRole.PRINCIPAL_INVESTIGATOR": "首席研究員",
  "teamRole.CO_PRINCIPAL_INVESTIGATOR": "聯合首席研究員",
  "teamRole.CO_INVESTIGATOR": "合作研究員",
  "teamRole.COLLABORATOR": "協作者",
  "teamRole.unknown": "團隊角色 {n}",
  "signoff.heading": "機構簽署",
  "signoff.req.NONE": "本計劃毋須機構簽署。",
  "signoff.req.APPLICANT": "本計劃須由申請機構簽署。",
  "signoff.req.PARTNERS": "本計劃須由每間合作機構簽署。",
  "signoff.req.APPLICANT_AND_PARTNERS": "本計劃須由申請機構及每間合作機構簽署。",
  "signoff.req.unknown": "簽署要求 {n}",
  "signoff.complete": "所需簽署已齊備。",
  "signoff.awaiting": "尚待簽署：{institutions}",
  "signoff.signed": "{time} 由{who}簽署",
  "signoff.missing": "尚未簽署",
  "signoff.none": "沒有機構簽署。",
  "teamEvent.UNSPECIFIED": "團隊活動",
  "teamEvent.TEAM_CHANGED": "研究團隊已變更",
  "teamEvent.ENDORSED": "{institution}已簽署",
  "teamEvent.ENDORSEMENT_WITHDRAWN": "{institution}已撤回簽署",
  "teamEvent.ENDORSEMENTS_CLEARED": "內容變更已清除{institutions}的簽署",
  "teamEvent.cleared": "此變更已清除{institutions}的簽署",
  "teamEvent.unknown": "團隊活動 {n}",
};

const zhHans: Catalogue = {
  "doc.title": "大湾区科研资助 — 实时仪表板",
  "app.name": "大湾区科研资助",
  "app.tagline": "实时仪表板",
  "lang.label": "语言",
  "signout.button": "退出登录",

  "conn.loading": "正在加载记录…",
  "conn.connecting": "正在连接…",
  "conn.live": "实时",
  "conn.reconnecting": "正在重新连接…",
  "conn.stale": "数据已过时",
  "conn.signed-out": "已退出登录",
  "conn.stopped": "已停止",
  "conn.withDetail": "{state} — {detail}",
  "detail.disconnected": "连接已断开",
  "detail.streamEnded": "数据流已结束",
  "detail.silent": "太久没有收到消息",
  "detail.staleFor": "{seconds} 秒没有收到消息",
  "detail.historyCount": "已加载 {count} 个事件",

  "signin.heading": "登录",
  "signin.help": "请粘贴 API 密钥；查看者密钥即可。密钥仅保存在此浏览器标签页中，并且仅作为授权请求头发送。",
  "signin.keyLabel": "API 密钥",
  "signin.submit": "登录",
  "signin.checking": "正在验证密钥…",
  "signin.rejected": "该 API 密钥未被接受。",
  "signout.done": "已退出登录。",
  "signout.revoked": "您的 API 密钥已被吊销。",
  "signout.missing": "请登录。",
  "signout.notAccepted": "您的 API 密钥未被接受。",

  "totals.heading": "总计",
  "totals.note": "金额按货币分别合计，设施资源按单位分别合计；不同货币或单位的数量不会相加。",
  "totals.requested": "申请金额",
  "totals.committed": "已承诺",
  "totals.disbursed": "已拨款",
  "totals.remaining": "剩余预算",
  "totals.partial": "部分资助计划暂无实时数据。",
  "totals.requestedResource": "申请量",
  "totals.allocated": "已分配",
  "totals.used": "已使用",
  "totals.free": "剩余容量",

  "programmes.heading": "资助计划",
  "programmes.none": "此密钥看不到任何资助计划。",
  "card.currency": "货币 {code}",
  "card.open": "开放期 {from} 至 {to}",
  "card.asOf": "截至 {time}",
  "card.noApplications": "暂无申请。",
  "card.waiting": "正在等待实时数据…",
  "export.group": "以 CSV 下载{programme}",
  "export.applications": "下载申请（CSV）",
  "export.payments": "下载拨款记录（CSV）",
  "export.listingApplications": "正在列出申请：{n} 项…",
  "export.listingPayments": "正在列出拨款记录：{done} / {total} 项申请…",
  "export.saved.one": "已下载 {n} 行：",
  "export.saved.other": "已下载 {n} 行：",
  "export.denied": "此密钥无权列出这些数据：{detail}",
  "export.failed": "下载失败：{detail}",
  "budget.disbursed": "已拨款",
  "budget.committedOpen": "已承诺、未拨款",
  "budget.remaining": "剩余",
  "budget.total": "预算",
  "budget.committed": "已承诺（已批出）",
  "budget.requested": "申请金额（已提交）",
  "budget.aria": "预算 {budget}：{parts}",
  "budget.ariaPart": "{label} {amount}",
  "card.unit": "单位 {unit}",
  "facility.facility": "设施",
  "facility.resource": "资源",
  "facility.maxRequest": "每份申请最多 {amount}",
  "capacity.used": "已使用",
  "capacity.allocatedOpen": "已分配、未使用",
  "capacity.free": "剩余",
  "capacity.total": "容量",
  "capacity.allocated": "已分配（已批出）",
  "capacity.requested": "申请量（已提交）",
  "capacity.line": "容量：已分配 {allocated}（共 {capacity}），已使用 {used}",
  "capacity.aria": "容量：已分配 {allocated}（共 {capacity}），已使用 {used}，剩余 {free}",
  "list.separator": "，",

  "count.programmes.one": "{n} 个资助计划",
  "count.programmes.other": "{n} 个资助计划",
  "count.applications.one": "{n} 份申请",
  "count.applications.other": "{n} 份申请",
  "count.awards.one": "{n} 项资助",
  "count.awards.other": "{n} 项资助",
  "count.months.one": "{n} 个月",
  "count.months.other": "{n} 个月",

  "reviews.settings.one": "同行评审：每份申请需 {n} 份评审",
  "reviews.settings.other": "同行评审：每份申请需 {n} 份评审",
  "reviews.progress": "评审：",
  "reviews.awaiting": "（待决定的申请）",
  "reviews.aria.one": "已完成 {completed} / {required} 份评审",
  "reviews.aria.other": "已完成 {completed} / {required} 份评审",
  "reviews.count.one": "评审 {completed}/{required}",
  "reviews.count.other": "评审 {completed}/{required}",
  "review.UNSPECIFIED": "评审活动",
  "review.REVIEWER_ASSIGNED": "已指派评审人",
  "review.CONFLICT_DECLARED": "已申报利益冲突",
  "review.REVIEW_SUBMITTED": "已提交评审",
  "review.REVIEW_REVISED": "已修订评审",
  "review.REVIEWS_OVERRIDDEN": "评审未齐即批准（特批）",
  "review.unknown": "评审活动 {n}",

  "state.UNSPECIFIED": "—",
  "state.DRAFT": "草稿",
  "state.SUBMITTED": "已提交",
  "state.UNDER_REVIEW": "审核中",
  "state.CHANGES_REQUESTED": "需要修改",
  "state.APPROVED": "已批准",
  "state.ACTIVE": "执行中",
  "state.CLOSED": "已结项",
  "state.REJECTED": "已拒绝",
  "state.WITHDRAWN": "已撤回",
  "state.unknown": "状态 {n}",

  "role.UNSPECIFIED": "—",
  "role.ADMIN": "管理员",
  "role.OFFICER": "项目主管",
  "role.APPLICANT": "申请人",
  "role.VIEWER": "查看者",
  "role.REVIEWER": "评审人",
  "role.unknown": "角色 {n}",

  "region.UNSPECIFIED": "未指定",
  "region.HONG_KONG": "香港",
  "region.MACAO": "澳门",
  "region.GUANGDONG": "广东",
  "region.unknown": "地区 {n}",
  "regions.caption": "按申请机构地区（{currency}）",
  "regions.none": "暂无按申请机构地区划分的数据。",
  "regions.region": "地区",
  "regions.requested": "申请金额",
  "regions.committed": "已承诺",
  "regions.disbursed": "已拨款",
  "regions.awards": "资助项目",
  "regions.captionUnit": "按申请机构地区（{unit}）",
  "regions.requestedResource": "申请量",
  "regions.allocated": "已分配",
  "regions.used": "已使用",
  "regions.crossBorder.one": "港澳：{n} 个项目中的 {count} 个（{percent}）",
  "regions.crossBorder.other": "港澳：{n} 个项目中的 {count} 个（{percent}）",
  "regions.percent": "{value}%",

  "feed.heading": "实时动态",
  "feed.help": "最新的排在最前；每次只能使用一个筛选条件。选择申请可查看其记录。",
  "feed.filterProgramme": "资助计划",
  "feed.filterInstitution": "机构",
  "feed.allProgrammes": "全部资助计划",
  "feed.allInstitutions": "全部机构",
  "feed.colTime": "时间",
  "feed.colApplication": "申请",
  "feed.colInstitution": "机构",
  "feed.colChange": "变更",
  "feed.colBy": "操作者",
  "feed.colReason": "原因",
  "feed.empty": "暂无事件。",
  "feed.historyUnavailable": "此处无法提供记录（{detail}）；仅显示此后的事件。",
  "change.created": "创建为",
  "change.payment": "已记录付款",
  "change.paymentTotal": "（累计 {amount}）",
  "change.usage": "已记录使用量",
  "change.usageTotal": "（累计使用 {amount}）",

  "history.title": "申请记录",
  "history.close": "关闭",
  "history.closeLabel": "关闭申请记录",
  "history.loading": "加载中…",
  "history.none": "没有事件。",
  "history.failed": "无法加载记录：{detail}",
  "history.by": "操作者：{role}",
  "history.awarded": "批出 {amount}",
  "history.events": "记录",
  "facts.programme": "资助计划",
  "facts.applicant": "申请机构",
  "facts.investigator": "项目负责人",
  "facts.orcid": "ORCID",
  "facts.partners": "合作机构",
  "facts.noPartners": "无",
  "facts.duration": "研究期限",
  "facts.requested": "申请金额",
  "facts.awarded": "批出金额",
  "facts.disbursed": "已拨款",
  "facts.awardNumber": "资助编号",
  "facts.abstract": "摘要",
  "facts.requestedResource": "申请量",
  "facts.awardedResource": "获分配",
  "facts.used": "已使用",
  "facts.periods": "希望使用时段",
  "facts.period": "{from} 至 {to}",

  "docs.heading": "文件",
  "docs.loading": "正在加载文件…",
  "docs.none": "没有文件。",
  "docs.failed": "无法加载文件：{detail}",
  "docs.kind.UNSPECIFIED": "文件",
  "docs.kind.PROPOSAL": "研究计划书",
  "docs.kind.BUDGET": "预算表",
  "docs.kind.PARTNER_LETTER": "合作机构支持函",
  "docs.kind.ETHICS_APPROVAL": "伦理审批",
  "docs.kind.OTHER": "其他文件",
  "docs.kind.unknown": "文件类别 {n}",
  "docs.version": "第 {version} 版",
  "docs.superseded": "已被取代",
  "docs.uploaded": "{time} 由{who}上传",
  "docs.older.one": "{n} 个较早版本",
  "docs.older.other": "{n} 个较早版本",
  "docs.download": "下载",
  "docs.downloadLabel": "下载 {file}（第 {version} 版）",
  "docs.progress": "正在下载 {percent}（{received} / {total}）",
  "docs.verifying": "正在校验 SHA-256…",
  "docs.saved": "已下载；SHA-256 校验一致。",
  "docs.checksumMismatch": "未保存：收到的内容与文件的 SHA-256 不一致。",
  "docs.sizeMismatch": "未保存：收到 {received}，但文件大小为 {size}。",
  "docs.changed": "未保存：文件在下载期间发生了变化。",
  "docs.badStream": "未保存：服务器的响应并非该文件。",
  "docs.denied": "此密钥无权下载文件：{detail}",
  "docs.downloadFailed": "下载失败：{detail}",
  "docs.viewerNote": "查看者密钥只能查看文件信息。如需下载，请使用申请机构、项目主管、获指派评审人或管理员的密钥登录。",
  "docs.sha256": "SHA-256 哈希值 {hash}",
  "count.bytes.one": "{n} 字节",
  "count.bytes.other": "{n} 字节",
  "docEvent.UNSPECIFIED": "文件活动：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_ADDED": "已添加文件：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_REPLACED": "已替换文件：{file}（{kind}，第 {version} 版）",
  "docEvent.DOCUMENT_DELETED": "已删除文件：{file}（{kind}，第 {version} 版）",
  "docEvent.unknown": "文件活动 {n}：{file}（{kind}，第 {version} 版）",

  "list.names": "、",
  "actor.withPerson": "{person}（{role}）",
  "team.heading": "研究团队",
  "team.none": "未列出团队成员。",
  "team.orcidLabel": "{name}的 ORCID iD：{orcid}",
  "teamRole.UNSPECIFIED": "团队成员",
  "teamRole.PRINCIPAL_INVESTIGATOR": "项目负责人",
  "teamRole.CO_PRINCIPAL_INVESTIGATOR": "共同项目负责人",
  "teamRole.CO_INVESTIGATOR": "合作研究员",
  "teamRole.COLLABORATOR": "协作者",
  "teamRole.unknown": "团队角色 {n}",
  "signoff.heading": "机构签署",
  "signoff.req.NONE": "本计划无需机构签署。",
  "signoff.req.APPLICANT": "本计划须由申请机构签署。",
  "signoff.req.PARTNERS": "本计划须由每个合作机构签署。",
  "signoff.req.APPLICANT_AND_PARTNERS": "本计划须由申请机构及每个合作机构签署。",
  "signoff.req.unknown": "签署要求 {n}",
  "signoff.complete": "所需签署已齐备。",
  "signoff.awaiting": "尚待签署：{institutions}",
  "signoff.signed": "{time} 由{who}签署",
  "signoff.missing": "尚未签署",
  "signoff.none": "没有机构签署。",
  "teamEvent.UNSPECIFIED": "团队活动",
  "teamEvent.TEAM_CHANGED": "研究团队已变更",
  "teamEvent.ENDORSED": "{institution}已签署",
  "teamEvent.ENDORSEMENT_WITHDRAWN": "{institution}已撤回签署",
  "teamEvent.ENDORSEMENTS_CLEARED": "内容变更已清除{institutions}的签署",
  "teamEvent.cleared": "此变更已清除{institutions}的签署",
  "teamEvent.unknown": "团队活动 {n}",
};

export const CATALOGUES: Readonly<Record<Lang, Catalogue>> = { en, "zh-Hant": zhHant, "zh-Hans": zhHans };

export function isMsgKey(key: string): key is MsgKey {
  return Object.prototype.hasOwnProperty.call(en, key);
}

// ---- the current language -------------------------------------------------------
let current: Lang = "en";
let currentLocale = "en";

export function language(): Lang {
  return current;
}

/** The locale of every number, amount and date (also the page's `lang`). */
export function locale(): string {
  return currentLocale;
}

/** Switches the catalogue and the locale (the caller re-renders). */
export function useLanguage(lang: Lang, loc: string = localeFor(lang)): void {
  current = lang;
  currentLocale = loc;
}

// ---- messages -------------------------------------------------------------------
export type Params = Readonly<Record<string, string | number | bigint>>;

/** A message to be worded in whatever language is current when shown. */
export interface Msg {
  key: MsgKey;
  params?: Params;
}

/** Words for the page: a message, or text as it came (e.g. from the server). */
export type Text = Msg | string;

export const msg = (key: MsgKey, params?: Params): Msg => (params ? { key, params } : { key });

/** The message in the current language, parameters filled in. */
export function t(key: MsgKey, params?: Params): string {
  const s = CATALOGUES[current][key] ?? en[key];
  return params ? fill(s, params) : s;
}

function fill(s: string, params: Params): string {
  return s.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = params[name];
    if (v === undefined) return whole;
    return typeof v === "string" ? v : formatNumber(v);
  });
}

/** A slot of a message kept open for the caller to fill (with an element). */
export interface Slot {
  slot: string;
}

/**
 * The message in the current language as text pieces, with the parameters
 * named in `slots` left as slots (in the language's order) for the caller
 * to fill with elements: a file name, a time, an amount.
 */
export function tParts(key: MsgKey, params: Params = {}, slots: readonly string[] = []): (string | Slot)[] {
  const s = CATALOGUES[current][key] ?? en[key];
  const out: (string | Slot)[] = [];
  let last = 0;
  for (const m of s.matchAll(/\{(\w+)\}/g)) {
    if (!slots.includes(m[1]!)) continue;
    out.push(fill(s.slice(last, m.index), params), { slot: m[1]! });
    last = m.index! + m[0].length;
  }
  out.push(fill(s.slice(last), params));
  return out.filter((p) => p !== "");
}

/** The plural form for `n` (`{n}` is filled in with `n`). */
export function tn(key: PluralKey, n: number | bigint, params?: Params): string {
  return t(pluralForm(key, n), { n, ...params });
}

/** The key of the plural form of `key` for `n` in the current locale (`.other` when the language has no such form). */
export function pluralForm(key: PluralKey, n: number | bigint): MsgKey {
  const category = pluralRules(currentLocale).select(Number(n));
  const form = `${key}.${category}`;
  return isMsgKey(form) ? form : (`${key}.other` as MsgKey);
}

/** A message or raw text, in the current language. */
export function render(text: Text | null | undefined): string {
  if (text === null || text === undefined) return "";
  return typeof text === "string" ? text : t(text.key, text.params);
}

// ---- numbers, money and dates ---------------------------------------------------
const cache = new Map<string, unknown>();
function cached<T>(key: string, make: () => T): T {
  let v = cache.get(key) as T | undefined;
  if (v === undefined) {
    v = make();
    cache.set(key, v);
  }
  return v;
}

function pluralRules(loc: string): Intl.PluralRules {
  return cached(`plural|${loc}`, () => new Intl.PluralRules(loc));
}

/** A count with the locale's grouping ("12,345"). */
export function formatNumber(n: number | bigint): string {
  return cached(`number|${currentLocale}`, () => new Intl.NumberFormat(currentLocale, { maximumFractionDigits: 0 })).format(n);
}

/**
 * An amount, exactly (see money.ts), for the current locale, with the
 * locale's currency symbol and placement (CN¥ / ¥ / HK$ / MOP$ ...).
 */
export function formatAmount(m: MoneyValue | undefined | null, opts: FormatOptions = {}): string {
  return formatMoney(m, currentLocale, { currencyDisplay: "symbol", ...opts });
}

/**
 * An amount of a facility resource, exactly (see resources.ts), for the
 * current locale: "1,240.5 beam-h" (the unit's symbol after the number).
 */
export function formatQuantity(r: ResourceValue | undefined | null, opts: ResourceFormatOptions = {}): string {
  return formatResource(r, currentLocale, opts);
}

/**
 * A count of tenths (not negative) as a decimal with one digit, for the
 * current locale, without floats: 125n is "12.5", 1000n "100.0", 12345n
 * "1,234.5".
 */
export function formatTenths(tenths: bigint): string {
  const n = tenths < 0n ? 0n : tenths;
  const f = cached(`tenths|${currentLocale}`, () => {
    const plain = new Intl.NumberFormat(currentLocale, { useGrouping: false });
    return {
      decimal: new Intl.NumberFormat(currentLocale, { minimumFractionDigits: 1 }).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".",
      digits: Array.from({ length: 10 }, (_, i) => plain.format(i)),
    };
  });
  return `${formatNumber(n / 10n)}${f.decimal}${f.digits[Number(n % 10n)]}`;
}

/** A share (0..=1) as a whole percentage, for the current locale ("45%"). */
export function formatPercent(fraction: number): string {
  return cached(`pct|${currentLocale}`, () => new Intl.NumberFormat(currentLocale, { style: "percent", maximumFractionDigits: 0 })).format(fraction);
}

/**
 * A quantity of a CLDR unit (`kilobyte`, `megabyte`, …), short, for the
 * current locale ("204.8 kB"), with at most `fractionDigits` decimals.
 */
export function formatUnit(value: number, unit: string, fractionDigits: number): string {
  return cached(
    `unit|${currentLocale}|${unit}|${fractionDigits}`,
    () => new Intl.NumberFormat(currentLocale, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: fractionDigits }),
  ).format(value);
}

/** A point in time, with date and time, for the current locale. */
export function formatDateTime(d: Date | undefined): string {
  if (!d) return "—";
  return cached(`dt|${currentLocale}`, () => new Intl.DateTimeFormat(currentLocale, { dateStyle: "medium", timeStyle: "medium" })).format(d);
}

/** A date, for the current locale. */
export function formatDate(d: Date | undefined): string {
  if (!d) return "—";
  return cached(`d|${currentLocale}`, () => new Intl.DateTimeFormat(currentLocale, { dateStyle: "medium" })).format(d);
}

// ---- names ----------------------------------------------------------------------
export interface Named {
  displayName: string;
  localName: string;
}

export interface NameView {
  /** The name to show first. */
  primary: string;
  /** Its language: `en` for display names, `zh` or finer for local names. */
  primaryLang: string;
  /** The other name, when there is one and it differs; else "". */
  secondary: string;
  secondaryLang: string;
}

/**
 * Which name first: in a Chinese page the local (Chinese) name, else the
 * English display name; each falls back to the other when empty.
 * `localLang` is the language tag of the local name (zh-Hant for Hong Kong
 * and Macao institutions, zh-Hans for Guangdong's, zh when unknown).
 */
export function names(item: Named, lang: Lang = current, localLang = "zh"): NameView {
  const english = item.displayName.trim();
  const local = item.localName.trim();
  const localFirst = lang !== "en";
  const [a, aLang, b, bLang] = localFirst ? [local, localLang, english, "en"] : [english, "en", local, localLang];
  if (!a) return { primary: b, primaryLang: bLang, secondary: "", secondaryLang: "" };
  return { primary: a, primaryLang: aLang, secondary: b && b !== a ? b : "", secondaryLang: b && b !== a ? bLang : "" };
}
