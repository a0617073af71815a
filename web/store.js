// What the whole page shares: the session's user, the models, the coin packs, the images and orders
// it knows (one object each, updated in place wherever it is shown) and the references picked for
// the next request.
import { reactive } from "./vendor/vue.runtime.esm-browser.prod.js";
import { formatLocales, t } from "./i18n.js";
import { coins, errorWords } from "./words.js";

export { coins };

export const UNFINISHED = new Set(["PENDING", "PROCESSING"]);

// `references`: the images picked ("Use as reference") for the next generation or edit, in order.
// `packs`: the coin packs on sale; null until read, [] when coins cannot be bought (payments off).
// `remix`: a request ({source, body}, see requestOf) to load into the create form, to change and send.
export const state = reactive({ config: null, api: null, user: null, ended: "", models: [], packs: null, references: [], remix: null });
// Every image the page knows, by id: one object per image, updated in place wherever it is shown.
export const images = reactive(new Map());

// The images deleted while the page is open, by id (the coin history still names them).
export const deleted = reactive(new Set());
// Every order the page knows, by id (the coin history names the order of a purchase, a refund, a dispute).
export const orders = reactive(new Map());

// Whoever shows new images (the gallery) hears of each one made, wherever it was made, even when
// the view that made it is gone by the time the API answered; and of each one deleted.
export const madeListeners = new Set();
export const deletedListeners = new Set();
// Whoever lists images by what they are (the gallery, by its filters) hears of each one changed
// here (starred, renamed), wherever it was changed.
export const changedListeners = new Set();

export function made(image) {
  remember(image);
  for (const listener of madeListeners) listener(image);
}

/** The images one request made (its variations, in order): shown together, newest first as the
 * gallery lists them (a variation's id sorts after the one before). */
export function madeAll(images) {
  for (const image of images) made(image);
}

/** The request that made a generated image, as it was made: the source it edits (null for a new
 * image), and the body: prompt, model, size, ratio, references and how many variations. */
export function requestOf(image) {
  const body = { prompt: image.prompt, model: image.model, imageSize: image.imageSize, aspectRatio: image.aspectRatio, count: image.batchSize || 1 };
  if (image.referenceImageIds && image.referenceImageIds.length) body.referenceImageIds = [...image.referenceImageIds];
  return { source: image.parentImageId || null, body };
}

/** An image changed on the page (starred, renamed): its one object updated, and whoever lists images told. */
export function changed(image) {
  const known = remember(image);
  for (const listener of changedListeners) listener(known);
  return known;
}

// Stars on their way to the service, by image id: `turn` counts the clicks, so that only the last
// one's answer is shown; `saved` is the star the service last said it has. While one is on its way,
// the image keeps the star as clicked whatever a read of it sent earlier says (see remember).
const starring = new Map();

/** The star shown on an image, wherever the image is, and whoever lists images told. */
function showStar(known, favorite) {
  known.favorite = favorite;
  for (const listener of changedListeners) listener(known);
}

/**
 * Star an image (`favorite`: false takes the star off): shown at once wherever the image is, then
 * saved. If it cannot be saved, the star goes back to what the service has and the error is thrown.
 * Clicked again before the answer, only the last click's outcome counts (an earlier one's answer or
 * failure changes nothing shown).
 */
export async function star(image, favorite) {
  const known = remember(image);
  const pending = starring.get(known.id) || { turn: 0, saved: Boolean(known.favorite) };
  starring.set(known.id, pending);
  const turn = (pending.turn += 1);
  showStar(known, favorite);
  // Deleted, or signed out of, meanwhile: the answer is of an image the page no longer shows.
  const shown = () => images.get(known.id) === known;
  try {
    const saved = (await state.api.updateImage(known.id, { favorite })).image;
    pending.saved = Boolean(saved.favorite);
    if (turn !== pending.turn) return; // a later click decides what is shown
    starring.delete(known.id);
    if (shown()) changed(saved);
  } catch (error) {
    if (turn !== pending.turn) return;
    starring.delete(known.id);
    if (shown()) showStar(known, pending.saved);
    throw error;
  }
}

/** An image deleted: gone from everywhere the page shows it (gallery, picked references). */
export function forget(id) {
  images.delete(id);
  deleted.add(id);
  const picked = state.references.findIndex((image) => image.id === id);
  if (picked >= 0) state.references.splice(picked, 1);
  for (const listener of deletedListeners) listener(id);
}

/** The user as the API has them now: after answers that may have crossed (several uploads at once,
 * each answering with the balance it left), or a refund the page did not ask for. */
export async function refreshUser() {
  try {
    updateUser((await state.api.me()).user);
  } catch {
    // keep what is shown: a session that ended is handled where the API is called
  }
}

/** The signed-in user as an answer gives them (their balance after a charge), unless they signed
 * out while it was on its way: an answer never signs anyone back in. */
export function updateUser(user) {
  if (state.user && state.user.id === user.id) state.user = { ...state.user, ...user };
}

/** What the page knew of the user who signed out: nothing of it is shown to the next one. */
export function forgetUser() {
  state.user = null;
  state.references.splice(0);
  state.remix = null;
  images.clear();
  deleted.clear();
  orders.clear();
}

export function isReference(image) {
  return state.references.some((picked) => picked.id === image.id);
}

export function toggleReference(image) {
  const at = state.references.findIndex((picked) => picked.id === image.id);
  if (at >= 0) state.references.splice(at, 1);
  else state.references.push(remember(image));
}

// The longer side of each image size, in pixels: the service's models.catalog.LONGER_SIDE, which
// picks an edit's default size by the same rule (tests/unit/web/test_sizes.py holds them together).
export const LONGER_SIDE = { "1K": 1024, "2K": 2048, "4K": 4096 };

/** The size among `sizes` nearest an image of `metadata`'s pixels (its longer side, compared as
 * logarithms, the smaller on a tie): what an edit keeps by default, as the service decides it. */
export function nearestSize(sizes, metadata) {
  if (!metadata || !metadata.width || !metadata.height || sizes.length === 0) return null;
  const wanted = Math.log(Math.max(metadata.width, metadata.height));
  const distance = (size) => Math.abs(Math.log(LONGER_SIDE[size]) - wanted);
  return [...sizes].sort((a, b) => distance(a) - distance(b) || LONGER_SIDE[a] - LONGER_SIDE[b])[0];
}

/** The model catalog, fetched once per page. */
export async function loadModels() {
  if (state.models.length === 0) {
    state.models = (await state.api.listModels()).models;
  }
  return state.models;
}

/** The catalog's default model (the first, if none says so). */
export function defaultModel() {
  return state.models.find((model) => model.default) || state.models[0];
}

/** What an image is called wherever it is shown: its title, else its prompt. */
export function imageName(image) {
  return image.title || image.prompt || t("common.untitled");
}

export function modelName(id) {
  const model = state.models.find((each) => each.id === id);
  return model ? model.name : id;
}

/** An image as an answer has it: the page's one object for it, updated in place (keeping a star on
 * its way to the service as it was clicked, not as an answer read before it says). */
export function remember(image) {
  const known = images.get(image.id);
  if (known) {
    Object.assign(known, image, starring.has(image.id) ? { favorite: known.favorite } : {});
    return known;
  }
  images.set(image.id, { ...image });
  return images.get(image.id);
}

/** The message to show for an error, in the reader's language by its code (and what to do about
 * running out of coins: where coins can be bought, the control shows a "Buy coins" link beside it,
 * see `offersPacks`). */
export function said(error) {
  if (error && error.code === "INSUFFICIENT_COINS") {
    if (state.user && Number.isInteger(error.details.balance)) state.user.coins = error.details.balance;
    if (!canBuy()) return `${errorWords(error)} ${t("errors.askForCoins")}`;
  }
  // fetch's own failure ("Failed to fetch", "Load failed"): the service was not reached.
  if (error instanceof TypeError) return t("errors.UNREACHABLE");
  return errorWords(error);
}

/** Whether an error is a 402 to answer with the packs ("Buy coins" beside it). */
export function offersPacks(error) {
  return Boolean(error && error.code === "INSUFFICIENT_COINS" && canBuy());
}

/** The coin packs on sale, read once per page ([] where the service sells none: its payment routes
 * are off, 404). A failure to read them is not remembered: the next call asks again. */
export async function loadPacks() {
  if (state.packs === null) {
    try {
      state.packs = (await state.api.coinPacks()).packs;
    } catch (error) {
      if (error.status !== 404) throw error;
      state.packs = [];
    }
  }
  return state.packs;
}

/** Whether coins can be bought here (packs on sale). */
export function canBuy() {
  return Array.isArray(state.packs) && state.packs.length > 0;
}

/** A pack's name by its id (an order names its pack by id; a pack no longer on sale, by that id). */
export function packName(id) {
  const pack = (state.packs || []).find((each) => each.id === id);
  return pack ? pack.name : id;
}

export function rememberOrder(order) {
  const known = orders.get(order.id);
  if (known) {
    Object.assign(known, order);
    return known;
  }
  orders.set(order.id, { ...order });
  return orders.get(order.id);
}

// Stripe's minor units (the API's `price.amount`): most currencies in hundredths, these in whole
// units or thousandths (https://docs.stripe.com/currencies#zero-decimal). Not what Intl shows: it
// writes HUF and ISK without decimals, which Stripe counts in hundredths all the same.
const WHOLE_UNITS = new Set("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split(" "));
const THOUSANDTHS = new Set("bhd jod kwd omr tnd".split(" "));

/** An amount in a currency's minor unit as the reader writes money: `money({amount: 199, currency: "usd"})`
 * is "$1.99" in the US, "1,99 $US" in France. */
export function money({ amount, currency }) {
  const code = currency.toLowerCase();
  const exponent = WHOLE_UNITS.has(code) ? 0 : THOUSANDTHS.has(code) ? 3 : 2;
  return new Intl.NumberFormat(formatLocales(), { style: "currency", currency: code.toUpperCase() }).format(amount / 10 ** exponent);
}

/** When something happened, to the minute, as the reader's language writes dates. */
export function when(iso) {
  return new Date(iso).toLocaleString(formatLocales(), { dateStyle: "medium", timeStyle: "short" });
}

const UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** How long ago something happened, in the reader's language: "5 minutes ago", "hace 5 minutos". */
export function ago(iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const [unit, size] = UNITS.find(([, length]) => Math.abs(seconds) >= length) || UNITS[UNITS.length - 1];
  return new Intl.RelativeTimeFormat(formatLocales(), { numeric: "auto" }).format(Math.round(seconds / size), unit);
}

// Why the service ended a session, by its error's code, in the words the sign-in page says it with.
const ENDED_BECAUSE = { TOKEN_EXPIRED: "session.expired", ACCOUNT_SUSPENDED: "session.suspended" };

/** The service ended the session: the sign-in page, saying so. */
export function endSession(error) {
  forgetUser();
  state.ended = ENDED_BECAUSE[error.code] || "session.signedOut";
}
