// The user's own account: their name (the language is the header's menu), and what they may do
// with everything the service holds of them: take it away (an export) or have it removed.
import { SessionEnded } from "../api.js";
import { said, state, updateUser } from "../store.js";
import { DeleteAccount } from "./delete-account.js";
import { Export } from "./export.js";
import { render } from "./profile.render.js"; // its markup: profile.template.html, compiled by `make templates`

export const Profile = {
  components: { Export, DeleteAccount },
  data: () => ({ firstName: state.user.firstName || "", lastName: state.user.lastName || "", busy: false, saved: false, error: "" }),
  methods: {
    async save() {
      this.busy = true;
      try {
        updateUser((await state.api.updateMyProfile({ firstName: this.firstName, lastName: this.lastName })).user);
        this.saved = true;
        this.error = "";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      } finally {
        this.busy = false;
      }
    },
  },
  render,
};
