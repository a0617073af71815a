// The reference images picked for the next generation or edit.
import { imageName, state, toggleReference } from "../store.js";

/** The picked reference images, as a form shows them: in order, each removable, refused ones marked. */
export const References = {
  props: { room: { type: Number, default: 0 }, source: { type: String, default: null }, refused: { type: Array, default: () => [] } },
  computed: {
    picked() {
      return state.references.filter((image) => image.id !== this.source);
    },
    holdsSource() {
      return this.source !== null && state.references.some((image) => image.id === this.source);
    },
  },
  methods: {
    title: imageName,
    toggleReference,
  },
  template: `
    <div class="references" role="group" aria-label="Reference images">
      <p class="hint">{{ picked.length ? picked.length + " of at most " + room + " reference images" : "No reference images: add up to " + room + " with “Use as reference” on an image." }}</p>
      <p v-if="holdsSource" class="hint">The image being edited is given to the model already.</p>
      <ul v-if="picked.length" class="chips" role="list">
        <li v-for="image in picked" :key="image.id" :class="{ refused: refused.includes(image.id) }" :aria-label="title(image)">
          <img v-if="image.thumbnailUrl" :src="image.thumbnailUrl" alt="">
          <span>{{ title(image) }}</span>
          <button type="button" class="quiet" :aria-label="'Remove reference ' + title(image)" @click="toggleReference(image)">×</button>
        </li>
      </ul>
    </div>`,
};
