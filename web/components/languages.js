// The language menu: the configured languages, each named in itself ("English", "Español"), the
// one spoken chosen. Choosing one emits `choose` with its code: the header saves it to the profile,
// the sign-in page speaks it (and a new user's profile takes it).
import { nativeName, pageLanguages } from "../i18n.js";
import { render } from "./languages.render.js"; // its markup: languages.template.html, compiled by `make templates`

export const Languages = {
  props: { chosen: { type: String, required: true } },
  emits: ["choose"],
  setup: () => ({ languages: pageLanguages(), nativeName }),
  render,
};
