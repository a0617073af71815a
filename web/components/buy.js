// Buy coins: the packs with their prices, each bought on Stripe's hosted checkout page; the outcome of
// an order the buyer comes back with (#order/<id>); the user's orders.
import { addressView } from "../address.js";
import { SessionEnded } from "../api.js";
import { coins, defaultModel, loadModels, loadPacks, money, refreshUser, said, state } from "../store.js";
import { number } from "../words.js";
import { OrderOutcome } from "./order.js";
import { Orders } from "./orders.js";
import { render } from "./buy.render.js"; // its markup: buy.template.html, compiled by `make templates`

/** A pack's price per coin, to compare packs of one currency. */
const perCoin = (pack) => pack.price.amount / pack.coins;

export const Buy = {
  components: { OrderOutcome, Orders },
  // `order`: the order come back from the checkout, `{ id, cancelled }` (the address's), or null.
  props: { order: { type: Object, default: null } },
  data: () => ({ loading: true, error: "", buying: "", failed: { pack: "", message: "" } }),
  computed: {
    packs() {
      return state.packs || [];
    },
    /** The pack whose coins cost least, when the packs can be compared (one currency) and one does. */
    best() {
      const packs = this.packs;
      if (packs.length < 2 || new Set(packs.map((pack) => pack.price.currency)).size > 1) return "";
      const cheapest = Math.min(...packs.map(perCoin));
      const found = packs.filter((pack) => perCoin(pack) === cheapest);
      return found.length === 1 ? found[0].id : "";
    },
    /** What an image costs with the default model at its smallest size, to say what a pack makes. */
    image() {
      const model = state.models.length ? defaultModel() : null;
      const size = model && model.imageSizes[0];
      return model && model.costs[size] ? { name: model.name, size, cost: model.costs[size] } : null;
    },
    owing() {
      return state.user.coins < 0;
    },
  },
  async mounted() {
    // Back from Stripe's page by the browser's back button, the page may be this one as it was left.
    this.pageShown = (event) => {
      if (event.persisted) this.buying = "";
    };
    window.addEventListener("pageshow", this.pageShown);
    loadModels().catch(() => {}); // only for the images a pack makes
    refreshUser(); // a dispute may have frozen purchases, a refund changed the balance
    try {
      await loadPacks();
    } catch (error) {
      if (!(error instanceof SessionEnded)) this.error = said(error);
    } finally {
      this.loading = false;
    }
  },
  unmounted() {
    window.removeEventListener("pageshow", this.pageShown);
  },
  methods: {
    money,
    coins,
    number,
    perHundred(pack) {
      return money({ amount: perCoin(pack) * 100, currency: pack.price.currency });
    },
    images(pack) {
      return Math.floor(pack.coins / this.image.cost);
    },
    /** Open Stripe's checkout for the pack and go there: the whole page, in this tab (the session's
     * tokens are kept in localStorage, and Stripe sends the buyer back to this tab). */
    async buy(pack) {
      this.buying = pack.id;
      this.failed = { pack: "", message: "" };
      try {
        const opened = await state.api.checkout({ packId: pack.id }); // a key of its own: a retried click opens one checkout
        window.location.assign(opened.checkoutUrl); // still "Opening the checkout…" while the page leaves
      } catch (error) {
        this.buying = "";
        if (error instanceof SessionEnded) return;
        this.failed = { pack: pack.id, message: said(error) };
        if (error.code === "PURCHASES_FROZEN") refreshUser();
      }
    },
    /** From an order's outcome, back to the packs: the address without the order, the focus on the first. */
    choose() {
      addressView("buy");
      this.$nextTick(() => {
        const first = this.$refs.packs && this.$refs.packs.querySelector("button");
        if (first) first.focus();
      });
    },
  },
  render,
};
