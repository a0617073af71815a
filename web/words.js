// The page's words for what the API says in codes: an image's status and kind, why it failed, the
// coin history's entries, an order's status, a role, an error. The API's codes (COMPLETED,
// MODEL_REFUSED, INSUFFICIENT_COINS...) stay in the API: a person reads these, in their language
// (web/locales, through i18n.js). Numbers are written as the reader's language writes them.
import { API_LANGUAGE, formatLocales, has, language, t } from "./i18n.js";

/** A number as the page's language writes it: "1,500" in English, "1500" or "1.500" in Spanish. */
export function number(value) {
  return new Intl.NumberFormat(formatLocales()).format(value);
}

/** "1 coin", "1,250 coins"; "1 moneda", "1250 monedas". */
export function coins(amount) {
  return t("common.coins", { amount: number(amount) }, Math.abs(amount));
}

/** "about 20 s", "about 3 min": how long an image of its kind usually takes. */
export function about(seconds) {
  const [value, unit] = seconds < 90 ? [seconds, "second"] : [Math.round(seconds / 60), "minute"];
  const duration = new Intl.NumberFormat(formatLocales(), { style: "unit", unit, unitDisplay: "short" }).format(value);
  return t("common.about", { duration });
}

/** A few prompts to start from, each with a short name (one click puts its prompt in the box), in
 * the page's language. */
const EXAMPLES = ["lighthouse", "fox", "nook", "market"];
export function examplePrompts() {
  return EXAMPLES.map((key) => ({ name: t(`create.example.${key}.name`), prompt: t(`create.example.${key}.prompt`) }));
}

// ------------------------------------------------------------------------------ images

/** Where an image stands: "Working on it", "Done"... */
export function imageStatus(image) {
  const type = image.type === "UPLOADED" ? "UPLOADED" : "GENERATED";
  const key = `image.status.${type}.${image.status}`;
  return has(key) ? t(key) : t(`image.status.${type}.PROCESSING`);
}

/** The gallery's filters, by the API's values: [value, words] ("" for any). */
export function typeFilter() {
  return [["", t("gallery.types.all")], ...["GENERATED", "UPLOADED"].map((type) => [type, t(`gallery.types.${type}`)])];
}
export function statusFilter() {
  const statuses = ["COMPLETED", "PENDING", "PROCESSING", "FAILED"];
  return [["", t("gallery.statuses.any")], ...statuses.map((status) => [status, t(`gallery.statuses.${status}`)])];
}

/** What an image is: "Generated", "Edited" (an edit of another image), "Uploaded". */
export function imageKind(image) {
  if (image.type === "UPLOADED") return t("image.kind.uploaded");
  return t(image.parentImageId ? "image.kind.edited" : "image.kind.generated");
}

/** "1 reference", "3 references". */
export function references(count) {
  return t("image.references", { count: number(count) }, count);
}

/** Why a FAILED image failed, in plain words, and its coins back: "The model would not draw this
 * prompt; your 100 coins are back." By the image's `errorCode`; one the page does not know
 * (newer than it), or an image failed before codes, is said in general (never parsed from `error`). */
export function failure(image) {
  const key = `image.failure.${image.errorCode}`;
  const cause = image.errorCode && has(key) ? t(key) : t(image.type === "UPLOADED" ? "image.failure.uploaded" : "image.failure.generated");
  if (!image.coinsRefunded) return t("image.failed", { cause });
  return t("image.failedRefunded", { cause, coins: coins(image.coinsRefunded) }, image.coinsRefunded);
}

/** A file the bucket would not take (its own reason is the storage's, not a person's), with its
 * coins back (`refunded`) or coming (null). */
export function uploadRefused(refunded) {
  return refunded === null ? t("upload.refused") : t("upload.refusedRefunded", { coins: coins(refunded) }, refunded);
}

// ------------------------------------------------------------------------------ coins

/** A coin history entry, in words: `image` is the image it concerns, if known; `pack` the name of the
 * pack of its order, if known. */
export function ledgerEntry(entry, { image = undefined, pack = undefined } = {}) {
  switch (entry.reason) {
    case "generate":
      if (!image) return t("ledger.generateOrEdit");
      return t(image.parentImageId ? "ledger.edit" : "ledger.newImage");
    case "refund":
      if (image && image.status === "FAILED") return t(image.type === "UPLOADED" ? "ledger.refundUpload" : "ledger.refundImage");
      return t("ledger.refund");
    case "grant":
      return t(entry.amount < 0 ? "ledger.taken" : "ledger.granted");
    case "purchase":
      return pack ? t("ledger.purchaseOf", { pack }) : t("ledger.purchase");
    default:
      if (["welcome", "upload", "purchase_refund", "dispute", "dispute_won"].includes(entry.reason)) return t(`ledger.${entry.reason}`);
      return t(entry.amount < 0 ? "ledger.otherTaken" : "ledger.otherAdded");
  }
}

// ------------------------------------------------------------------------------ orders

/** An order's status in words; `refunded`: the money refunded of a paid one, written ("$1.99"), or "". */
export function orderStatus(order, refunded = "") {
  if (order.status === "PAID" && refunded) return t("orders.paidRefunded", { refunded });
  const key = `orders.status.${order.status}`;
  return has(key) ? t(key) : t("orders.status.CREATED");
}

/** The outcome of a purchase, as [heading, sentence]: `outcome` is where it stands (order.js), `got`
 * the coins it buys ("500 coins"), `balance` the balance after it (or null). */
export function orderOutcome(outcome, got, balance) {
  const named = { coins: got, balance: balance === null ? "" : coins(balance) };
  const text = outcome === "paid" && balance === null ? "" : t(`order.outcome.${outcome}.text`, named);
  return [t(`order.outcome.${outcome}.heading`, named), text];
}

// ------------------------------------------------------------------------------ people

/** A user's roles in words: "Admin", "User". */
export function roleNames(list) {
  return t(list.includes("ADMIN") ? "admin.role.ADMIN" : "admin.role.USER");
}

/** Whether a user's account is suspended, or being deleted, in words: "Suspended", "Being deleted",
 * "Active". */
export function userStatus(user) {
  return t(["SUSPENDED", "DELETING"].includes(user.status) ? `admin.status.${user.status}` : "admin.status.ACTIVE");
}

// ------------------------------------------------------------------------------ errors

/** An error the API (or the page) gave, in the reader's language. The API writes its messages in
 * English, with what only the service knows ("This costs 100 coins and the balance is 50."): a reader
 * of English reads them as written. Any other reader reads their language's words for the error's
 * code, with its details; a code the page does not know, in the API's words. */
export function errorWords(error) {
  const code = error && error.code;
  const details = (error && error.details) || {};
  if (error && error.fromApi && error.message && language() === API_LANGUAGE) {
    const fields = code === "VALIDATION_ERROR" && Array.isArray(details.fields) ? details.fields.map((field) => field.message) : [];
    return [error.message, ...fields].join(" ");
  }
  if (code === "INSUFFICIENT_COINS") {
    if (Number.isInteger(details.required) && Number.isInteger(details.balance)) {
      return t("errors.INSUFFICIENT_COINS", { required: coins(details.required), balance: coins(details.balance) });
    }
    return t("errors.INSUFFICIENT_COINS_plain");
  }
  if (code === "VALIDATION_ERROR" && Array.isArray(details.fields) && details.fields.length) {
    const fields = [...new Set(details.fields.map((field) => field.field).filter(Boolean))];
    if (fields.length) return t("errors.VALIDATION_ERROR_fields", { fields: fields.join(", ") });
  }
  if (code === "RATE_LIMITED" && Number.isInteger(details.retryAfter)) return t("errors.RATE_LIMITED_wait", { seconds: number(details.retryAfter) });
  if (code === "FILE_UNAVAILABLE") return t("errors.FILE_UNAVAILABLE", { name: details.name });
  if (code && has(`errors.${code}`)) return t(`errors.${code}`);
  return (error && error.message) || t("errors.unknown");
}
