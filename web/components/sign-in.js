// Sign-in: Google's button with a client id, or the local stack's issuer.
import { said, state } from "../store.js";

export const SignIn = {
  props: ["config"],
  data: () => ({ email: "", firstName: "", lastName: "", error: "", busy: false }),
  mounted() {
    if (!this.config.localIssuer && this.config.googleClientId) this.googleButton();
  },
  methods: {
    async signIn(idToken) {
      this.busy = true;
      this.error = "";
      try {
        state.user = await state.api.signIn(idToken);
        state.ended = "";
      } catch (error) {
        this.error = said(error);
      } finally {
        this.busy = false;
      }
    },
    async local() {
      const response = await fetch(`${this.config.apiUrl}/_dev/id-token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email: this.email, firstName: this.firstName, lastName: this.lastName }),
      });
      if (!response.ok) {
        this.error = "The local sign-in refused this email.";
        return;
      }
      await this.signIn((await response.json()).token);
    },
    googleButton() {
      const script = document.createElement("script");
      script.src = "https://accounts.google.com/gsi/client";
      script.onload = () => {
        window.google.accounts.id.initialize({
          client_id: this.config.googleClientId,
          callback: (answer) => this.signIn(answer.credential),
        });
        window.google.accounts.id.renderButton(this.$refs.google, { theme: "outline", size: "large" });
      };
      document.head.appendChild(script);
    },
  },
  template: `
    <main class="signin">
      <h1>imagegen</h1>
      <p class="lead">Generate and edit images with Google's Nano Banana models, and keep them in your gallery.</p>
      <p v-if="$root.ended" class="notice" role="status">{{ $root.ended }}</p>
      <div v-if="!config.localIssuer && config.googleClientId" ref="google"></div>
      <form v-else class="card" @submit.prevent="local" aria-label="Sign in">
        <p class="hint">Local stack: any email signs in through its stand-in for Google.</p>
        <label>Email <input v-model.trim="email" type="email" name="email" required autocomplete="email"></label>
        <label>First name <input v-model.trim="firstName" name="firstName" autocomplete="given-name"></label>
        <label>Last name <input v-model.trim="lastName" name="lastName" autocomplete="family-name"></label>
        <button type="submit" :disabled="busy">Sign in</button>
        <p v-if="error" class="error" role="alert">{{ error }}</p>
      </form>
    </main>`,
};
