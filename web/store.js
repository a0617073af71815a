// What the whole page shares: the session's user, the models, the images it knows (one object per
// image, updated in place wherever it is shown) and the references picked for the next request.
import { reactive } from "./vendor/vue.runtime.esm-browser.prod.js";

export const UNFINISHED = new Set(["PENDING", "PROCESSING"]);

// `references`: the images picked ("Use as reference") for the next generation or edit, in order.
export const state = reactive({ config: null, api: null, user: null, ended: "", models: [], references: [] });
// Every image the page knows, by id: one object per image, updated in place wherever it is shown.
export const images = reactive(new Map());

// The images deleted while the page is open, by id (the coin history still names them).
export const deleted = reactive(new Set());

// Whoever shows new images (the gallery) hears of each one made, wherever it was made, even when
// the view that made it is gone by the time the API answered; and of each one deleted.
export const madeListeners = new Set();
export const deletedListeners = new Set();

export function made(image) {
  remember(image);
  for (const listener of madeListeners) listener(image);
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
    updateUser((await state.api.request("GET", "/auth/me")).user);
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
  images.clear();
  deleted.clear();
}

export function isReference(image) {
  return state.references.some((picked) => picked.id === image.id);
}

export function toggleReference(image) {
  const at = state.references.findIndex((picked) => picked.id === image.id);
  if (at >= 0) state.references.splice(at, 1);
  else state.references.push(remember(image));
}

/** The model catalog, fetched once per page. */
export async function loadModels() {
  if (state.models.length === 0) {
    state.models = (await state.api.request("GET", "/models", undefined, { anonymous: true })).models;
  }
  return state.models;
}

/** The catalog's default model (the first, if none says so). */
export function defaultModel() {
  return state.models.find((model) => model.default) || state.models[0];
}

/** What an image is called wherever it is shown: its title, else its prompt. */
export function imageName(image) {
  return image.title || image.prompt || "Untitled";
}

export function modelName(id) {
  const model = state.models.find((each) => each.id === id);
  return model ? model.name : id;
}

export function remember(image) {
  const known = images.get(image.id);
  if (known) {
    Object.assign(known, image);
    return known;
  }
  images.set(image.id, { ...image });
  return images.get(image.id);
}

/** The message to show for an error, in the API's words (and what to do about running out of coins). */
export function said(error) {
  if (error && error.code === "VALIDATION_ERROR" && Array.isArray(error.details.fields)) {
    return [error.message, ...error.details.fields.map((field) => field.message)].join(" ");
  }
  if (error && error.code === "INSUFFICIENT_COINS") {
    if (state.user && Number.isInteger(error.details.balance)) state.user.coins = error.details.balance;
    return `${error.message} Ask an admin for coins; a generation or upload that fails gives its coins back.`;
  }
  return (error && error.message) || "Something went wrong.";
}

export function endSession(error) {
  forgetUser();
  const why = error.message ? `${error.message[0].toLowerCase()}${error.message.slice(1)}` : "sign in again.";
  state.ended = error.code === "TOKEN_EXPIRED" ? "Your session expired: sign in again." : `You were signed out: ${why}`;
}

/** "1 coin", "250 coins". */
export function coins(amount) {
  return `${amount} ${Math.abs(amount) === 1 ? "coin" : "coins"}`;
}
