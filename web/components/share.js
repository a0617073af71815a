// An image's share link, in its window: made with an expiry and the prompt shown or not, its link
// to copy and how often it was opened, and revoked at once. Anyone with the link sees the image at
// the site's /s/<token> (a page the API serves, with the preview tags chat apps read).
import { SessionEnded } from "../api.js";
import { said, state, when } from "../store.js";
import { number } from "../words.js";
import { render } from "./share.render.js"; // its markup: share.template.html, compiled by `make templates`

// How long a new link works, in days (0: until revoked); the service takes 1-365 or null.
const EXPIRY_CHOICES = [1, 7, 30, 365, 0];

export const Share = {
  props: { image: { type: Object, required: true } },
  data: () => ({ share: null, loading: true, busy: false, error: "", copied: false, days: 7, showPrompt: false }),
  setup: () => ({ choices: EXPIRY_CHOICES, number, when }),
  async mounted() {
    try {
      this.share = (await state.api.getShare(this.image.id)).share;
    } catch (error) {
      if (error.code !== "NOT_FOUND" && !(error instanceof SessionEnded)) this.error = said(error);
    } finally {
      this.loading = false;
    }
  },
  methods: {
    async act(action) {
      this.busy = true;
      try {
        await action();
        this.error = "";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      } finally {
        this.busy = false;
      }
    },
    create() {
      return this.act(async () => {
        const body = { expiresInDays: this.days || null, showPrompt: Boolean(this.image.prompt) && this.showPrompt };
        this.share = (await state.api.shareImage(this.image.id, body)).share;
      });
    },
    revoke() {
      return this.act(async () => {
        await state.api.revokeShare(this.image.id).catch((error) => {
          if (error.code !== "NOT_FOUND") throw error; // revoked already (another tab): the same outcome
        });
        this.share = null;
        this.copied = false;
      });
    },
    copy() {
      return this.act(async () => {
        await navigator.clipboard.writeText(this.share.url);
        this.copied = true;
      });
    },
  },
  render,
};
