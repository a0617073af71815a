// "Export my data", in the account view: what the zip holds, a button to start one, its progress
// while the service writes it (asked again every few seconds), then its download and until when it
// is kept, or that it failed. One export at a time and one a day: the API's refusal says when.
import { SessionEnded } from "../api.js";
import { said, state, when } from "../store.js";
import { number } from "../words.js";
import { render } from "./export.render.js"; // its markup: export.template.html, compiled by `make templates`

// How often a running export is asked about: often enough to see it move, rarely enough to cost nothing.
const POLL_MS = 3000;
const RUNNING = ["PENDING", "RUNNING"];
// One export a day, counted from the start of the last one that did not fail (as the service counts).
const DAY_MS = 24 * 3600 * 1000;

export const Export = {
  data: () => ({ exported: null, loading: true, busy: false, error: "", timer: 0 }),
  setup: () => ({ number, when }),
  computed: {
    running() {
      return Boolean(this.exported) && RUNNING.includes(this.exported.status);
    },
    /** When the next export may start, while the last (not failed) one is less than a day old. */
    nextAt() {
      if (!this.exported || this.exported.status === "FAILED") return null;
      const next = new Date(this.exported.createdAt).getTime() + DAY_MS;
      return next > Date.now() ? new Date(next).toISOString() : null;
    },
  },
  async mounted() {
    await this.refresh();
    this.loading = false;
  },
  unmounted() {
    clearTimeout(this.timer);
  },
  methods: {
    async refresh() {
      try {
        this.exported = (await state.api.getExport()).export;
      } catch (error) {
        if (error.code !== "NOT_FOUND" && !(error instanceof SessionEnded)) this.error = said(error);
      }
      this.poll();
    },
    poll() {
      clearTimeout(this.timer);
      if (this.running) this.timer = setTimeout(() => this.refresh(), POLL_MS);
    },
    async start() {
      this.busy = true;
      try {
        this.exported = (await state.api.startExport()).export;
        this.error = "";
        this.poll();
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = this.refused(error);
      } finally {
        this.busy = false;
      }
    },
    /** Why a start was refused: one is being made, or when tomorrow's may start; else the API's error. */
    refused(error) {
      if (error.code !== "RATE_LIMITED" || !Number.isInteger(error.details.retryAfter)) return said(error);
      if (error.details.retryAfter <= POLL_MS / 1000 * 10) return this.$t("export.busy");
      return this.$t("export.onceADay", { when: when(new Date(Date.now() + error.details.retryAfter * 1000).toISOString()) });
    },
  },
  render,
};
