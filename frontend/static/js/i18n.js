// UI strings: the page names its language's catalogue (<meta name="i18n">, /i18n/<lang>.json?v=<hash>,
// cached for a year); every module importing t() waits for it once (top-level await).
const RULES = { vi: () => 0, en: (n) => (n === 1 ? 0 : 1) }; // the Plural-Forms of locale/*/messages.po

async function load() {
  const meta = document.querySelector('meta[name="i18n"]');
  if (!meta) return {};
  try {
    const response = await fetch(meta.content, { credentials: "same-origin" });
    return response.ok ? (await response.json()).messages : {};
  } catch {
    return {};
  }
}

const table = await load();

export function lang() {
  return document.documentElement.lang === "en" ? "en" : "vi";
}

/** t("live.quorum_no", {required: 18, total: 27}) → text with {placeholders} filled in; a key with plural
 *  forms picks one by params.n (or params.count). */
export function t(key, params) {
  let text = table[key] ?? key;
  if (Array.isArray(text)) {
    const n = Number(params?.n ?? params?.count ?? 1);
    text = text[Math.min(RULES[lang()](n), text.length - 1)] ?? key;
  }
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
