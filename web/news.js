// News of images finishing while the person looks elsewhere: the tab's title counts them while the
// tab is hidden, and a browser notification says so, if they allowed notifications. And how long an
// image of a kind takes, from what the images of that kind the page knows took.
import { computed } from "./vendor/vue.runtime.esm-browser.prod.js";
import { imageName, images } from "./store.js";
import { t } from "./i18n.js";

let finishedWhileHidden = 0;
let plainTitle = null;

/** The title as it reads with nothing to tell. */
function baseTitle() {
  if (plainTitle === null) plainTitle = document.title;
  return plainTitle;
}

function showCount() {
  document.title = finishedWhileHidden ? `(${finishedWhileHidden}) ${baseTitle()}` : baseTitle();
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  finishedWhileHidden = 0; // seen
  showCount();
});

/** Whether the browser may show notifications here, and has not been asked yet. */
export function mayAskToNotify() {
  return typeof Notification !== "undefined" && Notification.permission === "default";
}

/** Ask (on a click: browsers refuse an ask without one) to be notified when images finish. */
export async function askToNotify() {
  if (typeof Notification === "undefined") return "denied";
  return Notification.requestPermission();
}

/** An image the page was waiting for has finished (done or failed): told, if no one is looking. */
export function finished(image) {
  if (!document.hidden) return;
  finishedWhileHidden += 1;
  showCount();
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const done = image.status === "COMPLETED";
  const note = new Notification(t(done ? "image.ready" : "image.notMade"), {
    body: imageName(image),
    icon: done && image.thumbnailUrl ? image.thumbnailUrl : undefined,
    tag: image.id, // one notice per image, however often it is heard
  });
  note.onclick = () => {
    window.focus();
    note.close();
  };
}

/** The kind of an image, for how long images of it take: its model and size. */
function kindOf(image) {
  return `${image.model} ${image.imageSize}`;
}

/** About how many seconds an image of each kind (see kindOf) takes to make: the median of the latest
 * finished generated images of that kind among `known` (up to ten); a kind none of them is, absent. */
function expectedSeconds(known) {
  const took = new Map();
  for (const image of known) {
    if (image.type !== "GENERATED" || image.status !== "COMPLETED") continue;
    const seconds = (Date.parse(image.updatedAt) - Date.parse(image.createdAt)) / 1000;
    if (!(seconds > 0)) continue;
    const kind = kindOf(image);
    if (!took.has(kind)) took.set(kind, []);
    took.get(kind).push({ at: image.createdAt, seconds });
  }
  const expected = new Map();
  for (const [kind, times] of took) {
    const latest = times.sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 10).map((each) => each.seconds).sort((a, b) => a - b);
    expected.set(kind, Math.max(1, Math.round(latest[Math.floor(latest.length / 2)])));
  }
  return expected;
}

// How long each kind takes, worked out once for the whole page (the gallery's tiles, the open image)
// and again only when an image the page knows changes.
const expected = computed(() => expectedSeconds(images.values()));

/** About how many seconds an image like `image` takes to make; undefined if the page knows none of its kind. */
export function expectedFor(image) {
  return expected.value.get(kindOf(image));
}
