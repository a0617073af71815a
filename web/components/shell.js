// The signed-in page: its views and the header.
import { addressView, placeOf } from "../address.js";
import { SessionEnded } from "../api.js";
import { t } from "../i18n.js";
import { canBuy, forgetUser, loadPacks, remember, said, state, updateUser } from "../store.js";
import { number } from "../words.js";
import { Admin } from "./admin.js";
import { Buy } from "./buy.js";
import { Coins } from "./coins.js";
import { Create } from "./create.js";
import { Detail } from "./detail.js";
import { Gallery } from "./gallery.js";
import { Languages } from "./languages.js";
import { Profile } from "./profile.js";
import { Upload } from "./upload.js";
import { render } from "./shell.render.js"; // its markup: shell.template.html, compiled by `make templates`

export const Shell = {
  components: { Create, Upload, Gallery, Coins, Buy, Profile, Admin, Detail, Languages },
  // `order`: the order come back from Stripe's checkout, `{ id, cancelled }`, shown in the Buy coins view.
  // `theme`: the theme chosen with the header's switch ("system", "light", "dark"; theme.js keeps it).
  data: () => ({ view: placeOf().view || "gallery", order: placeOf().order, opened: null, notice: "", theme: window.pageTheme.chosen() }),
  setup: () => ({ number }),
  computed: {
    canBuy,
    admin() {
      return state.user.roles.includes("ADMIN");
    },
    /** The view shown: the address's, but never the admin view to someone who is not one. */
    shown() {
      return this.view === "admin" && !this.admin ? "gallery" : this.view;
    },
  },
  mounted() {
    this.followAddress = () => {
      const place = placeOf();
      if (place.view) {
        this.view = place.view;
        this.order = place.order;
      } else if (!document.querySelector("dialog.detail[open]")) this.openLinked(place.image); // a link followed
    };
    window.addEventListener("hashchange", this.followAddress);
    this.followTheme = (event) => {
      this.theme = event.detail; // chosen here, or in another tab
    };
    window.addEventListener("themechange", this.followTheme);
    loadPacks().catch(() => {}); // whether coins can be bought: a 402 then offers the packs
    const linked = placeOf().image;
    if (linked) this.openLinked(linked);
  },
  unmounted() {
    window.removeEventListener("hashchange", this.followAddress);
    window.removeEventListener("themechange", this.followTheme);
  },
  methods: {
    nextTheme() {
      window.pageTheme.next();
    },
    /** The language chosen in the header: spoken at once (app.js follows the user's), then kept in
     * the profile, for every device; if it cannot be kept, back as it was, and said. */
    async chooseLanguage(language) {
      const before = state.user.language;
      if (language === before) return;
      const userId = state.user.id;
      state.user.language = language;
      try {
        updateUser((await state.api.updateMyProfile({ language })).user);
      } catch (error) {
        if (error instanceof SessionEnded || !state.user || state.user.id !== userId) return;
        if (state.user.language === language) state.user.language = before;
        this.notice = t("app.languageFailed", { why: said(error) });
      }
    },
    show(view) {
      this.view = view;
      addressView(view);
    },
    /** An image opened from its address (a link, a reload). */
    async openLinked(id) {
      try {
        const image = remember((await state.api.getImage(id)).image);
        // In the gallery it opens as from its tile, able to step to its neighbours.
        if (this.$refs.gallery) this.$refs.gallery.opened = image;
        else this.opened = image;
      } catch (error) {
        if (error instanceof SessionEnded) return;
        // A malformed id names no image either: the link is wrong, whatever the validator calls it.
        const missing = error.code === "NOT_FOUND" || error.code === "VALIDATION_ERROR";
        this.notice = missing ? t("shell.imageMissing") : said(error);
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
      }
    },
    async signOut() {
      await state.api.signOut().catch(() => {});
      window.history.replaceState(null, "", window.location.pathname + window.location.search);
      forgetUser();
    },
  },
  render,
};
