// Generate: the prompt (with examples to start from; Enter generates), model, size, ratio and
// references, the price on the button.
import { SessionEnded } from "../api.js";
import { enterSends } from "../keys.js";
import { canBuy, defaultModel, imageName, images, loadModels, madeAll, offersPacks, remember, said, state, updateUser } from "../store.js";
import { EXAMPLE_PROMPTS, words } from "../words.js";
import { References } from "./references.js";
import { render } from "./create.render.js"; // its markup: create.template.html, compiled by `make templates`

export const Create = {
  components: { References },
  // `short`: the error is a 402, answered with a "Buy coins" link.
  // `source`: the image a remix of an edit changes (the request is then an edit of it), else null.
  data: () => ({ refused: [], model: "", imageSize: "", aspectRatio: "", count: 1, prompt: "", source: null, error: "", short: false, busy: false }),
  setup: () => ({ words, examples: EXAMPLE_PROMPTS, counts: [1, 2, 3, 4] }),
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
  },
  watch: {
    /** A request to change and send again (an image's "Remix"): all of it in the form. */
    remix(request) {
      if (!request) return;
      state.remix = null;
      const { source, body } = request;
      Object.assign(this, { prompt: body.prompt, model: body.model, imageSize: body.imageSize, aspectRatio: body.aspectRatio, count: body.count || 1 });
      this.source = source ? images.get(source) || { id: source } : null;
      state.references.splice(0, state.references.length, ...(body.referenceImageIds || []).map((id) => remember(images.get(id) || { id })));
      this.error = "";
      this.$nextTick(() => {
        this.$el.scrollIntoView({ block: "nearest" });
        this.$refs.prompt.focus();
      });
    },
    chosen(model) {
      if (!model) return;
      if (!model.imageSizes.includes(this.imageSize)) this.imageSize = model.imageSizes[0];
      if (!model.aspectRatios.includes(this.aspectRatio)) this.aspectRatio = model.aspectRatios[0];
    },
  },
  async mounted() {
    try {
      await loadModels();
      this.model = defaultModel().id;
    } catch (error) {
      this.error = said(error);
    }
  },
  methods: {
    enterSends,
    /** An example put in the prompt box, to send as it is or to change first. */
    start(example) {
      this.prompt = example;
      this.$nextTick(() => this.$refs.prompt.focus());
    },
    sourceName() {
      return this.source.prompt !== undefined || this.source.title ? imageName(this.source) : words.anImage;
    },
    async generate() {
      if (this.busy || this.price === null) return; // Enter, while the button cannot be pressed
      this.busy = true;
      try {
        const body = { prompt: this.prompt, model: this.model, imageSize: this.imageSize, aspectRatio: this.aspectRatio, count: this.count };
        if (state.references.length) body.referenceImageIds = state.references.map((image) => image.id);
        // A key of its own: a retried click charges once.
        const accepted = this.source ? await state.api.edit(this.source.id, body) : await state.api.generate(body);
        this.error = "";
        this.short = false;
        this.refused = [];
        this.source = null;
        state.references.splice(0); // used
        updateUser(accepted.user);
        madeAll(accepted.images);
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
