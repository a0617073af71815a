// The imagegen front end: Vue 3's runtime from web/vendor (no bundler; the templates are compiled
// ahead of time by `make templates`, so the page evaluates no strings), talking only to the public
// API and to the presigned URLs it hands out. Its configuration (config.json) says where the API is
// and how to sign in: Google's button with a client id, or the local stack's issuer.
import { createApp } from "./vendor/vue.runtime.esm-browser.prod.js";
import { Api, SessionEnded } from "./api.js";
import { SignIn } from "./components/sign-in.js";
import { Shell } from "./components/shell.js";
import { endSession, state } from "./store.js";
import { render } from "./app.render.js"; // its markup: app.template.html, compiled by `make templates`

const App = {
  components: { SignIn, Shell },
  setup: () => state,
  async mounted() {
    if (!state.api.signedIn()) return;
    try {
      state.user = (await state.api.me()).user;
    } catch (error) {
      if (!(error instanceof SessionEnded)) state.api.forget();
    }
  },
  render,
};

async function start() {
  state.config = await (await fetch("config.json")).json();
  state.api = new Api(state.config.apiUrl, endSession);
  window.addEventListener("unhandledrejection", (event) => {
    if (event.reason instanceof SessionEnded) event.preventDefault(); // already shown on the sign-in page
  });
  createApp(App).mount("#app");
}

start();
