// The reference images picked for the next generation or edit.
import { imageName, state, toggleReference } from "../store.js";
import { render } from "./references.render.js"; // its markup: references.template.html, compiled by `make templates`

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
  render,
};
