// A user's orders, newest first (the buyer's, or for an admin another user's): when, which pack, its
// price and where it stands, in words.
import { orderAddress } from "../address.js";
import { pagedList } from "../paged-list.js";
import { coins, loadPacks, money, packName, rememberOrder, state, when } from "../store.js";
import { orderStatus } from "../words.js";
import { render } from "./orders.render.js"; // its markup: orders.template.html, compiled by `make templates`

export const Orders = {
  mixins: [pagedList((query, view) => state.api.userOrders(view.user, query), "orders", { size: 10, keep: rememberOrder })],
  // `linked`: each order links to its outcome (the buyer's own orders).
  props: { user: { type: String, default: "me" }, heading: { type: String, default: "Orders" }, linked: { type: Boolean, default: false } },
  created() {
    loadPacks().catch(() => {}); // the packs' names; an order names its pack by id
  },
  methods: {
    coins,
    money,
    packName,
    when,
    orderAddress,
    status(order) {
      const refunded = order.amountRefunded > 0 ? money({ amount: order.amountRefunded, currency: order.price.currency }) : "";
      return orderStatus(order, refunded);
    },
  },
  render,
};
