// The page's address: the view shown (#coins, #buy, #profile, #admin; the gallery without one), the image open
// (#image/<id>) and the order come back from Stripe's checkout (#order/<id>, #order/<id>/cancelled:
// the Buy coins view with that order's outcome), so a reload keeps the place, the back button goes
// back (closing an open image first) and an image opened from a link closes onto the page, not out of it.

const VIEWS = new Set(["gallery", "coins", "buy", "profile", "admin"]);

/** Where the address points: `{ view }`, `{ image }` (an image's id; the view stays as it is), or
 * the Buy coins view with `{ order: { id, cancelled } }`. */
export function placeOf(hash = window.location.hash) {
  const [kind, id, after] = hash.replace(/^#/, "").split("/");
  if (kind === "image" && id) return { image: decodeURIComponent(id), view: null, order: null };
  if (kind === "order" && id) {
    return { image: null, view: "buy", order: { id: decodeURIComponent(id), cancelled: after === "cancelled" } };
  }
  return { image: null, view: VIEWS.has(kind) ? kind : "gallery", order: null };
}

/** Show `view` in the address, as a step the back button undoes (from an order's outcome too). */
export function addressView(view) {
  const target = view === "gallery" ? "" : view;
  if (window.location.hash.replace(/^#/, "") !== target) window.location.hash = target;
}

/** The address of an order's outcome (where Stripe's checkout sends the buyer back). */
export function orderAddress(id) {
  return `#order/${encodeURIComponent(id)}`;
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
