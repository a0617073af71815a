// The gallery: newest first, page by page through the cursor, filtered, each image once, unfinished ones polled.
import { SessionEnded } from "../api.js";
import { pagedList } from "../paged-list.js";
import { deletedListeners, forget, imageName, images, isReference, madeListeners, refreshUser, remember, state, toggleReference, UNFINISHED } from "../store.js";
import { failure, imageKind, imageStatus, references, STATUS_FILTER, TYPE_FILTER, words } from "../words.js";
import { Detail } from "./detail.js";
import { render } from "./gallery.render.js"; // its markup: gallery.template.html, compiled by `make templates`

const PAGE_SIZE = 24;
const POLL_FIRST_MS = 1000; // unfinished images are polled, backing off while nothing changes
const POLL_MOST_MS = 15000;

export const Gallery = {
  components: { Detail },
  mixins: [pagedList((query) => state.api.listImages(query), "images", { query: (view) => ({ type: view.type, status: view.status }), size: PAGE_SIZE, keep: remember })],
  data: () => ({ opened: null, type: "", status: "", pollMs: POLL_FIRST_MS }),
  setup: () => ({ types: TYPE_FILTER, statuses: STATUS_FILTER, words }),
  created() {
    this.pollTimer = null;
  },
  mounted() {
    this.listen = (image) => this.added(image);
    madeListeners.add(this.listen);
    this.hearDeleted = (id) => this.unlist(id);
    deletedListeners.add(this.hearDeleted);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.more();
    });
    this.observer.observe(this.$refs.end);
  },
  unmounted() {
    this.gone = true; // loads and polls still under way stop when they answer
    madeListeners.delete(this.listen);
    deletedListeners.delete(this.hearDeleted);
    this.observer.disconnect();
    clearTimeout(this.pollTimer);
  },
  computed: {
    /** Whether the open image has a neighbour in the gallery to step to, before and after it. */
    steps() {
      if (!this.opened) return null;
      const at = this.items.findIndex((image) => image.id === this.opened.id);
      return { back: at > 0, on: at >= 0 && at < this.items.length - 1 };
    },
  },
  methods: {
    /** Show the gallery's previous (-1) or next (1) image in the open one's place, reading on near the end. */
    step(by) {
      const at = this.items.findIndex((image) => image.id === this.opened.id) + by;
      if (this.items[at]) this.opened = this.items[at];
      if (at >= this.items.length - 3) this.more();
    },
    /** Whether the filters ask for this image. */
    fits(image) {
      return (!this.type || image.type === this.type) && (!this.status || image.status === this.status);
    },
    added(image) {
      if (this.fits(image)) this.list(image, true);
      this.poll(true);
    },
    /** An image that changed: listed if it now fits the filters (a new image that just failed), unlisted if it no longer does. */
    refit(image) {
      if (this.fits(image)) this.list(image, true);
      else if (this.seen.has(image.id)) this.unlist(image.id);
    },
    /** A page shown: poll what is unfinished, and ask the end of the list whether it is still in view. */
    loaded() {
      this.poll(true);
      const end = this.$refs.end; // gone if the gallery was left meanwhile
      if (!end) return;
      // Observed again, the end says at once whether it is still in view (a page that did not fill it).
      this.observer.unobserve(end);
      this.observer.observe(end);
    },
    /** Poll the unfinished images, sooner after a change, later while nothing changes. */
    poll(soon = false) {
      clearTimeout(this.pollTimer);
      if (this.gone) return;
      if (soon) this.pollMs = POLL_FIRST_MS;
      const unfinished = () => [...images.values()].filter((image) => UNFINISHED.has(image.status));
      if (unfinished().length === 0) return;
      this.pollTimer = setTimeout(async () => {
        let changed = false;
        let refunded = false;
        for (const image of unfinished()) {
          try {
            const fresh = (await state.api.getImage(image.id)).image;
            changed = changed || fresh.status !== image.status || fresh.thumbnailUrl !== image.thumbnailUrl;
            this.refit(remember(fresh));
            if (fresh.status === "FAILED" && fresh.coinsRefunded) refunded = true;
          } catch (error) {
            if (error instanceof SessionEnded) return;
            if (error.status === 404) forget(image.id);
          }
        }
        if (refunded) await refreshUser(); // the coins came back: show the balance as it is now
        this.pollMs = changed ? POLL_FIRST_MS : Math.min(this.pollMs * 2, POLL_MOST_MS);
        this.poll();
      }, this.pollMs);
    },
    /** Closed, the dialog leaves the focus on the tile of the image it showed last (it may have stepped). */
    closed() {
      const id = this.opened.id;
      this.opened = null;
      this.$nextTick(() => {
        const opener = this.$el.querySelector(`.tile[data-id="${CSS.escape(id)}"] .frame`);
        if (opener) opener.focus();
      });
    },
    /** After a deletion here the focus goes to the next image (or the one before, or the heading), not nowhere. */
    deleted(id) {
      const at = Math.max(0, this.items.findIndex((image) => image.id === id));
      this.unlist(id);
      this.$nextTick(() => {
        const openers = this.$el.querySelectorAll(".tile .frame");
        (openers[Math.min(at, openers.length - 1)] || this.$refs.heading).focus();
      });
    },
    isReference,
    toggleReference,
    /** The image's width / height: measured once processed, else the ratio it was asked in. */
    ratio(image) {
      const size = image.metadata;
      if (size && size.width && size.height) return size.width / size.height;
      const [width, height] = (image.aspectRatio || "1:1").split(":").map(Number);
      return width / height;
    },
    label: imageName,
    failure,
    imageKind,
    imageStatus,
    references,
  },
  render,
};
