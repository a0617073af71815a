// The coin history, each entry with the image it concerns.
import { SessionEnded } from "../api.js";
import { pagedList } from "../paged-list.js";
import { deleted, imageName, images, remember, said, state } from "../store.js";

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
  template: `
    <section class="card coins" aria-label="Coin history">
      <h2>Coin history</h2>
      <p class="hint">You have {{ $root.user.coins }} coins. Generations and uploads are charged when asked for; a failed one is refunded.</p>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
      <div class="scroll">
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Image</th><th scope="col" class="number">Coins</th><th scope="col" class="number">Balance</th></tr></thead>
        <tbody>
          <tr v-for="entry in items" :key="entry.id">
            <td>{{ when(entry.createdAt) }}</td>
            <td>{{ reason(entry) }}<span v-if="entry.note" class="hint"> · {{ entry.note }}</span></td>
            <td>
              <button v-if="image(entry)" type="button" class="quiet named" :aria-label="'Open ' + imageName(image(entry))" @click="open(entry)">
                <img v-if="image(entry).thumbnailUrl" :src="image(entry).thumbnailUrl" alt=""><span>{{ imageName(image(entry)) }}</span>
              </button>
              <span v-else-if="gone(entry)" class="hint">deleted</span>
            </td>
            <td class="number" :class="entry.amount < 0 ? 'spent' : 'got'">{{ entry.amount > 0 ? "+" : "" }}{{ entry.amount }}</td>
            <td class="number">{{ entry.balance }}</td>
          </tr>
        </tbody>
      </table>
      </div>
      <div class="end"><button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more" }}</button></div>
    </section>`,
};
