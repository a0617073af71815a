// The imagegen front end: Vue 3's runtime from web/vendor (no bundler; the templates are compiled
// ahead of time by `make templates`, so the page evaluates no strings), talking only to the public
// API and to the presigned URLs it hands out. Its configuration (config.json) says where the API is
// and how to sign in: Google's button with a client id, or the local stack's issuer.
import { createApp, watch } from "./vendor/vue.runtime.esm-browser.prod.js";
import { Api, SessionEnded } from "./api.js";
import { SignIn } from "./components/sign-in.js";
import { Shell } from "./components/shell.js";
import { firstLanguage, i18n, remember, speak } from "./i18n.js";
import { endSession, forgetUser, state } from "./store.js";
import { render } from "./app.render.js"; // its markup: app.template.html, compiled by `make templates`

/** The user of the stored session (this tab's, or one another tab signed in), shown. */
async function showUser() {
  if (!state.api.signedIn()) return;
  try {
    const { user } = await state.api.me();
    // Unless signed out, or in as someone else, meanwhile.
    if (state.api.signedIn() && state.api.session.userId === user.id) state.user = user;
  } catch (error) {
    if (!(error instanceof SessionEnded)) state.api.forget();
  }
}

/** Another tab signed out (this one shows the sign-in page, at once) or signed someone in (this one
 * shows them, not what it showed of anyone before). */
function elsewhere(signedIn) {
  forgetUser();
  state.ended = signedIn ? "" : "session.signedOutElsewhere";
  if (signedIn) showUser();
}

const App = {
  components: { SignIn, Shell },
  setup: () => state,
  mounted: showUser,
  render,
};

/** The signed-in user's language, wherever it was chosen (here, on another device, by an admin):
 * spoken, and remembered for this browser's next first paint. Signed out: the browser's. */
function followLanguage() {
  watch(
    () => state.user && state.user.language,
    (language) => {
      remember(language);
      speak(language || firstLanguage(state.config, false));
    },
  );
}

async function start() {
  state.config = await (await fetch("config.json")).json();
  state.api = new Api(state.config.apiUrl, endSession, elsewhere);
  window.addEventListener("unhandledrejection", (event) => {
    if (event.reason instanceof SessionEnded) event.preventDefault(); // already shown on the sign-in page
  });
  await speak(firstLanguage(state.config, state.api.signedIn()));
  followLanguage();
  createApp(App).use(i18n).mount("#app");
}

start();
