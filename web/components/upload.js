// Upload: files picked or dropped, each POSTed to its presigned form with its progress and verdict.
import { reactive } from "../vendor/vue.runtime.esm-browser.prod.js";
import { ApiError, SessionEnded } from "../api.js";
import { forget, images, made, offersPacks, refreshUser, said, state, UNFINISHED, updateUser } from "../store.js";
import { formatLocales, t } from "../i18n.js";
import { coins, failure, number, uploadRefused } from "../words.js";
import { render } from "./upload.render.js"; // its markup: upload.template.html, compiled by `make templates`

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
    request.onerror = () => reject(new ApiError(0, "UPLOAD_FAILED", "The file could not be sent to the bucket."));
    request.send(form);
  });
}

const MB = 1024 * 1024;
// How each kind the service takes begins: a browser types a file by its name, not its bytes.
const SIGNATURES = {
  "image/jpeg": (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  "image/png": (head) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((byte, at) => head[at] === byte),
  "image/gif": (head) => String.fromCharCode(...head.slice(0, 4)) === "GIF8",
  "image/webp": (head) => String.fromCharCode(...head.slice(0, 4)) === "RIFF" && String.fromCharCode(...head.slice(8, 12)) === "WEBP",
};

/** What the file's first bytes say it is (a PNG named .jpg is a PNG), or "" for none of those. */
async function contentTypeOf(file) {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  return Object.keys(SIGNATURES).find((type) => SIGNATURES[type](head)) || "";
}

export const Upload = {
  setup: () => ({ coins, number }),
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
    async add(files) {
      const sent = [...files].map((file) => {
        // `short`: refused for want of coins (a 402), answered with a "Buy coins" link.
        const entry = reactive({ key: crypto.randomUUID(), name: file.name, progress: 0, step: "sending", message: "", short: false, imageId: null });
        this.sending.unshift(entry);
        return this.send(entry, file);
      });
      await Promise.all(sent);
      // Each charge answered with the balance it left, in whatever order the answers came.
      if (sent.length > 1) await refreshUser();
    },
    /** Why the service would refuse the file (of `type`, by its bytes), said before asking it for a URL; "" if it would not. */
    refusal(file, type) {
      const kinds = this.limits.acceptedTypes.map((each) => each.replace("image/", "").toUpperCase());
      if (file.size === 0) return t("upload.empty");
      if (!this.limits.acceptedTypes.includes(type)) {
        return t("upload.wrongKind", { kinds: new Intl.ListFormat(formatLocales(), { type: "disjunction" }).format(kinds) });
      }
      if (file.size > this.limits.maxBytes) {
        const size = new Intl.NumberFormat(formatLocales(), { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(file.size / MB);
        return t("upload.tooLarge", { size, max: number(this.maxMb) });
      }
      return "";
    },
    async send(entry, file) {
      const type = await contentTypeOf(file);
      entry.message = this.refusal(file, type);
      if (entry.message) {
        entry.step = "refused";
        return;
      }
      try {
        const body = { filename: file.name.slice(0, 255), contentType: type, size: file.size };
        const accepted = await state.api.requestUpload(body);
        updateUser(accepted.user);
        entry.imageId = accepted.image.id;
        made(accepted.image);
        await post(accepted.upload, file, (share) => {
          entry.progress = share;
        });
        entry.step = "sent";
      } catch (error) {
        if (error instanceof SessionEnded) return;
        entry.step = "refused";
        entry.short = offersPacks(error);
        // Charged, the file did not reach the bucket (whose reasons are its own, not a person's).
        entry.message = entry.imageId ? uploadRefused(await this.cancel(entry.imageId)) : said(error);
      }
    },
    /** The file never reached the bucket: cancel its upload, which gives its coins back at once.
     * Returns the coins given back, or null if they come back later. */
    async cancel(id) {
      try {
        await state.api.deleteImage(id);
        forget(id);
        await refreshUser();
        return this.limits.cost;
      } catch {
        return null; // the sweeper fails and refunds it
      }
    },
    verdict(entry) {
      if (entry.step === "refused") return entry.message;
      if (entry.step === "sending") return new Intl.NumberFormat(formatLocales(), { style: "percent" }).format(entry.progress);
      const image = images.get(entry.imageId);
      if (!image || UNFINISHED.has(image.status)) return t("upload.checking");
      if (image.status === "COMPLETED") return t("common.done");
      return failure(image);
    },
    failed(entry) {
      const image = images.get(entry.imageId);
      return entry.step === "refused" || (image !== undefined && image.status === "FAILED");
    },
  },
  render,
};
