// Admins: users searched, coins granted or taken with a reason, roles, suspension, deletion, a user's
// images and orders.
import { SessionEnded } from "../api.js";
import { coins, imageName, said, state, updateUser } from "../store.js";
import { pagedList } from "../paged-list.js";
import { nativeName, pageLanguages, t } from "../i18n.js";
import { imageStatus, number, roleNames, userStatus } from "../words.js";
import { Orders } from "./orders.js";
import { render } from "./admin.render.js"; // its markup: admin.template.html, compiled by `make templates`

const SEARCH_DELAY_MS = 250; // typing is searched once it pauses

export const Admin = {
  components: { Orders },
  // The search is the API's: users whose email starts with what is typed, however many there are.
  mixins: [pagedList((query) => state.api.listUsers(query), "users", { query: (view) => (view.search ? { email: view.search } : {}) })],
  setup: () => ({ languages: pageLanguages(), nativeName }),
  data: () => ({ search: "", chosen: null, amount: 100, reason: "", confirming: false, suspending: false, removing: false, notice: "", failed: "", images: [] }),
  watch: {
    // A confirmation is of what was submitted: changed, it must be submitted again.
    amount() {
      this.confirming = false;
    },
    reason() {
      this.confirming = false;
    },
    search() {
      clearTimeout(this.searchTimer);
      this.searchTimer = setTimeout(() => this.restart(), SEARCH_DELAY_MS);
    },
  },
  unmounted() {
    clearTimeout(this.searchTimer);
  },
  methods: {
    imageName,
    imageStatus,
    roleNames,
    userStatus,
    coins,
    number,
    /** Run an action on the chosen user: its error next to the actions, its success in place of an old error. */
    async manage(action) {
      try {
        await action();
        this.failed = "";
      } catch (error) {
        if (error instanceof SessionEnded) return;
        this.failed = said(error);
        this.notice = "";
        this.confirming = false;
        this.suspending = false;
        this.removing = false;
      }
    },
    choose(user) {
      this.chosen = user;
      this.confirming = false;
      this.suspending = false;
      this.removing = false;
      this.notice = "";
      this.failed = "";
      this.images = [];
      return this.manage(async () => {
        this.images = (await state.api.listUserImages(user.id, { limit: 12 })).images;
      });
    },
    isAdmin(user) {
      return user.roles.includes("ADMIN");
    },
    isSuspended(user) {
      return user.status === "SUSPENDED";
    },
    isBeingDeleted(user) {
      return user.status === "DELETING";
    },
    replace(user) {
      this.items = this.items.map((each) => (each.id === user.id ? user : each));
      if (this.chosen && this.chosen.id === user.id) this.chosen = user;
      updateUser(user);
    },
    grant() {
      return this.manage(async () => {
        const body = { amount: this.amount, reason: this.reason };
        const changed = (await state.api.grantCoins(this.chosen.id, body)).user;
        this.replace(changed);
        const named = { coins: coins(Math.abs(this.amount)), email: changed.email, balance: coins(changed.coins) };
        this.notice = t(this.amount > 0 ? "admin.granted" : "admin.took", named);
        this.confirming = false;
        this.reason = "";
      });
    },
    toggleAdmin(user) {
      return this.manage(async () => {
        const roles = this.isAdmin(user) ? user.roles.filter((role) => role !== "ADMIN") : [...user.roles, "ADMIN"];
        this.replace((await state.api.updateUser(user.id, { roles })).user);
        this.notice = "";
      });
    },
    /** Suspend (`true`, once confirmed) or restore the user: suspended, their sessions end at once and
     * they cannot sign in; restored, they sign in again. */
    setSuspended(user, suspend) {
      return this.manage(async () => {
        this.replace((await state.api.updateUser(user.id, { status: suspend ? "SUSPENDED" : "ACTIVE" })).user);
        this.suspending = false;
        this.notice = t(suspend ? "admin.suspendedNotice" : "admin.restoredNotice", { email: user.email });
      });
    },
    /** Delete the user's account, once confirmed: their sessions end at once and the service removes
     * everything of theirs in the background; until it is gone they are listed as being deleted. */
    remove(user) {
      return this.manage(async () => {
        await state.api.deleteUser(user.id);
        this.replace({ ...user, status: "DELETING" });
        this.removing = false;
        this.notice = t("admin.deletedNotice", { email: user.email });
      });
    },
    /** The language the user reads the product in, changed for them: it applies at their next page load. */
    setLanguage(user, language) {
      return this.manage(async () => {
        this.replace((await state.api.updateUser(user.id, { language })).user);
        this.notice = t("admin.languageSaved", { email: user.email, language: nativeName(language) });
      });
    },
  },
  render,
};
