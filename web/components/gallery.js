// The gallery: newest first, page by page through the cursor, filtered and searched, each image once,
// unfinished ones polled, each starred from its tile. An edit thread's versions share one tile (its
// newest version shown); tiles selected together are downloaded as one zip or deleted at once.
import { SessionEnded } from "../api.js";
import { downloadZip, zipName } from "../downloads.js";
import { pagedList } from "../paged-list.js";
import {
  changedListeners,
  deletedListeners,
  forget,
  imageName,
  images,
  isReference,
  madeListeners,
  refreshUser,
  remember,
  said,
  star,
  state,
  toggleReference,
  UNFINISHED,
} from "../store.js";
import { t } from "../i18n.js";
import { about, failure, imageKind, imageStatus, number, references, statusFilter, typeFilter } from "../words.js";
import { askToNotify, expectedFor, finished, mayAskToNotify } from "../news.js";
import { Detail } from "./detail.js";
import { render } from "./gallery.render.js"; // its markup: gallery.template.html, compiled by `make templates`

const PAGE_SIZE = 24;
// While any image is unfinished, the newest page is read this often (one request, however many are
// being made), so a change shows within 2 s. Push (a WebSocket API, its connections table, and the
// pipeline telling it) would save at most this delay; a generation takes 10-60 s, so about 20 reads.
const POLL_MS = 1500;
const SEARCH_DELAY_MS = 300; // typing is searched once it pauses (Enter searches at once)
const AT_ONCE = 4; // a selection's reads or deletions on their way together

/** The thread an image's tile stands for: its edit thread, or the image alone (an upload from before threads). */
function threadOf(image) {
  return image.threadId || image.id;
}

/** Every version of the thread of image `id`, the page's one object for each, newest first. */
async function versionsOf(id) {
  const versions = [];
  let cursor = null;
  do {
    const page = await state.api.imageThread(id, { limit: 100, cursor });
    versions.push(...page.images.map(remember));
    cursor = page.nextCursor;
  } while (cursor);
  return versions.reverse();
}

/** Run `task(item)` for every item, `width` at a time; the failures, as [item, error]. */
async function eachAtMost(items, width, task) {
  const failures = [];
  const queue = [...items];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await task(item);
      } catch (error) {
        failures.push([item, error]);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return failures;
}

/** Whether an image's title or prompt contains the search, in any case, as the API matches it (its
 * title and prompt in lower case): an image renamed or made while searching is listed, or not, as
 * the API would. */
function matches(image, search) {
  return `${image.title || ""}\n${image.prompt || ""}`.toLowerCase().includes(search.toLowerCase());
}

/** Whether `image` comes before `other` in the gallery: newest first, as ids sort (ULIDs, in time). */
function newer(image, other) {
  return image.id > other.id;
}

export const Gallery = {
  components: { Detail },
  mixins: [pagedList((query) => state.api.listImages(query), "images", { query: (view) => view.filters(), size: PAGE_SIZE, keep: remember })],
  // `search`: what is typed; `searched`: the search listed (what was typed, once it paused).
  // `starFailures`: why an image's star could not be saved, by id, shown on its tile.
  // `selected`: the threads whose tiles are selected; `bulk`: what is being done to them
  // ("reading", "confirming", "deleting", "zipping"), `bulkSaid` what came of it; `chosen`: every
  // version of the selected threads, read before they are deleted or downloaded.
  data: () => ({
    opened: null,
    type: "",
    status: "",
    starred: false,
    search: "",
    searched: "",
    starFailures: {},
    notify: mayAskToNotify(),
    selected: new Set(),
    bulk: "",
    bulkSaid: "",
    chosen: [],
  }),
  setup: () => ({ typeFilter, statusFilter, number }),
  created() {
    this.pollTimer = null;
  },
  watch: {
    search() {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.find(), SEARCH_DELAY_MS);
    },
  },
  mounted() {
    this.listen = (image) => this.added(image);
    madeListeners.add(this.listen);
    this.hearDeleted = (id) => this.unlist(id);
    deletedListeners.add(this.hearDeleted);
    this.hearChanged = (image) => this.refit(image);
    changedListeners.add(this.hearChanged);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.more();
    });
    this.observer.observe(this.$refs.end);
    // Escape clears a selection (unless a dialog is open: Escape closes it).
    this.escape = (event) => {
      if (event.key === "Escape" && this.selected.size && !this.opened && !event.defaultPrevented) this.clearSelection();
    };
    document.addEventListener("keydown", this.escape);
  },
  unmounted() {
    this.gone = true; // loads and polls still under way stop when they answer
    madeListeners.delete(this.listen);
    deletedListeners.delete(this.hearDeleted);
    changedListeners.delete(this.hearChanged);
    this.observer.disconnect();
    document.removeEventListener("keydown", this.escape);
    clearTimeout(this.pollTimer);
    clearTimeout(this.searchTimer);
  },
  computed: {
    /** The tiles: one per edit thread, where its newest version listed is (newest first). `images`
     * are the thread's versions listed, newest first (a version on a later page joins its tile as that
     * page arrives); `head` the newest, which the tile opens on; `cover` the newest with a picture,
     * shown while a newer one is being made. */
    tiles() {
      const byThread = new Map();
      for (const image of this.items) {
        const key = threadOf(image);
        if (byThread.has(key)) byThread.get(key).push(image);
        else byThread.set(key, [image]);
      }
      return [...byThread].map(([key, versions]) => ({
        key,
        images: versions,
        head: versions[0],
        cover: versions.find((image) => image.thumbnailUrl) || null,
      }));
    },
    /** The selected tiles. */
    chosenTiles() {
      return this.tiles.filter((tile) => this.selected.has(tile.key));
    },
    /** Whether the selection is being read, deleted or zipped: it stays as it is meanwhile. */
    working() {
      return ["reading", "deleting", "zipping"].includes(this.bulk);
    },
    /** Whether the open image's tile has a neighbour in the gallery to step to, before and after it. */
    steps() {
      if (!this.opened) return null;
      const at = this.tileAt(this.opened);
      return { back: at > 0, on: at >= 0 && at < this.tiles.length - 1 };
    },
    /** What an empty list says: that nothing matches the search, that nothing is starred, or that there is nothing yet. */
    empty() {
      if (this.searched) return t(this.starred ? "gallery.noStarredMatch" : "gallery.noMatch", { text: this.searched });
      return t(this.starred ? "gallery.noStarred" : "gallery.nothingYet");
    },
  },
  methods: {
    /** The position of the tile an image is shown in (-1 if none). */
    tileAt(image) {
      const key = threadOf(image);
      return this.tiles.findIndex((tile) => tile.key === key);
    },
    /** The tile element of the image's thread. */
    tileElement(image) {
      return this.$el.querySelector(`.tile[data-thread="${CSS.escape(threadOf(image))}"]`);
    },
    /** Show the newest version of the gallery's previous (-1) or next (1) tile in the open one's place, reading on near the end. */
    step(by) {
      const at = this.tileAt(this.opened) + by;
      if (this.tiles[at]) this.opened = this.tiles[at].head;
      if (at >= this.tiles.length - 3) this.more();
    },
    /** A tile's frame clicked: while tiles are selected, it is selected too (or no longer); else its newest version opens. */
    openTile(tile) {
      if (this.selected.size) this.toggleSelected(tile);
      else this.opened = tile.head;
    },
    toggleSelected(tile) {
      if (this.working) return;
      if (this.selected.has(tile.key)) this.selected.delete(tile.key);
      else this.selected.add(tile.key);
      this.bulk = "";
      this.bulkSaid = "";
    },
    selectAll() {
      if (this.working) return;
      for (const tile of this.tiles) this.selected.add(tile.key);
    },
    clearSelection() {
      if (this.working) return;
      this.selected.clear();
      this.bulk = "";
      this.bulkSaid = "";
    },
    /** Every version of the selected tiles' threads (the gallery may not have listed them all yet), in
     * `chosen`; false if they could not be read (said). */
    async readChosen() {
      this.bulk = "reading";
      this.bulkSaid = "";
      const threads = new Map(this.chosenTiles.map((tile) => [tile, []])); // in the gallery's order, however they answer
      const failures = await eachAtMost([...threads.keys()], AT_ONCE, async (tile) => {
        try {
          threads.set(tile, await versionsOf(tile.head.id));
        } catch (error) {
          if (error.code !== "NOT_FOUND") throw error; // deleted meanwhile: nothing of it to read
        }
      });
      this.bulk = "";
      if (failures.length) {
        if (!failures.some(([, error]) => error instanceof SessionEnded)) this.bulkSaid = said(failures[0][1]);
        return false;
      }
      this.chosen = [...new Map([...threads.values()].flat().map((image) => [image.id, image])).values()];
      return true;
    },
    /** Ask to confirm the deletion, saying how many images it deletes. */
    async confirmDelete() {
      if (await this.readChosen()) this.bulk = "confirming";
    },
    /** The chosen images deleted, all of them, a few at a time; those that could not be are said,
     * and their tiles stay selected. */
    async deleteSelected() {
      const chosen = this.chosen;
      this.bulk = "deleting";
      const cancelled = chosen.some((image) => image.type === "UPLOADED" && image.status === "PENDING");
      const failures = await eachAtMost(chosen, AT_ONCE, async (image) => {
        try {
          await state.api.deleteImage(image.id);
        } catch (error) {
          if (error.code !== "NOT_FOUND") throw error; // one already gone is deleted all the same
        }
        forget(image.id);
      });
      this.bulk = "";
      if (failures.some(([, error]) => error instanceof SessionEnded)) return;
      for (const key of [...this.selected]) if (!this.tiles.some((tile) => tile.key === key)) this.selected.delete(key);
      this.bulkSaid = failures.length
        ? t("gallery.notAllDeleted", { count: number(failures.length), why: said(failures[0][1]) }, failures.length)
        : t("gallery.deleted", { count: number(chosen.length) }, chosen.length);
      if (cancelled) await refreshUser(); // an upload whose file never came: its coins are back
      this.$refs.heading.focus();
    },
    /** Every finished version of the selected tiles, saved as one zip. */
    async downloadSelected() {
      if (!(await this.readChosen())) return;
      const files = this.chosen.filter((image) => image.status === "COMPLETED" && image.storageUrl);
      if (!files.length) {
        this.bulkSaid = t("gallery.nothingToDownload");
        return;
      }
      this.bulk = "zipping";
      try {
        await downloadZip(files, zipName(new Date()), (done, total) => {
          this.bulkSaid = t("gallery.zipping", { done: number(done), total: number(total) });
        });
        this.bulkSaid = t("gallery.zipped", { count: number(files.length) }, files.length);
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.bulkSaid = said(error);
      } finally {
        this.bulk = "";
      }
    },
    /** The listing read again from the top (other filters, a new search): what was selected is no
     * longer shown, and no longer selected. */
    relist() {
      this.clearSelection();
      this.restart();
    },
    /** The listing's query: the filters and the search ("" and undefined are not sent). */
    filters() {
      return { type: this.type, status: this.status, favorite: this.starred ? "true" : undefined, q: this.searched };
    },
    /** Whether the filters and the search ask for this image. */
    fits(image) {
      return (
        (!this.type || image.type === this.type) &&
        (!this.status || image.status === this.status) &&
        (!this.starred || Boolean(image.favorite)) &&
        (!this.searched || matches(image, this.searched))
      );
    },
    added(image) {
      if (this.fits(image)) this.list(image, true);
      this.poll();
    },
    /** An image that changed: listed in its place if it now fits the filters (a new image that just
     * failed, one starred again), unlisted if it no longer does (one unstarred under Starred). */
    refit(image) {
      if (this.fits(image)) this.place(image);
      else if (this.seen.has(image.id)) this.leave(image.id);
    },
    /** List an image where the newest-first order puts it among those loaded; one older than all of
     * them comes with a later page (unless there is none). */
    place(image) {
      if (this.seen.has(image.id)) return;
      const at = this.items.findIndex((each) => newer(image, each));
      if (at < 0 && !this.done) return;
      this.seen.add(image.id);
      this.items.splice(at < 0 ? this.items.length : at, 0, remember(image));
    },
    /** An image that no longer fits leaves the list. The focus, if it was on its tile (its star, just
     * taken off under Starred), goes to the tile now in its place (its star), else the heading: not nowhere. */
    leave(id) {
      const image = images.get(id);
      const tile = image && this.tileElement(image);
      const focused = tile && tile.contains(document.activeElement) ? document.activeElement : null;
      const at = image ? this.tileAt(image) : -1;
      this.unlist(id);
      if (!focused) return;
      const control = focused.matches(".star") ? ".star" : ".frame";
      this.$nextTick(() => {
        const tiles = this.$el.querySelectorAll(".tile");
        const next = tiles[Math.min(at, tiles.length - 1)];
        (next ? next.querySelector(control) : this.$refs.heading).focus();
      });
    },
    /** The search typed, listed (once typing pauses, at Enter, when cleared): the listing starts
     * again from the top unless it is the one listed. */
    find() {
      clearTimeout(this.searchTimer);
      const search = this.search.trim(); // spaces around the words are not searched for
      if (search === this.searched) return;
      this.searched = search;
      this.relist();
    },
    clearSearch() {
      this.search = "";
      this.find();
      this.$refs.search.focus();
    },
    /** Star an image from its tile, or take its star off; a failure is said on the tile (the star back as it was). */
    async toggleStar(image) {
      const favorite = !image.favorite;
      delete this.starFailures[image.id];
      try {
        await star(image, favorite);
      } catch (error) {
        if (error instanceof SessionEnded) return;
        if (error.code === "NOT_FOUND") forget(image.id); // deleted in another tab
        else this.starFailures[image.id] = t(favorite ? "gallery.starFailed" : "gallery.unstarFailed", { why: said(error) });
      }
    },
    /** A page shown: poll what is unfinished, and ask the end of the list whether it is still in view. */
    loaded() {
      this.poll();
      const end = this.$refs.end; // gone if the gallery was left meanwhile
      if (!end) return;
      // Observed again, the end says at once whether it is still in view (a page that did not fill it).
      this.observer.unobserve(end);
      this.observer.observe(end);
    },
    /** While images are unfinished, read them again every POLL_MS: the newest page in one request
     * (where new images are), then any unfinished image older than it, one by one. */
    poll() {
      clearTimeout(this.pollTimer);
      if (this.gone) return;
      const unfinished = () => [...images.values()].filter((image) => UNFINISHED.has(image.status));
      if (unfinished().length === 0) return;
      this.pollTimer = setTimeout(async () => {
        let refunded = false;
        const hear = (fresh) => {
          const before = images.get(fresh.id);
          const waiting = before && UNFINISHED.has(before.status);
          this.refit(remember(fresh));
          if (waiting && !UNFINISHED.has(fresh.status)) {
            finished(fresh);
            if (fresh.status === "FAILED" && fresh.coinsRefunded) refunded = true;
          }
        };
        try {
          const waiting = new Set(unfinished().map((image) => image.id));
          const newest = await state.api.listImages({ limit: PAGE_SIZE });
          for (const fresh of newest.images) if (images.has(fresh.id)) hear(fresh);
          for (const fresh of newest.images) waiting.delete(fresh.id);
          for (const id of waiting) {
            try {
              hear((await state.api.getImage(id)).image);
            } catch (error) {
              if (error.status === 404) forget(id);
              else throw error;
            }
          }
        } catch (error) {
          if (error instanceof SessionEnded) return;
          // not answered this time: read again at the next turn
        }
        if (refunded) await refreshUser(); // the coins came back: show the balance as it is now
        this.poll();
      }, POLL_MS);
    },
    /** Ask to be notified when images finish while the page is hidden. */
    async allowNotices() {
      await askToNotify();
      this.notify = mayAskToNotify();
    },
    /** About how long the image takes, said while it is being made ("about 20 s"), if the page knows. */
    estimate(image) {
      const seconds = expectedFor(image);
      return seconds === undefined ? "" : about(seconds);
    },
    /** Closed, the dialog leaves the focus on the tile of the image it showed last (it may have stepped);
     * if that tile has left the list (its star taken off under Starred), on the heading rather than nowhere. */
    closed() {
      const image = this.opened;
      this.opened = null;
      this.$nextTick(() => {
        const tile = this.tileElement(image);
        const opener = tile && tile.querySelector(".frame");
        if (opener) opener.focus();
        else if (document.activeElement === document.body) this.$refs.heading.focus();
      });
    },
    /** After a deletion here the focus goes to the next image (or the one before, or the heading), not nowhere. */
    deleted(id) {
      const image = images.get(id);
      const at = Math.max(0, image ? this.tileAt(image) : 0);
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
