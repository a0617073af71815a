// "Delete my account", in the account view: what deleting does, in words, then the account's email
// typed again and a danger button. The service ends every session at once and removes the rest in the
// background, so once it answers the page signs out and the sign-in page says the account was deleted.
import { SessionEnded } from "../api.js";
import { forgetUser, said, state } from "../store.js";
import { render } from "./delete-account.render.js"; // its markup: delete-account.template.html, compiled by `make templates`

export const DeleteAccount = {
  data: () => ({ email: "", busy: false, error: "" }),
  computed: {
    // The button waits for the email as the account has it (in any case), as the service checks it.
    confirmed() {
      return this.email.trim().toLowerCase() === state.user.email.toLowerCase();
    },
  },
  methods: {
    async remove() {
      this.busy = true;
      try {
        await state.api.deleteMyAccount(this.email.trim());
        forgetUser();
        state.ended = "session.deleted";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
        this.busy = false;
      }
    },
  },
  render,
};
