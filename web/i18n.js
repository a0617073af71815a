// The page's languages: every word a person reads comes from web/locales/<code>.json through
// vue-i18n (vendored, pinned in web/vendor/vendor.json). The languages are the configuration's
// (config.json `languages`, the template's Languages parameter; the first is the fallback): adding
// one is adding its file and its code there. Before sign-in the page speaks the browser's best
// match; once signed in, the user's profile language, on every device.
//
// vue-i18n compiles each message once into a tree it walks (its "JIT" mode), never into code, so
// the page's content security policy (no 'unsafe-eval') lets it run.
import { createI18n } from "./vendor/vue-i18n.esm-browser.prod.js";

const REMEMBERED = "imagegen.language"; // the language last shown to a signed-in user, for the first paint
/** The language the API writes its messages in (docs/api.md: `message` is English). */
export const API_LANGUAGE = "en";

/** vue-i18n's choice among a message's forms ("one | other", or "zero | one | other") by the
 * language's own plural rules (Intl), so a language is added without code for its plurals. */
function pluralRule(language) {
  const rules = new Intl.PluralRules(language);
  return (count, forms) => {
    if (forms === 3 && count === 0) return 0;
    const other = rules.select(count) === "one" ? 0 : 1;
    return forms === 3 ? other + 1 : Math.min(other, forms - 1);
  };
}

// Each language's plural rule, filled in as it is first spoken (vue-i18n keeps this object, not a copy).
const pluralRules = {};

export const i18n = createI18n({
  legacy: false,
  globalInjection: true, // $t in every template
  locale: "en",
  fallbackLocale: "en",
  messages: {},
  pluralRules,
  missingWarn: false,
  fallbackWarn: false,
});

/** A message in the page's language: `t("gallery.heading")`, `t("common.coins", { amount }, count)`. */
export const t = (...args) => i18n.global.t(...args);

/** Whether the page's language has the message `key` (an API code it may not know, say). */
export const has = (key) => i18n.global.te(key) || i18n.global.te(key, i18n.global.fallbackLocale.value);

let languages = ["en"]; // the configuration's, once read
const loaded = new Map(); // language -> its messages being read, once

function load(language) {
  if (!loaded.has(language)) {
    const reading = fetch(`locales/${language}.json`).then((response) => {
      if (!response.ok) throw new Error(`locales/${language}.json: HTTP ${response.status}`);
      return response.json();
    });
    loaded.set(language, reading);
    reading.catch(() => loaded.delete(language)); // asked again next time
  }
  return loaded.get(language);
}

/** The page's languages, as configured: the first is the fallback. */
export function pageLanguages() {
  return languages;
}

/** The language shown now ("en", "es"). */
export function language() {
  return i18n.global.locale.value;
}

/** Of the configured languages, the best for these (a browser's `navigator.languages`, an
 * Accept-Language's order): the first whose language matches ("es-MX" is "es"), else the fallback. */
export function bestOf(wanted) {
  for (const tag of wanted) {
    const primary = String(tag).toLowerCase().split("-")[0];
    if (languages.includes(primary)) return primary;
  }
  return languages[0];
}

/** Speak `code` (one of the configured languages, else the fallback): its messages read if not yet,
 * `<html lang>` set, every view's words changed at once. */
export async function speak(code) {
  const chosen = languages.includes(code) ? code : languages[0];
  const fallback = languages[0];
  const [messages, fallbackMessages] = await Promise.all([load(chosen), load(fallback)]);
  i18n.global.setLocaleMessage(fallback, fallbackMessages);
  i18n.global.setLocaleMessage(chosen, messages);
  pluralRules[chosen] ||= pluralRule(chosen);
  i18n.global.locale.value = chosen;
  document.documentElement.lang = chosen;
  return chosen;
}

/** Remember the signed-in user's language for this browser's next first paint (null: forget it). */
export function remember(code) {
  if (code) localStorage.setItem(REMEMBERED, code);
  else localStorage.removeItem(REMEMBERED);
}

/** The page's first language: the one last shown to the user still signed in here, else the browser's. */
export function firstLanguage(config, signedIn) {
  languages = config.languages && config.languages.length ? config.languages : ["en"];
  i18n.global.fallbackLocale.value = languages[0];
  const remembered = signedIn ? localStorage.getItem(REMEMBERED) : null;
  return remembered && languages.includes(remembered) ? remembered : bestOf(navigator.languages || [navigator.language]);
}

/** The locales to format numbers, money and dates for the page's language: the reader's own variant
 * of it first when the browser names one (es-MX writes money as Mexico does), else the language. */
export function formatLocales() {
  const code = language();
  const variants = (navigator.languages || []).filter((tag) => tag.toLowerCase().split("-")[0] === code);
  return [...variants, code];
}

/** A language's name in itself, for the language menu: "English", "Español". */
export function nativeName(code) {
  const name = new Intl.DisplayNames([code], { type: "language" }).of(code) || code;
  return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
}
