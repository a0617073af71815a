// A listing read page by page through its cursor, each item once: the gallery, the coin history,
// the orders and the admin's users.
import { SessionEnded } from "./api.js";
import { said, state } from "./store.js";

/**
 * A mixin for a view that lists `field` of a listing operation, page by page ("Load more", or scrolling).
 * - `read(query, view)`: the operation asked for a page (`state.api.listImages(query)`; a user's orders
 *   depend on the view);
 * - `query(view)`: the view's own query (its filters, a search);
 * - `size`: items a page;
 * - `keep(item)`: what is listed for an item (the gallery lists the page's one object per image).
 * The view may have `loaded()`, called once a page is shown. `restart()` reads again from the top
 * (new filters): a page asked for before a restart is dropped when it answers.
 */
export function pagedList(read, field, { query = () => ({}), size = 20, keep = (item) => item } = {}) {
  return {
    data: () => ({ items: [], cursor: null, done: false, loading: false, error: "" }),
    created() {
      this.seen = new Set();
      this.generation = 0;
    },
    mounted() {
      this.more();
    },
    methods: {
      restart() {
        this.generation += 1;
        this.items = [];
        this.seen.clear();
        this.cursor = null;
        this.done = false;
        this.loading = false;
        this.more();
      },
      /** List an item, at the end or (`first`: one just made) at the top; one already listed is only kept. */
      list(item, first = false) {
        const kept = keep(item);
        if (this.seen.has(item.id)) return;
        this.seen.add(item.id);
        if (first) this.items.unshift(kept);
        else this.items.push(kept);
      },
      unlist(id) {
        this.seen.delete(id);
        this.items = this.items.filter((item) => item.id !== id);
      },
      async more() {
        if (this.loading || this.done) return;
        const generation = this.generation;
        this.loading = true;
        try {
          const page = await read({ limit: size, cursor: this.cursor, ...query(this) }, this);
          if (generation !== this.generation) return;
          page[field].forEach((item) => this.list(item));
          this.cursor = page.nextCursor;
          this.done = !page.nextCursor;
          this.error = "";
          if (this.loaded) this.$nextTick(() => this.loaded());
        } catch (error) {
          if (generation === this.generation && !(error instanceof SessionEnded)) this.error = said(error);
        } finally {
          if (generation === this.generation) this.loading = false;
        }
      },
    },
  };
}
