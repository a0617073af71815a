// One image in full: its details, edits and versions, its star, download, run again, delete.
import { addressImage, placeOf } from "../address.js";
import { ApiError, SessionEnded } from "../api.js";
import { downloadImage } from "../downloads.js";
import { enterSends } from "../keys.js";
import { expectedFor } from "../news.js";
import {
  ago,
  changed,
  coins,
  defaultModel,
  forget,
  imageName,
  images,
  isReference,
  loadModels,
  LONGER_SIDE,
  madeAll,
  modelName,
  nearestSize,
  offersPacks,
  refreshUser,
  remember,
  requestOf,
  said,
  star,
  state,
  toggleReference,
  UNFINISHED,
  updateUser,
  when,
} from "../store.js";
import { formatLocales, t } from "../i18n.js";
import { about, failure, imageKind, imageStatus, number, references } from "../words.js";
import { References } from "./references.js";
import { Share } from "./share.js";
import { render } from "./detail.render.js"; // its markup: detail.template.html, compiled by `make templates`

const STEP_KEYS = { ArrowLeft: -1, ArrowRight: 1 };
const THREAD_POLL_MS = 2000; // versions still being made are read again until they are done

/** What the view holds of one image: its form's values, and nothing yet of its thread or errors. */
function freshFor(image) {
  return {
    title: image.title || "",
    description: image.description || "",
    error: "",
    short: false, // the error is a 402, answered with a "Buy coins" link
    saved: false,
    confirming: false,
    copied: false,
    change: "",
    model: image.model || "",
    imageSize: image.imageSize || "1K",
    thread: [],
    compared: null,
    refused: [],
  };
}

export const Detail = {
  components: { References, Share },
  // `steps`: whether the images before and after this one (in the gallery) can be shown in its place.
  props: { image: { type: Object, required: true }, steps: { type: Object, default: null } },
  // `show`: another image to show in this one's place (the new version an edit or an upscale makes).
  emits: ["closed", "deleted", "step", "show"],
  data() {
    return { ...freshFor(this.image), busy: false, split: 50 };
  },
  setup: () => ({ coins, when, ago }),
  computed: {
    label() {
      return imageName(this.image);
    },
    pixels() {
      const size = this.image.metadata;
      if (!size) return t(this.image.status === "FAILED" ? "detail.pixelsNone" : "detail.pixelsNotYet");
      const [amount, unit] = size.size < 1024 ? [size.size, "byte"] : [Math.round(size.size / 1024), "kilobyte"];
      const bytes = new Intl.NumberFormat(formatLocales(), { style: "unit", unit, unitDisplay: "short" }).format(amount);
      return t("detail.pixels", { width: size.width, height: size.height, format: size.format, bytes }); // 2048 × 2048, a size, not an amount
    },
    cost() {
      const spent = coins(this.image.coinsUsed);
      return this.image.coinsRefunded ? t("detail.costRefunded", { coins: spent, refunded: number(this.image.coinsRefunded) }) : spent;
    },
    modelSpec() {
      return state.models.find((model) => model.id === this.model) || null;
    },
    editPrice() {
      return this.modelSpec ? this.modelSpec.costs[this.imageSize] : null;
    },
    /** The larger sizes the image can be drawn again at, by the model that made it (or the form's),
     * each with its price: those whose longer side is more than the image's own. */
    upscales() {
      const model = state.models.find((each) => each.id === this.image.model) || this.modelSpec;
      const size = this.image.metadata;
      if (!model || !size || this.image.status !== "COMPLETED") return [];
      const longer = Math.max(size.width, size.height);
      return model.imageSizes.filter((each) => LONGER_SIDE[each] > longer).map((each) => ({ size: each, price: model.costs[each], model: model.id }));
    },
    /** The older of the two compared versions is "before". */
    pair() {
      if (!this.compared) return null;
      const older = this.compared.createdAt <= this.image.createdAt;
      return older ? { before: this.compared, after: this.image } : { before: this.image, after: this.compared };
    },
    /** While a new version is being made: the version it changes, shown under the news, and how long it takes. */
    underway() {
      if (!UNFINISHED.has(this.image.status) || !this.image.parentImageId) return null;
      const before = images.get(this.image.parentImageId);
      const seconds = expectedFor(this.image);
      return { before: before && before.storageUrl ? before : null, estimate: seconds === undefined ? "" : about(seconds) };
    },
    coinsOnDelete() {
      if (this.image.coinsRefunded) return t("detail.alreadyRefunded");
      // An upload whose file was not taken in yet is cancelled: the service gives its coins back.
      if (this.image.type === "UPLOADED" && this.image.status === "PENDING") return t("detail.comeBack", { coins: coins(this.image.coinsUsed) }, this.image.coinsUsed);
      return t("detail.notRefunded", { coins: coins(this.image.coinsUsed) }, this.image.coinsUsed);
    },
  },
  async mounted() {
    this.$refs.dialog.showModal();
    this.address = addressImage(this.image.id);
    this.backed = () => {
      if (placeOf().image !== this.image.id) this.$refs.dialog.close(); // the back button
    };
    window.addEventListener("popstate", this.backed);
    await loadModels().catch(() => {});
    if (!this.model && state.models.length) this.model = defaultModel().id;
    await this.loadThread();
  },
  unmounted() {
    this.closed = true;
    clearTimeout(this.threadTimer);
    window.removeEventListener("popstate", this.backed);
    this.address.leave();
  },
  watch: {
    /** Another image shown in this one's place (the gallery's previous or next). */
    image(now) {
      Object.assign(this, freshFor(now));
      if (!this.model && state.models.length) this.model = defaultModel().id;
      this.keepSize();
      this.address.show(now.id);
      this.loadThread();
      // A step button disabled under the focus (the last image) leaves it nowhere: keep it in the dialog.
      this.$nextTick(() => {
        const focused = document.activeElement;
        if (this.$refs.dialog.contains(focused) && !focused.disabled) return;
        (this.$refs.dialog.querySelector(".steps button:not(:disabled)") || this.$refs.dialog.querySelector(".close")).focus();
      });
    },
    /** Another model: the size nearest the image's own among the ones it makes. */
    modelSpec: {
      handler() {
        this.keepSize();
      },
      immediate: true,
    },
  },
  methods: {
    /** The edit's size: the model's nearest the image's own (as the service would choose it). */
    keepSize() {
      const model = this.modelSpec;
      if (!model) return;
      const kept = nearestSize(model.imageSizes, this.image.metadata);
      if (kept) this.imageSize = kept;
      else if (!model.imageSizes.includes(this.imageSize)) this.imageSize = model.imageSizes[0];
    },
    version(image) {
      return this.thread.findIndex((each) => each.id === image.id) + 1;
    },
    /** The versions of the image shown; read again while one is still being made (an edit just asked for). */
    async loadThread() {
      const id = this.image.id;
      clearTimeout(this.threadTimer);
      try {
        const page = await state.api.imageThread(id, { limit: 100 });
        if (id !== this.image.id || this.closed) return; // another image is shown now
        this.thread = page.images.map(remember);
        if (this.thread.some((each) => UNFINISHED.has(each.status))) this.threadTimer = setTimeout(() => this.loadThread(), THREAD_POLL_MS);
      } catch (error) {
        if (id === this.image.id && !(error instanceof SessionEnded)) this.error = said(error);
      }
    },
    edit() {
      if (this.busy || this.editPrice === null) return; // Enter, while the button cannot be pressed
      return this.act(async (image) => {
        const body = { prompt: this.change, model: this.model, imageSize: this.imageSize }; // the ratio nearest the source's
        const references = state.references.filter((each) => each.id !== image.id).map((each) => each.id);
        if (references.length) body.referenceImageIds = references;
        this.refused = [];
        const accepted = await state.api.edit(image.id, body).catch((error) => {
          this.refused = (error.details && error.details.imageIds) || [];
          throw error;
        });
        updateUser(accepted.user);
        state.references.splice(0); // used
        this.change = "";
        this.follow(accepted.images);
      });
    },
    /** The versions a request just made, followed: the first shown here as it is made, then done,
     * with the versions strip in view. */
    follow(made) {
      madeAll(made);
      this.$emit("show", images.get(made[0].id));
      this.$nextTick(() => this.$refs.dialog.querySelector(".about").scrollTo({ top: 0 }));
    },
    /** ← and → show the gallery's previous and next image, unless the keys are someone's text. */
    stepByKey(event) {
      const step = STEP_KEYS[event.key];
      if (!step || !this.steps || event.target.closest("input, textarea, select")) return;
      if (step < 0 ? this.steps.back : this.steps.on) {
        event.preventDefault();
        this.$emit("step", step);
      }
    },
    modelName,
    enterSends,
    failure,
    imageKind,
    imageStatus,
    references,
    isReference,
    toggleReference,
    /** Run an action on the image shown when it was asked for (`action(image)`): its error shown by
     * the buttons; an image the API no longer has (deleted in another tab) is taken off the page. */
    async act(action) {
      const image = this.image;
      this.busy = true;
      try {
        await action(image);
        this.error = "";
        this.short = false;
      } catch (error) {
        if (error instanceof SessionEnded) return;
        if (error.code === "NOT_FOUND") this.gone(image.id);
        else {
          this.error = said(error);
          this.short = offersPacks(error);
        }
      } finally {
        this.busy = false;
      }
    },
    gone(id) {
      this.$emit("deleted", id); // first: the gallery still knows where it was
      forget(id);
      this.$refs.dialog.close();
    },
    save() {
      return this.act(async (image) => {
        const body = { title: this.title, description: this.description };
        changed((await state.api.updateImage(image.id, body)).image); // a search may find it by its new title, or no longer
        this.saved = true;
      });
    },
    /** Star the image shown, or take its star off: at once everywhere it is shown; a failure is said
     * here, the star back as it was. Not one of `act`'s actions: the other buttons stay usable meanwhile. */
    async toggleStar() {
      const image = this.image;
      const favorite = !image.favorite;
      try {
        await star(image, favorite);
        if (image === this.image) this.error = "";
      } catch (error) {
        if (error instanceof SessionEnded) return;
        const shown = image === this.image && !this.closed;
        if (error.code === "NOT_FOUND") {
          if (shown) this.gone(image.id); // deleted in another tab
          else forget(image.id);
        } else if (shown) {
          this.error = t(favorite ? "gallery.starFailed" : "gallery.unstarFailed", { why: said(error) });
          this.short = false;
          // Said under the details, which may be scrolled far from the star at the top: brought into view.
          this.$nextTick(() => this.$refs.error && this.$refs.error.scrollIntoView({ block: "nearest" }));
        }
      }
    },
    copy() {
      return this.act(async () => {
        await navigator.clipboard.writeText(this.image.prompt);
        this.copied = true;
      });
    },
    download() {
      return this.act(downloadImage);
    },
    /** The request that made the image, made again as it was: an edit of its source with its
     * references, or a new image; as many variations. */
    again() {
      return this.act(async (image) => {
        const { source, body } = requestOf(image);
        const accepted = await (source ? state.api.edit(source, body) : state.api.generate(body)).catch((error) => {
          // The source is gone, not the image shown: say so, rather than take this image off the page.
          if (error.code === "NOT_FOUND") throw new ApiError(404, "SOURCE_GONE", "The image this was made from is gone.");
          throw error;
        });
        updateUser(accepted.user);
        madeAll(accepted.images);
        this.$refs.dialog.close();
      });
    },
    /** The image drawn again at a larger size, its content kept: a new version, in this dialog. */
    upscale({ size, model }) {
      return this.act(async (image) => {
        const accepted = await state.api.upscale(image.id, { imageSize: size, model });
        updateUser(accepted.user);
        this.follow(accepted.images);
      });
    },
    /** The request that made the image, in the create form, to change before sending. */
    remix() {
      state.remix = requestOf(this.image);
      this.$refs.dialog.close();
    },
    remove() {
      return this.act(async (image) => {
        await state.api.deleteImage(image.id); // one already gone answers 404: see act
        this.gone(image.id);
        if (image.type === "UPLOADED" && image.status === "PENDING") await refreshUser(); // cancelled: refunded
      });
    },
  },
  render,
};
