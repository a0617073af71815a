// The imagegen front end: Vue 3 from web/vendor (no bundler), talking only to the public API and to
// the presigned URLs it hands out. Its configuration (config.json) says where the API is and how to
// sign in: Google's button with a client id, or the local stack's issuer.
import { createApp, reactive } from "./vendor/vue.esm-browser.prod.js";
import { Api, SessionEnded } from "./api.js";

const PAGE_SIZE = 24;
const POLL_FIRST_MS = 1000; // unfinished images are polled, backing off while nothing changes
const POLL_MOST_MS = 15000;
const UNFINISHED = new Set(["PENDING", "PROCESSING"]);

const state = reactive({ config: null, api: null, user: null, ended: "" });

/** The message to show for an error, in the API's words (and what to do about running out of coins). */
function said(error) {
  if (error && error.code === "INSUFFICIENT_COINS") {
    if (state.user && Number.isInteger(error.details.balance)) state.user.coins = error.details.balance;
    return `${error.message} Ask an admin for coins, or delete an unfinished image to get its coins back.`;
  }
  return (error && error.message) || "Something went wrong.";
}

function endSession(error) {
  state.user = null;
  state.ended = error.code === "TOKEN_EXPIRED" ? "Your session expired: sign in again." : `You were signed out: ${error.message}`;
}

const SignIn = {
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

const Create = {
  emits: ["created"],
  data: () => ({ models: [], model: "", imageSize: "", aspectRatio: "", prompt: "", error: "", busy: false }),
  computed: {
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
      this.models = (await state.api.request("GET", "/models", undefined, { anonymous: true })).models;
      this.model = (this.models.find((model) => model.default) || this.models[0]).id;
    } catch (error) {
      this.error = said(error);
    }
  },
  methods: {
    async generate() {
      this.busy = true;
      try {
        const body = { prompt: this.prompt, model: this.model, imageSize: this.imageSize, aspectRatio: this.aspectRatio };
        const headers = { "Idempotency-Key": crypto.randomUUID() }; // a retried click charges once
        const accepted = await state.api.request("POST", "/images/generate", body, { headers });
        this.error = "";
        state.user = accepted.user;
        this.$emit("created", accepted.image);
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
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
      <div class="action">
        <button type="submit" :disabled="busy || price === null">Generate{{ price !== null ? " · " + price + " coins" : "" }}</button>
        <span v-if="price !== null && $root.user.coins >= price" class="hint">balance after: {{ $root.user.coins - price }}</span>
        <span v-else-if="price !== null" class="hint">not enough coins: you have {{ $root.user.coins }}</span>
      </div>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
    </form>`,
};

const Gallery = {
  data: () => ({ images: [], cursor: null, done: false, loading: false, error: "", type: "", status: "", pollMs: POLL_FIRST_MS }),
  created() {
    this.byId = new Map();
    this.generation = 0; // a load begun for other filters is dropped when it answers
    this.pollTimer = null;
  },
  mounted() {
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.more();
    });
    this.observer.observe(this.$refs.end);
    this.more();
  },
  unmounted() {
    this.observer.disconnect();
    clearTimeout(this.pollTimer);
  },
  methods: {
    /** Put an image in the gallery, or update the one already there: never twice. */
    place(image, first = false) {
      const known = this.byId.get(image.id);
      if (known) {
        Object.assign(known, image);
        return;
      }
      const placed = reactive({ ...image });
      this.byId.set(image.id, placed);
      if (first) this.images.unshift(placed);
      else this.images.push(placed);
    },
    added(image) {
      if ((!this.type || image.type === this.type) && (!this.status || image.status === this.status)) this.place(image, true);
      this.poll(true);
    },
    restart() {
      this.generation += 1;
      this.images = [];
      this.byId.clear();
      this.cursor = null;
      this.done = false;
      this.loading = false;
      this.more();
    },
    async more() {
      if (this.loading || this.done) return;
      const generation = this.generation;
      this.loading = true;
      try {
        const query = { limit: PAGE_SIZE, cursor: this.cursor, type: this.type, status: this.status };
        const page = await state.api.request("GET", "/images", undefined, { query });
        if (generation !== this.generation) return;
        page.images.forEach((image) => this.place(image));
        this.cursor = page.nextCursor;
        this.done = !page.nextCursor;
        this.error = "";
        this.poll(true);
        // Observed again, the end says at once whether it is still in view (a page that did not fill it).
        this.$nextTick(() => {
          this.observer.unobserve(this.$refs.end);
          this.observer.observe(this.$refs.end);
        });
      } catch (error) {
        if (generation === this.generation && !(error instanceof SessionEnded)) this.error = said(error);
      } finally {
        if (generation === this.generation) this.loading = false;
      }
    },
    /** Poll the unfinished images, sooner after a change, later while nothing changes. */
    poll(soon = false) {
      clearTimeout(this.pollTimer);
      if (soon) this.pollMs = POLL_FIRST_MS;
      if (!this.images.some((image) => UNFINISHED.has(image.status))) return;
      this.pollTimer = setTimeout(async () => {
        let changed = false;
        for (const image of this.images.filter((each) => UNFINISHED.has(each.status))) {
          try {
            const fresh = (await state.api.request("GET", `/images/${image.id}`)).image;
            changed = changed || fresh.status !== image.status || fresh.thumbnailUrl !== image.thumbnailUrl;
            this.place(fresh);
          } catch (error) {
            if (error instanceof SessionEnded) return;
            if (error.status === 404) this.drop(image.id);
          }
        }
        this.pollMs = changed ? POLL_FIRST_MS : Math.min(this.pollMs * 2, POLL_MOST_MS);
        this.poll();
      }, this.pollMs);
    },
    drop(id) {
      this.byId.delete(id);
      this.images = this.images.filter((image) => image.id !== id);
    },
    shape(image) {
      const size = image.metadata;
      if (size && size.width && size.height) return `${size.width} / ${size.height}`;
      const ratio = (image.aspectRatio || "1:1").split(":");
      return `${ratio[0]} / ${ratio[1]}`;
    },
    label(image) {
      return image.title || image.prompt || "Untitled";
    },
  },
  template: `
    <section class="gallery" aria-label="Your images">
      <div class="bar">
        <h2>Your images</h2>
        <label>Type
          <select v-model="type" name="type" @change="restart">
            <option value="">All</option><option value="GENERATED">Generated</option><option value="UPLOADED">Uploaded</option>
          </select>
        </label>
        <label>Status
          <select v-model="status" name="status" @change="restart">
            <option value="">Any</option><option value="COMPLETED">Completed</option>
            <option value="PENDING">Pending</option><option value="PROCESSING">Processing</option><option value="FAILED">Failed</option>
          </select>
        </label>
      </div>
      <p v-if="error" class="error" role="alert">{{ error }} <button type="button" @click="more">Try again</button></p>
      <ul class="grid" role="list">
        <li v-for="image in images" :key="image.id" class="tile" :data-id="image.id" :data-status="image.status" :aria-label="label(image)">
          <div class="frame" :style="{ aspectRatio: shape(image) }">
            <img v-if="image.thumbnailUrl" :src="image.thumbnailUrl" :alt="label(image)" loading="lazy">
            <span v-else class="placeholder">{{ image.status === "FAILED" ? "Failed" : "Working on it…" }}</span>
          </div>
          <p class="title">{{ label(image) }}</p>
          <p class="meta"><span class="status">{{ image.status }}</span> · {{ image.type === "GENERATED" ? "generated" : "uploaded" }}</p>
          <p v-if="image.status === 'FAILED' && image.error" class="error">{{ image.error }}</p>
        </li>
      </ul>
      <p v-if="!loading && done && images.length === 0" class="hint">Nothing here yet.</p>
      <div ref="end" class="end">
        <button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more" }}</button>
        <span v-else-if="images.length" class="hint">That is everything.</span>
      </div>
    </section>`,
};

const Shell = {
  components: { Create, Gallery },
  methods: {
    async signOut() {
      await state.api.signOut().catch(() => {});
      state.user = null;
    },
  },
  template: `
    <header class="top">
      <strong>imagegen</strong>
      <span class="who">{{ $root.user.firstName || $root.user.email }}</span>
      <span class="coins" aria-label="Coins">{{ $root.user.coins }} coins</span>
      <button type="button" @click="signOut">Sign out</button>
    </header>
    <main>
      <Create @created="$refs.gallery.added($event)" />
      <Gallery ref="gallery" />
    </main>`,
};

const App = {
  components: { SignIn, Shell },
  setup: () => state,
  async mounted() {
    if (!state.api.signedIn()) return;
    try {
      state.user = (await state.api.request("GET", "/auth/me")).user;
    } catch (error) {
      if (!(error instanceof SessionEnded)) state.api.forget();
    }
  },
  template: `<Shell v-if="user" /><SignIn v-else :config="config" />`,
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
