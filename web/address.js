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

const imageAddress = (id) => `#image/${encodeURIComponent(id)}`;

/** The address of an image opened: a step the back button undoes, unless the page was opened at
 * it (a link). `show` puts another image in its place (the same step); `leave` closes it. */
export function addressImage(id) {
  const linked = window.location.hash === imageAddress(id);
  if (!linked) window.history.pushState({ image: id }, "", imageAddress(id));
  return {
    show(next) {
      window.history.replaceState({ image: next }, "", imageAddress(next));
    },
    leave() {
      if (placeOf().image === null) return; // the back button closed it
      if (linked) window.history.replaceState(null, "", window.location.pathname + window.location.search);
      else window.history.back();
    },
  };
}
