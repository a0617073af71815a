// The page's address: the view shown (#coins, #admin; the gallery without one) and the image open
// (#image/<id>), so a reload keeps the place, the back button goes back (closing an open image
// first) and an image opened from a link closes onto the page, not out of it.

const VIEWS = new Set(["gallery", "coins", "admin"]);

/** Where the address points: `{ view }`, or `{ image }` (an image's id; the view stays as it is). */
export function placeOf(hash = window.location.hash) {
  const [kind, id] = hash.replace(/^#/, "").split("/");
  if (kind === "image" && id) return { image: decodeURIComponent(id), view: null };
  return { image: null, view: VIEWS.has(kind) ? kind : "gallery" };
}

/** Show `view` in the address, as a step the back button undoes. */
export function addressView(view) {
  if (placeOf().view !== view) window.location.hash = view === "gallery" ? "" : view;
}

/** The address of an open image: pushed (back closes it), or kept if the page was opened at it.
 * Returns what closing the image does to the address. */
export function addressImage(id) {
  const address = `#image/${encodeURIComponent(id)}`;
  if (window.location.hash === address) {
    return () => window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  window.history.pushState({ image: id }, "", address);
  return () => {
    if (placeOf().image === id) window.history.back();
  };
}
