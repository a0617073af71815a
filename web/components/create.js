// Generate: the prompt (with examples to start from; Enter generates), model, size, ratio and
// references, the price on the button.
import { SessionEnded } from "../api.js";
import { enterSends } from "../keys.js";
import { canBuy, defaultModel, loadModels, made, offersPacks, said, state, updateUser } from "../store.js";
import { EXAMPLE_PROMPTS, words } from "../words.js";
import { References } from "./references.js";
import { render } from "./create.render.js"; // its markup: create.template.html, compiled by `make templates`

export const Create = {
  components: { References },
  // `short`: the error is a 402, answered with a "Buy coins" link.
  data: () => ({ refused: [], model: "", imageSize: "", aspectRatio: "", prompt: "", error: "", short: false, busy: false }),
  setup: () => ({ words, examples: EXAMPLE_PROMPTS }),
  computed: {
    canBuy,
    models() {
      return state.models;
    },
    chosen() {
      return this.models.find((model) => model.id === this.model) || null;
    },
    price() {
      return this.chosen ? this.chosen.costs[this.imageSize] : null;
    },
  },
  watch: {
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
    async generate() {
      if (this.busy || this.price === null) return; // Enter, while the button cannot be pressed
      this.busy = true;
      try {
        const body = { prompt: this.prompt, model: this.model, imageSize: this.imageSize, aspectRatio: this.aspectRatio };
        if (state.references.length) body.referenceImageIds = state.references.map((image) => image.id);
        const accepted = await state.api.generate(body); // a key of its own: a retried click charges once
        this.error = "";
        this.short = false;
        this.refused = [];
        state.references.splice(0); // used
        updateUser(accepted.user);
        made(accepted.image);
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
