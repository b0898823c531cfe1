import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CATALOGUES,
  detectLang,
  formatAmount,
  formatDate,
  formatDateTime,
  formatNumber,
  langOfTag,
  LANGS,
  localeFor,
  msg,
  names,
  render,
  t,
  tn,
  useLanguage,
  type Lang,
} from "../src/lib/i18n";
import { regionLabel, roleLabel, stateLabel } from "../src/lib/labels";
import { reviewSettingsText } from "../src/lib/reviews";
import { Application_State as State } from "../src/gen/gba/grants/v1/application_pb";
import { ApiKey_Role as Role } from "../src/gen/gba/grants/v1/access_pb";
import { Region } from "../src/gen/gba/grants/v1/common_pb";

const langs: Lang[] = ["en", "zh-Hant", "zh-Hans"];
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** Runs `fn` with `lang` current, then back to English. */
function inLang<T>(lang: Lang, fn: () => T): T {
  useLanguage(lang);
  try {
    return fn();
  } finally {
    useLanguage("en");
  }
}

test("every key is in all three catalogues, non-empty, with the same parameters", () => {
  const keys = Object.keys(CATALOGUES.en).sort();
  assert.ok(keys.length > 100, `only ${keys.length} keys`);
  for (const lang of langs) {
    const cat = CATALOGUES[lang] as Record<string, string>;
    assert.deepEqual(Object.keys(cat).sort(), keys, `${lang}: keys differ from English`);
    for (const k of keys) {
      assert.equal(typeof cat[k], "string", `${lang} ${k}`);
      assert.ok(cat[k]!.trim().length > 0, `${lang} ${k} is empty`);
      assert.deepEqual(placeholders(cat[k]!), placeholders((CATALOGUES.en as Record<string, string>)[k]!), `${lang} ${k}: parameters differ`);
    }
  }
  // Plural forms come in pairs.
  for (const k of keys.filter((k) => k.endsWith(".one"))) assert.ok(keys.includes(k.replace(/\.one$/, ".other")), k);
});

test("the Chinese catalogues are translated, each in its own script", () => {
  const sameInEveryLanguage = new Set(["facts.orcid"]);
  const en = CATALOGUES.en as Record<string, string>;
  for (const lang of ["zh-Hant", "zh-Hans"] as const) {
    const cat = CATALOGUES[lang] as Record<string, string>;
    for (const [k, english] of Object.entries(en)) {
      const words = english.replace(/\{\w+\}/g, "");
      if (!/[A-Za-z]/.test(words) || sameInEveryLanguage.has(k)) continue;
      assert.notEqual(cat[k], english, `${lang} ${k} is not translated`);
      assert.match(cat[k]!, /\p{Script=Han}/u, `${lang} ${k} has no Chinese`);
    }
  }
  // Characters that exist in one script only must not stray into the other.
  const simplifiedOnly = "资计划请门东录钥过时数据项个无记载约态区广拨审批";
  const traditionalOnly = "資計劃請門東錄鑰過時數據項個無記載約態區廣撥審批";
  const hant = Object.values(CATALOGUES["zh-Hant"]).join("");
  const hans = Object.values(CATALOGUES["zh-Hans"]).join("");
  for (const [i, s] of [...simplifiedOnly].entries()) {
    const tr = [...traditionalOnly][i]!;
    if (s === tr) continue;
    assert.ok(!hant.includes(s), `Simplified ${s} in the Traditional catalogue`);
    assert.ok(!hans.includes(tr), `Traditional ${tr} in the Simplified catalogue`);
  }
  assert.notEqual(CATALOGUES["zh-Hant"]["programmes.heading"], CATALOGUES["zh-Hans"]["programmes.heading"]);
});

test("the browser's languages choose the page's", () => {
  const cases: [string[], Lang][] = [
    [["zh-HK"], "zh-Hant"],
    [["zh-MO"], "zh-Hant"],
    [["zh-TW"], "zh-Hant"],
    [["zh-Hant"], "zh-Hant"],
    [["zh-Hant-CN"], "zh-Hant"],
    [["yue-HK"], "zh-Hant"],
    [["zh-CN"], "zh-Hans"],
    [["zh-SG"], "zh-Hans"],
    [["zh-Hans"], "zh-Hans"],
    [["zh-Hans-HK"], "zh-Hans"],
    [["zh"], "zh-Hans"],
    [["zh_CN"], "zh-Hans"],
    [["en-GB"], "en"],
    [["fr-FR", "de"], "en"],
    [["fr-FR", "zh-HK", "en"], "zh-Hant"],
    [["en-US", "zh-CN"], "en"],
    [[], "en"],
  ];
  for (const [list, want] of cases) assert.equal(detectLang(list), want, list.join(","));
  assert.equal(langOfTag("pt-BR"), null);
});

test("the locale: the browser's own tag for the language, else the language's default", () => {
  assert.equal(localeFor("en"), "en");
  assert.equal(localeFor("zh-Hant"), "zh-HK");
  assert.equal(localeFor("zh-Hans"), "zh-CN");
  assert.equal(localeFor("en", ["zh-MO", "en-GB"]), "en-GB");
  assert.equal(localeFor("zh-Hant", ["zh-MO", "en-GB"]), "zh-MO");
  assert.equal(localeFor("zh-Hans", ["zh-MO", "en-GB"]), "zh-CN");
  assert.equal(localeFor("zh-Hans", ["zh-SG"]), "zh-SG");
  assert.deepEqual(LANGS.map((l) => l.id), langs);
});

test("messages, plurals and enum words follow the current language", () => {
  assert.equal(t("programmes.heading"), "Programmes");
  assert.equal(tn("count.applications", 1), "1 application");
  assert.equal(tn("count.applications", 12345n), "12,345 applications");
  assert.equal(stateLabel(State.UNDER_REVIEW), "Under review");
  assert.equal(stateLabel(42 as State), "State 42");
  assert.equal(roleLabel(Role.OFFICER), "Officer");
  assert.equal(regionLabel(Region.MACAO), "Macao");
  assert.equal(render(msg("detail.staleFor", { seconds: 25 })), "no message for 25 s");
  assert.equal(render("as it came"), "as it came");
  inLang("zh-Hant", () => {
    assert.equal(t("programmes.heading"), "資助計劃");
    assert.equal(tn("count.applications", 1), "1 宗申請");
    assert.equal(stateLabel(State.UNDER_REVIEW), "審核中");
    assert.equal(regionLabel(Region.MACAO), "澳門");
    assert.equal(reviewSettingsText({ requiredReviews: 3 }), "同行評審：每宗申請需 3 份評審");
    // A message object is worded when shown, in the language then current.
    assert.equal(render(msg("signout.revoked")), "你的 API 金鑰已被撤銷。");
  });
  inLang("zh-Hans", () => {
    assert.equal(t("programmes.heading"), "资助计划");
    assert.equal(stateLabel(State.SUBMITTED), "已提交");
    assert.equal(regionLabel(Region.GUANGDONG), "广东");
    assert.equal(roleLabel(Role.VIEWER), "查看者");
  });
});

test("numbers, money and dates are formatted for the locale", () => {
  const cny = { currencyCode: "CNY", units: 10_000_000n, nanos: 0 };
  const huge = { currencyCode: "HKD", units: 9_007_199_254_740_993n, nanos: 10_000_000 };
  const when = new Date(Date.UTC(2026, 11, 6, 7, 5, 9));
  const seen: Record<string, { money: string; hkd: string; date: string; dateTime: string; number: string }> = {};
  for (const lang of langs) {
    seen[lang] = inLang(lang, () => ({
      money: formatAmount(cny),
      hkd: formatAmount(huge),
      date: formatDate(when),
      dateTime: formatDateTime(when),
      number: formatNumber(1234567),
    }));
  }
  // The currency as each locale writes it; the digits exact.
  assert.equal(seen["en"]!.money, "CN¥10,000,000.00");
  assert.equal(seen["zh-Hant"]!.money, "CN¥10,000,000.00");
  assert.equal(seen["zh-Hans"]!.money, "¥10,000,000.00");
  for (const lang of langs) {
    assert.equal(seen[lang]!.hkd, "HK$9,007,199,254,740,993.01", lang);
    assert.equal(seen[lang]!.number, "1,234,567", lang);
  }
  // Dates differ by locale, and match Intl for that locale.
  assert.notEqual(seen["en"]!.date, seen["zh-Hans"]!.date);
  assert.notEqual(seen["en"]!.dateTime, seen["zh-Hant"]!.dateTime);
  assert.match(seen["zh-Hans"]!.date, /^2026年12月6日$/);
  assert.match(seen["zh-Hant"]!.date, /^2026年12月6日$/);
  assert.equal(seen["en"]!.dateTime, new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium" }).format(when));
  assert.equal(seen["zh-Hant"]!.dateTime, new Intl.DateTimeFormat("zh-HK", { dateStyle: "medium", timeStyle: "medium" }).format(when));
  assert.equal(seen["zh-Hans"]!.dateTime, new Intl.DateTimeFormat("zh-CN", { dateStyle: "medium", timeStyle: "medium" }).format(when));
  // The exact formatter agrees with Intl's own exact decimal formatting.
  for (const loc of ["en", "zh-HK", "zh-CN", "de-DE"]) {
    useLanguage("en", loc);
    try {
      const m = { currencyCode: "MOP", units: 7_407_407n, nanos: 340_000_000 };
      assert.equal(formatAmount(m), new Intl.NumberFormat(loc, { style: "currency", currency: "MOP" }).format(7407407.34), loc);
    } finally {
      useLanguage("en");
    }
  }
});

test("names: the page language's first, each falling back to the other", () => {
  const both = { displayName: "University of Macau", localName: "澳門大學" };
  assert.deepEqual(names(both, "en"), { primary: "University of Macau", primaryLang: "en", secondary: "澳門大學", secondaryLang: "zh" });
  assert.deepEqual(names(both, "zh-Hant", "zh-MO"), { primary: "澳門大學", primaryLang: "zh-MO", secondary: "University of Macau", secondaryLang: "en" });
  assert.equal(names({ displayName: "Only English", localName: "" }, "zh-Hans").primary, "Only English");
  assert.equal(names({ displayName: "Only English", localName: "" }, "zh-Hans").secondary, "");
  assert.equal(names({ displayName: "", localName: "中山大学" }, "en").primary, "中山大学");
  assert.equal(names({ displayName: "Same", localName: "Same" }, "en").secondary, "");
});

test("index.html: every data-i18n key is in the catalogue, with its English words", async () => {
  const { readFile } = await import("node:fs/promises");
  const html = await readFile(new URL("../src/index.html", import.meta.url), "utf8").catch(() => readFile("src/index.html", "utf8"));
  const en = CATALOGUES.en as Record<string, string>;
  const found = [...html.matchAll(/data-i18n="([^"]+)"[^>]*>([^<]*)</g)];
  assert.ok(found.length >= 20, `only ${found.length} data-i18n elements`);
  for (const [, key, text] of found) {
    assert.ok(key! in en, `index.html uses ${key}, which no catalogue has`);
    assert.equal(text, en[key!], `index.html's English for ${key}`);
  }
  for (const [, key] of html.matchAll(/data-i18n-aria-label="([^"]+)"/g)) assert.ok(key! in en, `index.html uses ${key}`);
});
