// The coin history, each entry with the image it concerns.
import { SessionEnded } from "../api.js";
import { pagedList } from "../paged-list.js";
import { deleted, imageName, images, remember, said, state } from "../store.js";
import { render } from "./coins.render.js"; // its markup: coins.template.html, compiled by `make templates`

const REASONS = { welcome: "Welcome coins", generate: "Generation", upload: "Upload", refund: "Refund", grant: "Granted by an admin" };

export const Coins = {
  mixins: [pagedList("/users/me/transactions", "transactions")],
  emits: ["open"],
  methods: {
    imageName,
    image(entry) {
      return images.get(entry.imageId);
    },
    gone(entry) {
      return deleted.has(entry.imageId);
    },
    /** Each entry names its image. Those the page does not know yet are read: the newest of the
     * gallery in one request (most entries concern recent images), the rest one by one. */
    async loaded() {
      const unknown = () => [...new Set(this.items.map((entry) => entry.imageId))].filter((id) => id && !images.has(id) && !deleted.has(id));
      if (unknown().length > 2) {
        await state.api.request("GET", "/images", undefined, { query: { limit: 100 } }).then((page) => page.images.forEach(remember), () => {});
      }
      await Promise.all(
        unknown().map((id) =>
          state.api.request("GET", `/images/${id}`).then(
            (body) => remember(body.image),
            (error) => {
              if (error.status === 404) deleted.add(id);
            },
          ),
        ),
      );
    },
    when(iso) {
      return new Date(iso).toLocaleString();
    },
    reason(entry) {
      return REASONS[entry.reason] || entry.reason;
    },
    async open(entry) {
      try {
        this.$emit("open", remember((await state.api.request("GET", `/images/${entry.imageId}`)).image));
      } catch (error) {
        if (!(error instanceof SessionEnded)) {
          if (error.status === 404) deleted.add(entry.imageId);
          this.error = error.status === 404 ? "That image was deleted." : said(error);
        }
      }
    },
  },
  render,
};
