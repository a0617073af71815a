// The imagegen front end: Vue 3 from web/vendor (no bundler), talking only to the public API and to
// the presigned URLs it hands out. Its configuration (config.json) says where the API is and how to
// sign in: Google's button with a client id, or the local stack's issuer.
import { createApp, reactive } from "./vendor/vue.esm-browser.prod.js";
import { Api, ApiError, SessionEnded } from "./api.js";

const PAGE_SIZE = 24;
const POLL_FIRST_MS = 1000; // unfinished images are polled, backing off while nothing changes
const POLL_MOST_MS = 15000;
const UNFINISHED = new Set(["PENDING", "PROCESSING"]);

const state = reactive({ config: null, api: null, user: null, ended: "" });
// Every image the page knows, by id: one object per image, updated in place wherever it is shown.
const images = reactive(new Map());

function remember(image) {
  const known = images.get(image.id);
  if (known) {
    Object.assign(known, image);
    return known;
  }
  images.set(image.id, { ...image });
  return images.get(image.id);
}

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

/** POST a file to its presigned form as a browser form does (the signed fields first, the file last),
 * reporting the share sent as it goes. */
function post(upload, file, progress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", upload.url);
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status < 300) {
        progress(1);
        resolve();
        return;
      }
      const found = /<Message>([^<]*)<\/Message>/.exec(request.responseText); // S3 answers XML
      reject(new ApiError(request.status, "UPLOAD_REFUSED", found ? found[1] : "The bucket refused the file."));
    };
    request.onerror = () => reject(new ApiError(0, "UNAVAILABLE", "The file could not be sent to the bucket."));
    request.send(form);
  });
}

const MB = 1024 * 1024;

const Upload = {
  emits: ["created"],
  data: () => ({ sending: [], dragging: false }),
  computed: {
    limits() {
      return state.config.upload;
    },
    accept() {
      return this.limits.acceptedTypes.join(",");
    },
    maxMb() {
      return Math.round(this.limits.maxBytes / MB);
    },
  },
  methods: {
    picked(event) {
      this.add([...event.target.files]);
      event.target.value = ""; // the same file may be picked again
    },
    dropped(event) {
      this.dragging = false;
      this.add([...event.dataTransfer.files]);
    },
    add(files) {
      for (const file of files) {
        const entry = reactive({ key: crypto.randomUUID(), name: file.name, progress: 0, step: "sending", message: "", imageId: null });
        this.sending.unshift(entry);
        this.send(entry, file);
      }
    },
    /** Why the service would refuse the file, said before asking it for a URL; "" if it would not. */
    refusal(file) {
      const kinds = this.limits.acceptedTypes.map((type) => type.replace("image/", "").toUpperCase()).join(", ");
      if (!this.limits.acceptedTypes.includes(file.type)) return `Not an image the service takes: send ${kinds}.`;
      if (file.size === 0) return "The file is empty.";
      if (file.size > this.limits.maxBytes) {
        return `The file is ${(file.size / MB).toFixed(1)} MB; the largest upload is ${this.maxMb} MB.`;
      }
      return "";
    },
    async send(entry, file) {
      entry.message = this.refusal(file);
      if (entry.message) {
        entry.step = "refused";
        return;
      }
      try {
        const body = { filename: file.name.slice(0, 255), contentType: file.type, size: file.size };
        const accepted = await state.api.request("POST", "/images/upload", body);
        state.user = accepted.user;
        entry.imageId = accepted.image.id;
        this.$emit("created", accepted.image);
        await post(accepted.upload, file, (share) => {
          entry.progress = share;
        });
        entry.step = "sent";
      } catch (error) {
        if (error instanceof SessionEnded) return;
        entry.step = "refused";
        entry.message = said(error);
      }
    },
    verdict(entry) {
      if (entry.step === "refused") return entry.message;
      if (entry.step === "sending") return `${Math.round(entry.progress * 100)} %`;
      const image = images.get(entry.imageId);
      if (!image || UNFINISHED.has(image.status)) return "Checking the file…";
      return image.status === "COMPLETED" ? "Done" : image.error || "Failed";
    },
  },
  template: `
    <section class="card upload" aria-label="Upload images">
      <h2>Upload</h2>
      <label class="drop" :class="{ dragging }" @dragover.prevent="dragging = true" @dragleave="dragging = false" @drop.prevent="dropped">
        <span>Drop images here, or <u>pick them</u> ({{ limits.cost }} coins each, up to {{ maxMb }} MB)</span>
        <input type="file" name="files" multiple :accept="accept" @change="picked" aria-label="Images to upload">
      </label>
      <ul v-if="sending.length" class="sending" role="list">
        <li v-for="entry in sending" :key="entry.key" :aria-label="entry.name" :data-step="entry.step">
          <span class="name">{{ entry.name }}</span>
          <progress :value="entry.progress" max="1" :aria-label="'Upload of ' + entry.name"></progress>
          <span class="verdict" :class="{ error: entry.step === 'refused' }">{{ verdict(entry) }}</span>
        </li>
      </ul>
    </section>`,
};

const FILE_EXTENSIONS = { JPEG: "jpg", PNG: "png", WEBP: "webp", GIF: "gif" };

const Detail = {
  props: ["image"],
  emits: ["closed", "created", "deleted"],
  data() {
    return { title: this.image.title || "", description: this.image.description || "", error: "", saved: false, confirming: false, copied: false, busy: false };
  },
  computed: {
    label() {
      return this.image.title || this.image.prompt || "Untitled";
    },
    pixels() {
      const size = this.image.metadata;
      return size ? `${size.width} × ${size.height} ${size.format} · ${(size.size / 1024).toFixed(0)} KB` : "not measured yet";
    },
    cost() {
      const refunded = this.image.coinsRefunded ? `, ${this.image.coinsRefunded} refunded` : "";
      return `${this.image.coinsUsed} coins${refunded}`;
    },
    coinsOnDelete() {
      if (this.image.coinsRefunded) return "Its coins were already refunded.";
      return `The ${this.image.coinsUsed} coins it cost are not refunded.`;
    },
  },
  mounted() {
    this.$refs.dialog.showModal();
  },
  methods: {
    when(iso) {
      return new Date(iso).toLocaleString();
    },
    async act(action) {
      this.busy = true;
      try {
        await action();
        this.error = "";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      } finally {
        this.busy = false;
      }
    },
    save() {
      return this.act(async () => {
        const body = { title: this.title, description: this.description };
        remember((await state.api.request("PUT", `/images/${this.image.id}`, body)).image);
        this.saved = true;
      });
    },
    copy() {
      return this.act(async () => {
        await navigator.clipboard.writeText(this.image.prompt);
        this.copied = true;
      });
    },
    download() {
      return this.act(async () => {
        const response = await fetch(this.image.storageUrl);
        if (!response.ok) throw new ApiError(response.status, "UNAVAILABLE", "The file could not be fetched; try again.");
        const link = document.createElement("a");
        link.href = URL.createObjectURL(await response.blob());
        const extension = FILE_EXTENSIONS[(this.image.metadata || {}).format] || "img";
        link.download = `${this.label.replace(/[\\/:*?"<>|]+/g, " ").trim() || "image"}.${extension}`;
        link.click();
        URL.revokeObjectURL(link.href);
      });
    },
    again() {
      return this.act(async () => {
        const { prompt, model, imageSize, aspectRatio } = this.image;
        const headers = { "Idempotency-Key": crypto.randomUUID() };
        const accepted = await state.api.request("POST", "/images/generate", { prompt, model, imageSize, aspectRatio }, { headers });
        state.user = accepted.user;
        this.$emit("created", accepted.image);
        this.$refs.dialog.close();
      });
    },
    remove() {
      return this.act(async () => {
        await state.api.request("DELETE", `/images/${this.image.id}`);
        this.$emit("deleted", this.image.id);
        this.$refs.dialog.close();
      });
    },
  },
  template: `
    <dialog ref="dialog" class="detail" :aria-label="label" @close="$emit('closed')">
      <button type="button" class="close" aria-label="Close" @click="$refs.dialog.close()">×</button>
      <figure>
        <img v-if="image.storageUrl" :src="image.storageUrl" :alt="label">
        <span v-else class="placeholder">{{ image.status === "FAILED" ? image.error : "Working on it…" }}</span>
      </figure>
      <div class="about">
        <form @submit.prevent="save" aria-label="Title and description">
          <label>Title <input v-model="title" name="title" maxlength="200" @input="saved = false"></label>
          <label>Description <textarea v-model="description" name="description" maxlength="2000" rows="2" @input="saved = false"></textarea></label>
          <div class="action"><button type="submit" :disabled="busy">Save</button><span v-if="saved" class="hint" role="status">Saved</span></div>
        </form>
        <dl>
          <dt>Status</dt><dd>{{ image.status }}<span v-if="image.error"> · {{ image.error }}</span></dd>
          <dt>Kind</dt><dd>{{ image.type === "GENERATED" ? "generated" : "uploaded" }}</dd>
          <template v-if="image.model"><dt>Model</dt><dd>{{ image.model }} · {{ image.imageSize }} · {{ image.aspectRatio }}</dd></template>
          <dt>Image</dt><dd>{{ pixels }}</dd>
          <dt>Cost</dt><dd>{{ cost }}</dd>
          <dt>Created</dt><dd>{{ when(image.createdAt) }}</dd>
          <dt>Changed</dt><dd>{{ when(image.updatedAt) }}</dd>
        </dl>
        <div v-if="image.prompt" class="prompt">
          <p>{{ image.prompt }}</p>
          <button type="button" @click="copy">{{ copied ? "Copied" : "Copy the prompt" }}</button>
        </div>
        <div class="actions">
          <button type="button" :disabled="busy || !image.storageUrl" @click="download">Download</button>
          <button v-if="image.type === 'GENERATED'" type="button" :disabled="busy" @click="again">Run again · {{ image.coinsUsed }} coins</button>
          <button type="button" class="danger" :disabled="busy" @click="confirming = true">Delete</button>
        </div>
        <div v-if="confirming" class="confirm" role="group" aria-label="Confirm the deletion">
          <p>Delete “{{ label }}”? The image and its thumbnail are removed for good. {{ coinsOnDelete }}</p>
          <button type="button" class="danger" :disabled="busy" @click="remove">Delete for good</button>
          <button type="button" class="quiet" @click="confirming = false">Keep it</button>
        </div>
        <p v-if="error" class="error" role="alert">{{ error }}</p>
      </div>
    </dialog>`,
};

const Gallery = {
  components: { Detail },
  data: () => ({ opened: null, images: [], cursor: null, done: false, loading: false, error: "", type: "", status: "", pollMs: POLL_FIRST_MS }),
  created() {
    this.listed = new Set();
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
      const known = remember(image);
      if (this.listed.has(image.id)) return;
      this.listed.add(image.id);
      if (first) this.images.unshift(known);
      else this.images.push(known);
    },
    added(image) {
      remember(image);
      if ((!this.type || image.type === this.type) && (!this.status || image.status === this.status)) this.place(image, true);
      this.poll(true);
    },
    restart() {
      this.generation += 1;
      this.images = [];
      this.listed.clear();
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
      const unfinished = () => [...images.values()].filter((image) => UNFINISHED.has(image.status));
      if (unfinished().length === 0) return;
      this.pollTimer = setTimeout(async () => {
        let changed = false;
        for (const image of unfinished()) {
          try {
            const fresh = (await state.api.request("GET", `/images/${image.id}`)).image;
            changed = changed || fresh.status !== image.status || fresh.thumbnailUrl !== image.thumbnailUrl;
            remember(fresh);
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
      images.delete(id);
      this.listed.delete(id);
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
          <button type="button" class="frame" :style="{ aspectRatio: shape(image) }" :aria-label="'Open ' + label(image)" @click="opened = image">
            <img v-if="image.thumbnailUrl" :src="image.thumbnailUrl" :alt="label(image)" loading="lazy">
            <span v-else class="placeholder">{{ image.status === "FAILED" ? "Failed" : "Working on it…" }}</span>
          </button>
          <p class="title">{{ label(image) }}</p>
          <p class="meta"><span class="status">{{ image.status }}</span> · {{ image.type === "GENERATED" ? "generated" : "uploaded" }}</p>
          <p v-if="image.status === 'FAILED' && image.error" class="error">{{ image.error }}</p>
        </li>
      </ul>
      <p v-if="!loading && done && images.length === 0" class="hint">Nothing here yet.</p>
      <Detail v-if="opened" :image="opened" @closed="opened = null" @created="added" @deleted="drop" />
      <div ref="end" class="end">
        <button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more" }}</button>
        <span v-else-if="images.length" class="hint">That is everything.</span>
      </div>
    </section>`,
};

const Shell = {
  components: { Create, Upload, Gallery },
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
      <div class="makers">
        <Create @created="$refs.gallery.added($event)" />
        <Upload @created="$refs.gallery.added($event)" />
      </div>
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
