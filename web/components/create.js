// Generate: the prompt (with examples to start from, the prompts sent lately to pick again, and style
// presets whose words are added to it; Enter generates), model, size, ratio and references, the price
// on the button.
import { SessionEnded } from "../api.js";
import { enterSends } from "../keys.js";
import { canBuy, defaultModel, imageName, images, loadModels, madeAll, offersPacks, remember, said, state, updateUser } from "../store.js";
import { language, t } from "../i18n.js";
import { coins, examplePrompts, number } from "../words.js";
import { References } from "./references.js";
import { render } from "./create.render.js"; // its markup: create.template.html, compiled by `make templates`

const MAX_PROMPT = 2000; // the service's limit on a prompt, the style's words included
const RECENT_SHOWN = 10; // the newest prompts the "Recent" list offers
const PROMPT_SHOWN = 80; // of a longer prompt, "Sent as" shows the end, before the style's words

/** The prompt as sent with `preset`'s words after it ("a fox, watercolour painting…"); without a
 * preset, as it is. Punctuation left at the prompt's end gives way to the comma. */
function withStyle(prompt, preset) {
  if (!preset) return prompt;
  const base = prompt.replace(/[\s,;.]+$/u, "");
  return base ? `${base}, ${preset.words}` : preset.words;
}

/** A style preset's name in the page's language (its `names`), else its own. */
function presetName(preset) {
  return (preset.names && preset.names[language()]) || preset.name;
}

/** A prompt as sent, taken apart again: the prompt typed and the preset whose words end it (or none),
 * so that choosing it again shows the chip it was sent with rather than the words twice. */
function withoutStyle(sent, presets) {
  const preset = presets.find((each) => sent.endsWith(`, ${each.words}`));
  return preset ? { prompt: sent.slice(0, -(preset.words.length + 2)), preset } : { prompt: sent, preset: null };
}

export const Create = {
  components: { References },
  // `short`: the error is a 402, answered with a "Buy coins" link.
  // `source`: the image a remix of an edit changes (the request is then an edit of it), else null.
  // `recent`: the caller's latest prompts (newest first); `presets`: the style presets, `style` the name of
  // the one chosen ("" for none).
  data: () => ({
    refused: [],
    model: "",
    imageSize: "",
    aspectRatio: "",
    count: 1,
    prompt: "",
    source: null,
    error: "",
    short: false,
    busy: false,
    recent: [],
    showRecent: false,
    presets: [],
    style: "",
  }),
  setup: () => ({ examplePrompts, coins, number, presetName, counts: [1, 2, 3, 4] }),
  computed: {
    canBuy,
    models() {
      return state.models;
    },
    chosen() {
      return this.models.find((model) => model.id === this.model) || null;
    },
    price() {
      return this.chosen && this.chosen.costs[this.imageSize] !== undefined ? this.chosen.costs[this.imageSize] * this.count : null;
    },
    remix() {
      return state.remix;
    },
    preset() {
      return this.presets.find((preset) => preset.name === this.style) || null;
    },
    /** What the request's prompt will be. */
    sent() {
      return withStyle(this.prompt, this.preset);
    },
    /** "Sent as", shown: a long prompt's end only, so that the words added stay in sight. */
    sentShown() {
      if (this.prompt.length <= PROMPT_SHOWN) return this.sent;
      return `…${withStyle(this.prompt.slice(-PROMPT_SHOWN).replace(/^\S*\s+/u, ""), this.preset)}`;
    },
    /** Characters past the service's limit once the style's words are added (0: it fits). */
    over() {
      return Math.max(0, this.sent.length - MAX_PROMPT);
    },
  },
  watch: {
    /** A request to change and send again (an image's "Remix"): all of it in the form. */
    remix(request) {
      if (!request) return;
      state.remix = null;
      const { source, body } = request;
      const { prompt, preset } = withoutStyle(body.prompt, this.presets);
      Object.assign(this, { prompt, style: preset ? preset.name : "", model: body.model, imageSize: body.imageSize, aspectRatio: body.aspectRatio, count: body.count || 1 });
      this.source = source ? images.get(source) || { id: source } : null;
      state.references.splice(0, state.references.length, ...(body.referenceImageIds || []).map((id) => remember(images.get(id) || { id })));
      this.error = "";
      this.$nextTick(() => {
        this.$el.scrollIntoView({ block: "nearest" });
        this.$refs.prompt.focus();
      });
    },
    /** An open list of recent prompts closes at a click anywhere else. */
    showRecent(open) {
      if (open) document.addEventListener("click", this.clickedAway, true);
      else document.removeEventListener("click", this.clickedAway, true);
    },
    chosen(model) {
      if (!model) return;
      if (!model.imageSizes.includes(this.imageSize)) this.imageSize = model.imageSizes[0];
      if (!model.aspectRatios.includes(this.aspectRatio)) this.aspectRatio = model.aspectRatios[0];
    },
  },
  async mounted() {
    // The presets and recent prompts are help: without them (a bad configuration, the service busy)
    // the form works as before, so their failures are not the form's.
    this.loadPresets();
    this.loadRecent();
    try {
      await loadModels();
      this.model = defaultModel().id;
    } catch (error) {
      this.error = said(error);
    }
  },
  unmounted() {
    document.removeEventListener("click", this.clickedAway, true);
  },
  methods: {
    enterSends,
    /** An example put in the prompt box, to send as it is or to change first. */
    start(example) {
      this.prompt = example;
      this.$nextTick(() => this.$refs.prompt.focus());
    },
    async loadPresets() {
      try {
        this.presets = (await state.api.stylePresets()).presets;
      } catch {
        this.presets = [];
      }
    },
    /** The caller's latest prompts, again (after a generation: its prompt first). */
    async loadRecent() {
      try {
        this.recent = (await state.api.myPrompts({ limit: RECENT_SHOWN })).prompts;
      } catch {
        // kept as they were: a list to pick from, not worth an error
      }
    },
    /** A recent prompt back in the box as it was sent: the words of a style it ended with shown as
     * that style's chip. */
    pickRecent(used) {
      const { prompt, preset } = withoutStyle(used.prompt, this.presets);
      this.prompt = prompt;
      this.style = preset ? preset.name : "";
      this.showRecent = false;
      this.$nextTick(() => this.$refs.prompt.focus());
    },
    closeRecent() {
      this.showRecent = false;
      this.$refs.recentToggle.focus();
    },
    clickedAway(event) {
      if (!this.$refs.recent || !this.$refs.recent.contains(event.target)) this.showRecent = false;
    },
    /** At most one style: choosing the chosen one again takes it off. */
    choose(preset) {
      this.style = this.style === preset.name ? "" : preset.name;
    },
    sourceName() {
      return this.source.prompt !== undefined || this.source.title ? imageName(this.source) : t("common.anImage");
    },
    async generate() {
      if (this.busy || this.price === null || this.over) return; // Enter, while the button cannot be pressed
      this.busy = true;
      try {
        const body = { prompt: this.sent, model: this.model, imageSize: this.imageSize, aspectRatio: this.aspectRatio, count: this.count };
        if (state.references.length) body.referenceImageIds = state.references.map((image) => image.id);
        // A key of its own: a retried click charges once.
        const edited = this.source !== null;
        const accepted = edited ? await state.api.edit(this.source.id, body) : await state.api.generate(body);
        this.error = "";
        this.short = false;
        this.refused = [];
        this.source = null;
        state.references.splice(0); // used
        updateUser(accepted.user);
        madeAll(accepted.images);
        if (!edited) this.loadRecent(); // an edit's prompt is a change asked, not one of them
      } catch (error) {
        if (error instanceof SessionEnded) return;
        this.error = said(error);
        this.short = offersPacks(error);
        this.refused = error.details.imageIds || [];
      } finally {
        this.busy = false;
      }
    },
  },
  render,
};
