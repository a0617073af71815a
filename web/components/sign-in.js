// Sign-in: Google's button with a client id, or the local stack's issuer.
import { language, speak, t } from "../i18n.js";
import { said, state } from "../store.js";
import { Languages } from "./languages.js";
import { render } from "./sign-in.render.js"; // its markup: sign-in.template.html, compiled by `make templates`

const GOOGLE_SCRIPT = "https://accounts.google.com/gsi/client";
let googleScript = null; // loaded once per page, however often the sign-in page is shown

/** Google's sign-in script, loaded once; a failed load may be tried again. */
function loadGoogle() {
  googleScript ||= new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = GOOGLE_SCRIPT;
    script.async = true;
    script.onload = () => resolve(window.google.accounts.id);
    script.onerror = () => {
      script.remove();
      googleScript = null;
      reject(new Error("signIn.googleUnavailable"));
    };
    document.head.appendChild(script);
  });
  return googleScript;
}

export const SignIn = {
  components: { Languages },
  props: ["config"],
  data: () => ({ email: "", firstName: "", lastName: "", error: "", busy: false }),
  computed: {
    withGoogle() {
      return !this.config.localIssuer && Boolean(this.config.googleClientId);
    },
  },
  mounted() {
    if (this.withGoogle) this.googleButton();
  },
  watch: {
    /** Google's button speaks the page's language: drawn again when it changes. */
    "$i18n.locale"() {
      if (this.withGoogle) this.googleButton();
    },
  },
  methods: {
    speak,
    async signIn(idToken) {
      this.busy = true;
      this.error = "";
      try {
        // A new user's profile takes the page's language (the browser's, or the one chosen here).
        state.user = await state.api.signIn(idToken, language());
        state.ended = "";
      } catch (error) {
        this.error = said(error);
      } finally {
        this.busy = false;
      }
    },
    async local() {
      const idToken = await state.api.localIdToken({ email: this.email, firstName: this.firstName, lastName: this.lastName });
      if (!idToken) {
        this.error = t("signIn.localRefused");
        return;
      }
      await this.signIn(idToken);
    },
    async googleButton() {
      try {
        const google = await loadGoogle();
        if (!this.$refs.google) return; // the page moved on meanwhile
        google.initialize({ client_id: this.config.googleClientId, callback: (answer) => this.signIn(answer.credential) });
        this.$refs.google.replaceChildren();
        google.renderButton(this.$refs.google, { theme: "outline", size: "large", text: "signin_with", locale: language() });
      } catch (error) {
        this.error = t(error.message);
      }
    },
  },
  render,
};
