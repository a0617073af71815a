// The way back from Stripe's checkout (#order/<id>, #order/<id>/cancelled): the order's outcome. While
// the order is open its progress is asked of the service with a gentle backoff (asking looks an open
// order up at Stripe and credits a paid one at once), then the coins added and the new balance, or
// why no coins were added.
import { SessionEnded } from "../api.js";
import { coins, money, packName, refreshUser, rememberOrder, said, state, when } from "../store.js";
import { orderOutcome } from "../words.js";
import { render } from "./order.render.js"; // its markup: order.template.html, compiled by `make templates`

const FIRST_WAIT_MS = 1000;
const MOST_WAIT_MS = 5000;
const PATIENCE_MS = 30_000; // then the buyer is told it is not confirmed yet, and may check again

export const OrderOutcome = {
  // `cancelled`: the buyer came back by the checkout's Cancel (the order may still be open at Stripe).
  props: { id: { type: String, required: true }, cancelled: { type: Boolean, default: false } },
  emits: ["choose"],
  data: () => ({ order: null, missing: false, error: "", waited: false, balance: null }),
  computed: {
    /** Where the order stands, for the buyer: one of the keys of `words`. */
    outcome() {
      if (this.missing) return "missing";
      const order = this.order;
      if (!order) return "looking";
      if (order.status === "CREATED") return this.cancelled ? "unpaid" : this.waited ? "waiting" : "confirming";
      return { PAID: "paid", FAILED: "failed", EXPIRED: "expired", REFUNDED: "refunded", DISPUTED: "disputed" }[order.status] || "looking";
    },
    words() {
      return orderOutcome(this.outcome, this.order ? coins(this.order.coins) : "", this.balance);
    },
    /** A payment that did not happen: the buyer may pick a pack again. */
    unpaid() {
      return ["unpaid", "failed", "expired"].includes(this.outcome);
    },
  },
  mounted() {
    this.check();
  },
  unmounted() {
    this.gone = true;
    clearTimeout(this.timer);
  },
  methods: {
    coins,
    money,
    packName,
    when,
    async check(wait = FIRST_WAIT_MS) {
      clearTimeout(this.timer);
      if (wait === FIRST_WAIT_MS) this.since = Date.now();
      let open = true;
      try {
        const order = rememberOrder((await state.api.getOrder(this.id)).order);
        if (this.gone) return;
        this.order = order;
        this.error = "";
        open = order.status === "CREATED" && !this.cancelled;
        if (order.status === "PAID") {
          await refreshUser(); // credited: the header's balance too
          if (state.user) this.balance = state.user.coins;
        }
      } catch (error) {
        if (this.gone || error instanceof SessionEnded) return;
        // A malformed id names no order either: the link is wrong, whatever the validator calls it.
        if (error.code === "NOT_FOUND" || error.code === "VALIDATION_ERROR") {
          this.missing = true;
          return;
        }
        this.error = said(error); // and asked again, as long as patience lasts
      }
      if (!open) return;
      if (Date.now() - this.since + wait > PATIENCE_MS) {
        this.waited = true;
        return;
      }
      this.timer = setTimeout(() => this.check(Math.min(wait * 1.5, MOST_WAIT_MS)), wait);
    },
    again() {
      this.waited = false;
      this.check();
    },
  },
  render,
};
