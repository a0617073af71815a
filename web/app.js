// The imagegen front end: Vue 3 from web/vendor (no bundler), talking only to the public API and to
// the presigned URLs it hands out. Its configuration (config.json) says where the API is and how to
// sign in: Google's button with a client id, or the local stack's issuer.
import { createApp, reactive } from "./vendor/vue.esm-browser.prod.js";
import { Api, ApiError, SessionEnded } from "./api.js";

const PAGE_SIZE = 24;
const POLL_FIRST_MS = 1000; // unfinished images are polled, backing off while nothing changes
const POLL_MOST_MS = 15000;
const UNFINISHED = new Set(["PENDING", "PROCESSING"]);

// `references`: the images picked ("Use as reference") for the next generation or edit, in order.
const state = reactive({ config: null, api: null, user: null, ended: "", models: [], references: [] });
// Every image the page knows, by id: one object per image, updated in place wherever it is shown.
const images = reactive(new Map());

// Whoever shows new images (the gallery) hears of each one made, wherever it was made, even when
// the view that made it is gone by the time the API answered.
const madeListeners = new Set();

function made(image) {
  remember(image);
  for (const listener of madeListeners) listener(image);
}

function isReference(image) {
  return state.references.some((picked) => picked.id === image.id);
}

function toggleReference(image) {
  const at = state.references.findIndex((picked) => picked.id === image.id);
  if (at >= 0) state.references.splice(at, 1);
  else state.references.push(remember(image));
}

/** The picked reference images, as a form shows them: in order, each removable, refused ones marked. */
const References = {
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
    title: (image) => image.title || image.prompt || "Untitled",
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

/** The model catalog, fetched once per page. */
async function loadModels() {
  if (state.models.length === 0) {
    state.models = (await state.api.request("GET", "/models", undefined, { anonymous: true })).models;
  }
  return state.models;
}

function modelName(id) {
  const model = state.models.find((each) => each.id === id);
  return model ? model.name : id;
}

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
  if (error && error.code === "VALIDATION_ERROR" && Array.isArray(error.details.fields)) {
    return [error.message, ...error.details.fields.map((field) => field.message)].join(" ");
  }
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
        if (state.references.length) body.referenceImageIds = state.references.map((image) => image.id);
        const headers = { "Idempotency-Key": crypto.randomUUID() }; // a retried click charges once
        const accepted = await state.api.request("POST", "/images/generate", body, { headers });
        this.error = "";
        this.refused = [];
        state.references.splice(0); // used
        state.user = accepted.user;
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
        made(accepted.image);
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
  components: { References },
  props: ["image"],
  emits: ["closed", "deleted"],
  data() {
    return {
      title: this.image.title || "",
      description: this.image.description || "",
      error: "",
      saved: false,
      confirming: false,
      copied: false,
      busy: false,
      change: "",
      model: this.image.model || "",
      imageSize: this.image.imageSize || "1K",
      thread: [],
      compared: null,
      split: 50,
      refused: [],
    };
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
    modelSpec() {
      return state.models.find((model) => model.id === this.model) || null;
    },
    editPrice() {
      return this.modelSpec ? this.modelSpec.costs[this.imageSize] : null;
    },
    /** The older of the two compared versions is "before". */
    pair() {
      if (!this.compared) return null;
      const older = this.compared.createdAt <= this.image.createdAt;
      return older ? { before: this.compared, after: this.image } : { before: this.image, after: this.compared };
    },
    coinsOnDelete() {
      if (this.image.coinsRefunded) return "Its coins were already refunded.";
      return `The ${this.image.coinsUsed} coins it cost are not refunded.`;
    },
  },
  async mounted() {
    this.$refs.dialog.showModal();
    await loadModels().catch(() => {});
    if (!this.model && state.models.length) this.model = (state.models.find((m) => m.default) || state.models[0]).id;
    await this.loadThread();
  },
  watch: {
    modelSpec(model) {
      if (model && !model.imageSizes.includes(this.imageSize)) this.imageSize = model.imageSizes[0];
    },
  },
  methods: {
    version(image) {
      return this.thread.findIndex((each) => each.id === image.id) + 1;
    },
    async loadThread() {
      try {
        const page = await state.api.request("GET", `/images/${this.image.id}/thread`, undefined, { query: { limit: 100 } });
        this.thread = page.images.map(remember);
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      }
    },
    edit() {
      return this.act(async () => {
        const body = { prompt: this.change, model: this.model, imageSize: this.imageSize }; // the ratio nearest the source's
        const references = state.references.filter((image) => image.id !== this.image.id).map((image) => image.id);
        if (references.length) body.referenceImageIds = references;
        const headers = { "Idempotency-Key": crypto.randomUUID() };
        this.refused = [];
        const accepted = await state.api.request("POST", `/images/${this.image.id}/edit`, body, { headers }).catch((error) => {
          this.refused = (error.details && error.details.imageIds) || [];
          throw error;
        });
        state.user = accepted.user;
        state.references.splice(0); // used
        this.change = "";
        made(accepted.image);
        await this.loadThread();
      });
    },
    modelName,
    isReference,
    toggleReference,
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
        made(accepted.image);
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
      <figure v-if="pair" class="compare">
        <img :src="pair.before.storageUrl" :alt="'Before: version ' + version(pair.before)">
        <img class="after" :src="pair.after.storageUrl" :alt="'After: version ' + version(pair.after)" :style="{ clipPath: 'inset(0 0 0 ' + split + '%)' }">
        <input type="range" min="0" max="100" v-model.number="split" aria-label="Before and after">
        <figcaption>Version {{ version(pair.before) }} (left) and version {{ version(pair.after) }} (right) <button type="button" class="quiet" @click="compared = null">Stop comparing</button></figcaption>
      </figure>
      <figure v-else>
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
          <template v-if="image.model"><dt>Model</dt><dd>{{ modelName(image.model) }} · {{ image.imageSize }} · {{ image.aspectRatio }}</dd></template>
          <dt>Image</dt><dd>{{ pixels }}</dd>
          <dt>Cost</dt><dd>{{ cost }}</dd>
          <dt>Created</dt><dd>{{ when(image.createdAt) }}</dd>
          <dt>Changed</dt><dd>{{ when(image.updatedAt) }}</dd>
        </dl>
        <div v-if="image.prompt" class="prompt">
          <p>{{ image.prompt }}</p>
          <button type="button" @click="copy">{{ copied ? "Copied" : "Copy the prompt" }}</button>
        </div>
        <form v-if="image.status === 'COMPLETED'" class="edit" @submit.prevent="edit" aria-label="Edit this image">
          <label>Describe the change <textarea v-model.trim="change" name="change" required maxlength="2000" rows="2"></textarea></label>
          <div class="row">
            <label>Model
              <select v-model="model" name="model"><option v-for="m in $root.models" :key="m.id" :value="m.id">{{ m.name }}</option></select>
            </label>
            <label>Size
              <select v-model="imageSize" name="imageSize"><option v-for="size in (modelSpec ? modelSpec.imageSizes : [])" :key="size" :value="size">{{ size }}</option></select>
            </label>
          </div>
          <References :room="modelSpec ? modelSpec.maxReferenceImages : 0" :source="image.id" :refused="refused" />
          <button type="submit" :disabled="busy || editPrice === null">Edit{{ editPrice !== null ? " · " + editPrice + " coins" : "" }}</button>
        </form>
        <section v-if="thread.length > 1" class="thread" aria-label="Versions">
          <h3>Versions</h3>
          <ol role="list">
            <li v-for="(each, index) in thread" :key="each.id">
              <button type="button" class="quiet" :disabled="each.id === image.id || !each.storageUrl" :aria-pressed="compared !== null && compared.id === each.id"
                :aria-label="each.id === image.id ? 'Version ' + (index + 1) + ', this one' : 'Compare with version ' + (index + 1)" @click="compared = each">
                <img v-if="each.thumbnailUrl" :src="each.thumbnailUrl" alt=""><span v-else>{{ each.status }}</span>
              </button>
            </li>
          </ol>
        </section>
        <div class="actions">
          <button v-if="image.status === 'COMPLETED'" type="button" class="quiet" :aria-pressed="isReference(image)" @click="toggleReference(image)">Use as reference</button>
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
    this.listen = (image) => this.added(image);
    madeListeners.add(this.listen);
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) this.more();
    });
    this.observer.observe(this.$refs.end);
    this.more();
  },
  unmounted() {
    this.gone = true; // loads and polls still under way stop when they answer
    madeListeners.delete(this.listen);
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
        if (generation !== this.generation || this.gone) return;
        page.images.forEach((image) => this.place(image));
        this.cursor = page.nextCursor;
        this.done = !page.nextCursor;
        this.error = "";
        this.poll(true);
        // Observed again, the end says at once whether it is still in view (a page that did not fill it).
        this.$nextTick(() => {
          const end = this.$refs.end; // gone if the gallery was left meanwhile
          if (!end) return;
          this.observer.unobserve(end);
          this.observer.observe(end);
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
      if (this.gone) return;
      if (soon) this.pollMs = POLL_FIRST_MS;
      const unfinished = () => [...images.values()].filter((image) => UNFINISHED.has(image.status));
      if (unfinished().length === 0) return;
      this.pollTimer = setTimeout(async () => {
        let changed = false;
        let refunded = false;
        for (const image of unfinished()) {
          try {
            const fresh = (await state.api.request("GET", `/images/${image.id}`)).image;
            changed = changed || fresh.status !== image.status || fresh.thumbnailUrl !== image.thumbnailUrl;
            remember(fresh);
            if (fresh.status === "FAILED" && fresh.coinsRefunded) refunded = true;
          } catch (error) {
            if (error instanceof SessionEnded) return;
            if (error.status === 404) this.drop(image.id);
          }
        }
        if (refunded) {
          // The coins came back: show the balance as it is now.
          state.user = await state.api.request("GET", "/auth/me").then((body) => body.user, () => state.user);
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
    isReference,
    toggleReference,
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
          <p class="meta"><span class="status">{{ image.status }}</span> · {{ image.type === "GENERATED" ? "generated" : "uploaded" }}<span v-if="image.referenceImageIds && image.referenceImageIds.length"> · {{ image.referenceImageIds.length }} references</span></p>
          <button v-if="image.status === 'COMPLETED'" type="button" class="quiet pick" :aria-pressed="isReference(image)" @click="toggleReference(image)">Use as reference</button>
          <p v-if="image.status === 'FAILED' && image.error" class="error">{{ image.error }}</p>
        </li>
      </ul>
      <p v-if="!loading && done && images.length === 0" class="hint">Nothing here yet.</p>
      <Detail v-if="opened" :image="opened" @closed="opened = null" @deleted="drop" />
      <div ref="end" class="end">
        <button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more" }}</button>
        <span v-else-if="images.length" class="hint">That is everything.</span>
      </div>
    </section>`,
};

/** A listing read page by page through its cursor ("Load more"), each item once. */
function pagedList(path, field) {
  return {
    data: () => ({ items: [], cursor: null, done: false, loading: false, error: "" }),
    created() {
      this.seen = new Set();
    },
    mounted() {
      this.more();
    },
    methods: {
      async more() {
        if (this.loading || this.done) return;
        this.loading = true;
        try {
          const page = await state.api.request("GET", typeof path === "function" ? path(this) : path, undefined, {
            query: { limit: 20, cursor: this.cursor },
          });
          for (const item of page[field]) {
            if (!this.seen.has(item.id)) {
              this.seen.add(item.id);
              this.items.push(item);
            }
          }
          this.cursor = page.nextCursor;
          this.done = !page.nextCursor;
          this.error = "";
        } catch (error) {
          if (!(error instanceof SessionEnded)) this.error = said(error);
        } finally {
          this.loading = false;
        }
      },
    },
  };
}

const REASONS = { welcome: "Welcome coins", generate: "Generation", upload: "Upload", refund: "Refund", grant: "Granted by an admin" };

const Coins = {
  mixins: [pagedList("/users/me/transactions", "transactions")],
  emits: ["open"],
  methods: {
    when(iso) {
      return new Date(iso).toLocaleString();
    },
    reason(entry) {
      return REASONS[entry.reason] || entry.reason;
    },
    async open(entry) {
      try {
        this.$emit("open", remember((await state.api.request("GET", `/images/${entry.imageId}`)).image));
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = error.status === 404 ? "That image was deleted." : said(error);
      }
    },
  },
  template: `
    <section class="card coins" aria-label="Coin history">
      <h2>Coin history</h2>
      <p class="hint">You have {{ $root.user.coins }} coins. Generations and uploads are charged when asked for; a failed one is refunded.</p>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Image</th><th scope="col" class="number">Coins</th><th scope="col" class="number">Balance</th></tr></thead>
        <tbody>
          <tr v-for="entry in items" :key="entry.id">
            <td>{{ when(entry.createdAt) }}</td>
            <td>{{ reason(entry) }}<span v-if="entry.note" class="hint"> · {{ entry.note }}</span></td>
            <td><button v-if="entry.imageId" type="button" class="quiet" @click="open(entry)">Show the image</button></td>
            <td class="number" :class="entry.amount < 0 ? 'spent' : 'got'">{{ entry.amount > 0 ? "+" : "" }}{{ entry.amount }}</td>
            <td class="number">{{ entry.balance }}</td>
          </tr>
        </tbody>
      </table>
      <div class="end"><button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more" }}</button></div>
    </section>`,
};

const Admin = {
  mixins: [pagedList("/users", "users")],
  data: () => ({ search: "", chosen: null, amount: 100, reason: "", confirming: false, notice: "", images: [] }),
  computed: {
    shown() {
      const search = this.search.toLowerCase();
      return this.items.filter((user) => `${user.email} ${user.firstName} ${user.lastName}`.toLowerCase().includes(search));
    },
  },
  methods: {
    async choose(user) {
      this.chosen = user;
      this.confirming = false;
      this.notice = "";
      this.images = [];
      try {
        this.images = (await state.api.request("GET", `/users/${user.id}/images`, undefined, { query: { limit: 12 } })).images;
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      }
    },
    isAdmin(user) {
      return user.roles.includes("ADMIN");
    },
    replace(user) {
      this.items = this.items.map((each) => (each.id === user.id ? user : each));
      if (this.chosen && this.chosen.id === user.id) this.chosen = user;
      if (user.id === state.user.id) state.user = { ...state.user, ...user };
    },
    async grant() {
      try {
        const body = { amount: this.amount, reason: this.reason };
        const changed = (await state.api.request("POST", `/users/${this.chosen.id}/coins`, body)).user;
        this.replace(changed);
        this.notice = `${this.amount > 0 ? "Granted" : "Took"} ${Math.abs(this.amount)} coins: ${changed.email} now has ${changed.coins}.`;
        this.confirming = false;
        this.reason = "";
        this.error = "";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      }
    },
    async toggleAdmin(user) {
      try {
        const roles = this.isAdmin(user) ? user.roles.filter((role) => role !== "ADMIN") : [...user.roles, "ADMIN"];
        this.replace((await state.api.request("PUT", `/users/${user.id}`, { roles })).user);
        this.error = "";
      } catch (error) {
        if (!(error instanceof SessionEnded)) this.error = said(error);
      }
    },
  },
  template: `
    <section class="card admin" aria-label="Users">
      <h2>Users</h2>
      <label>Search <input v-model.trim="search" type="search" name="search" placeholder="email or name"></label>
      <p v-if="error" class="error" role="alert">{{ error }}</p>
      <table>
        <thead><tr><th scope="col">Email</th><th scope="col">Name</th><th scope="col">Roles</th><th scope="col" class="number">Coins</th><th scope="col"></th></tr></thead>
        <tbody>
          <tr v-for="user in shown" :key="user.id" :aria-label="user.email">
            <td>{{ user.email }}</td><td>{{ user.firstName }} {{ user.lastName }}</td><td>{{ user.roles.join(", ") }}</td>
            <td class="number">{{ user.coins }}</td>
            <td><button type="button" class="quiet" @click="choose(user)">Manage {{ user.email }}</button></td>
          </tr>
        </tbody>
      </table>
      <div class="end"><button v-if="!done" type="button" :disabled="loading" @click="more">{{ loading ? "Loading…" : "Load more users" }}</button></div>
      <div v-if="chosen" class="manage" role="group" :aria-label="'Manage ' + chosen.email">
        <h3>{{ chosen.email }} · {{ chosen.coins }} coins</h3>
        <p v-if="notice" role="status" class="ok">{{ notice }}</p>
        <form @submit.prevent="confirming = true" aria-label="Grant or take coins">
          <label>Coins (negative takes) <input v-model.number="amount" type="number" name="amount" required step="1"></label>
          <label>Reason <input v-model.trim="reason" name="reason" required maxlength="200"></label>
          <button type="submit" :disabled="!amount || !reason">{{ amount < 0 ? "Take" : "Grant" }} coins</button>
        </form>
        <div v-if="confirming" class="confirm" role="group" aria-label="Confirm the coins">
          <p>{{ amount < 0 ? "Take" : "Grant" }} {{ Math.abs(amount) }} coins {{ amount < 0 ? "from" : "to" }} {{ chosen.email }} ("{{ reason }}")? It is recorded in their coin history.</p>
          <button type="button" @click="grant">Yes, {{ amount < 0 ? "take" : "grant" }} them</button>
          <button type="button" class="quiet" @click="confirming = false">Cancel</button>
        </div>
        <button v-if="!isAdmin(chosen)" type="button" class="quiet" @click="toggleAdmin(chosen)">Make admin</button>
        <button v-else-if="chosen.id !== $root.user.id" type="button" class="quiet" @click="toggleAdmin(chosen)">Remove admin</button>
        <h3>Their latest images</h3>
        <ul class="strip" role="list">
          <li v-for="image in images" :key="image.id"><img v-if="image.thumbnailUrl" :src="image.thumbnailUrl" :alt="image.title || image.prompt || 'Untitled'"><span v-else>{{ image.status }}</span></li>
        </ul>
        <p v-if="images.length === 0" class="hint">No images.</p>
      </div>
    </section>`,
};

const Shell = {
  components: { Create, Upload, Gallery, Coins, Admin, Detail },
  data: () => ({ view: "gallery", opened: null }),
  computed: {
    admin() {
      return state.user.roles.includes("ADMIN");
    },
  },
  methods: {
    async signOut() {
      await state.api.signOut().catch(() => {});
      state.user = null;
    },
  },
  template: `
    <header class="top">
      <strong>imagegen</strong>
      <nav aria-label="Views">
        <button type="button" class="tab" :aria-current="view === 'gallery' ? 'page' : null" @click="view = 'gallery'">Gallery</button>
        <button type="button" class="tab" :aria-current="view === 'coins' ? 'page' : null" @click="view = 'coins'">Coins</button>
        <button v-if="admin" type="button" class="tab" :aria-current="view === 'admin' ? 'page' : null" @click="view = 'admin'">Admin</button>
      </nav>
      <span class="who">{{ $root.user.firstName || $root.user.email }}</span>
      <span class="coins" aria-label="Coins">{{ $root.user.coins }} coins</span>
      <button type="button" @click="signOut">Sign out</button>
    </header>
    <main>
      <template v-if="view === 'gallery'">
        <div class="makers">
          <Create />
          <Upload />
        </div>
        <Gallery ref="gallery" />
      </template>
      <Coins v-else-if="view === 'coins'" @open="opened = $event" />
      <Admin v-else-if="view === 'admin' && admin" />
      <Detail v-if="opened" :image="opened" @closed="opened = null" @deleted="opened = null" />
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
