// Generate: model, size, ratio and references, the price on the button.
import { SessionEnded } from "../api.js";
import { defaultModel, loadModels, made, said, state, updateUser } from "../store.js";
import { References } from "./references.js";

export const Create = {
  components: { References },
  data: () => ({ refused: [], model: "", imageSize: "", aspectRatio: "", prompt: "", error: "", busy: false }),
  computed: {
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
    async generate() {
      this.busy = true;
      try {
        const body = { prompt: this.prompt, model: this.model, imageSize: this.imageSize, aspectRatio: this.aspectRatio };
        if (state.references.length) body.referenceImageIds = state.references.map((image) => image.id);
        const headers = { "Idempotency-Key": crypto.randomUUID() }; // a retried click charges once
        const accepted = await state.api.request("POST", "/images/generate", body, { headers });
        this.error = "";
        this.refused = [];
        state.references.splice(0); // used
        updateUser(accepted.user);
        made(accepted.image);
      } catch (error) {
        if (error instanceof SessionEnded) return;
        this.error = said(error);
        this.refused = error.details.imageIds || [];
      } finally {
        this.busy = false;
      }
    },
  },
  template: `
    <form class="card create" @submit.prevent="generate" aria-label="Generate an image">
      <h2>Generate</h2>
      <label class="wide">Prompt <textarea v-model.trim="prompt" name="prompt" required maxlength="2000" rows="2"></textarea></label>
      <label>Model
        <select v-model="model" name="model">
          <option v-for="m in models" :key="m.id" :value="m.id">{{ m.name }}</option>
        </select>
      </label>
      <label>Size
        <select v-model="imageSize" name="imageSize">
          <option v-for="size in (chosen ? chosen.imageSizes : [])" :key="size" :value="size">{{ size }}</option>
        </select>
      </label>
      <label>Aspect ratio
        <select v-model="aspectRatio" name="aspectRatio">
          <option v-for="ratio in (chosen ? chosen.aspectRatios : [])" :key="ratio" :value="ratio">{{ ratio }}</option>
        </select>
      </label>
      <References class="wide" :room="chosen ? chosen.maxReferenceImages : 0" :refused="refused" />
      <div class="action">
        <button type="submit" :disabled="busy || price === null">Generate{{ price !== null ? " · " + price + " coins" : "" }}</button>
        <span v-if="price !== null && $root.user.coins >= price" class="hint">balance after: {{ $root.user.coins - price }}</span>
        <span v-else-if="price !== null" class="hint">not enough coins: you have {{ $root.user.coins }}</span>
      </div>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
    </form>`,
};
