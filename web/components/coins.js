// The coin history, each entry with the image or the order it concerns.
import { orderAddress } from "../address.js";
import { SessionEnded } from "../api.js";
import { pagedList } from "../paged-list.js";
import { canBuy, coins, deleted, imageName, images, loadPacks, money, orders, packName, remember, rememberOrder, said, state, when } from "../store.js";
import { formatLocales, t } from "../i18n.js";
import { ledgerEntry, number } from "../words.js";
import { render } from "./coins.render.js"; // its markup: coins.template.html, compiled by `make templates`

export const Coins = {
  mixins: [pagedList((query) => state.api.myTransactions(query), "transactions")],
  emits: ["open"],
  computed: {
    canBuy,
    owing() {
      return state.user.coins < 0;
    },
  },
  created() {
    loadPacks().catch(() => {}); // the packs' names, for the purchases
  },
  methods: {
    imageName,
    coins,
    money,
    packName,
    orderAddress,
    when,
    number,
    /** A coin movement as the language writes numbers, with its sign: "+1,000", "−100". */
    signed(amount) {
      return new Intl.NumberFormat(formatLocales(), { signDisplay: "exceptZero" }).format(amount);
    },
    image(entry) {
      return images.get(entry.imageId);
    },
    gone(entry) {
      return deleted.has(entry.imageId);
    },
    order(entry) {
      return entry.orderId ? orders.get(entry.orderId) : undefined;
    },
    /** Each entry names its image or order. Those the page does not know yet are read: the newest of
     * the gallery (or of the orders) in one request (most entries concern recent ones), the rest one by one. */
    async loaded() {
      const unknown = () => [...new Set(this.items.map((entry) => entry.imageId))].filter((id) => id && !images.has(id) && !deleted.has(id));
      const unknownOrders = () => [...new Set(this.items.map((entry) => entry.orderId))].filter((id) => id && !orders.has(id));
      const firstPages = [];
      if (unknown().length > 2) {
        firstPages.push(state.api.listImages({ limit: 100 }).then((page) => page.images.forEach(remember), () => {}));
      }
      if (unknownOrders().length > 2) {
        firstPages.push(state.api.myOrders({ limit: 100 }).then((page) => page.orders.forEach(rememberOrder), () => {}));
      }
      await Promise.all(firstPages);
      await Promise.all([
        ...unknown().map((id) =>
          state.api.getImage(id).then(
            (body) => remember(body.image),
            (error) => {
              if (error.status === 404) deleted.add(id);
            },
          ),
        ),
        ...unknownOrders().map((id) => state.api.getOrder(id).then((body) => rememberOrder(body.order), () => {})),
      ]);
    },
    /** What the entry was, in words: an edit or a new image, a failed image's coins back... */
    reason(entry) {
      const order = this.order(entry);
      return ledgerEntry(entry, { image: this.image(entry), pack: order ? packName(order.packId) : undefined });
    },
    async open(entry) {
      try {
        this.$emit("open", remember((await state.api.getImage(entry.imageId)).image));
      } catch (error) {
        if (!(error instanceof SessionEnded)) {
          if (error.status === 404) deleted.add(entry.imageId);
          this.error = error.status === 404 ? t("coins.imageDeleted") : said(error);
        }
      }
    },
  },
  render,
};
