// Images saved to the user's computer: one as its own file, several as one zip made here, in the
// browser (the service sends nothing more than each image's short-lived URL).
import { ApiError } from "./api.js";
import { imageName, remember, state } from "./store.js";

const FILE_EXTENSIONS = { JPEG: "jpg", PNG: "png", WEBP: "webp", GIF: "gif" };

/** The file name an image is saved as: its name, without what file systems refuse, and its format's extension. */
export function fileName(image) {
  const extension = FILE_EXTENSIONS[(image.metadata || {}).format] || "img";
  return `${imageName(image).replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ").trim().slice(0, 120) || "image"}.${extension}`;
}

/** The image's file. Its URL is short-lived: one that has expired (the page was open a while) is
 * asked for again once. */
async function fileOf(image) {
  let response = await fetch(image.storageUrl);
  if (response.status === 403) {
    const fresh = remember((await state.api.getImage(image.id)).image);
    response = await fetch(fresh.storageUrl);
  }
  if (!response.ok) {
    const name = imageName(image);
    throw new ApiError(response.status, "FILE_UNAVAILABLE", `The file of “${name}” could not be fetched.`, { name });
  }
  return response;
}

/** The zip a selection is saved as, named by the local time (the same in every language):
 * "imagegen 2026-12-05 14.03.zip". */
export function zipName(date) {
  const two = (number) => String(number).padStart(2, "0");
  return `imagegen ${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}.${two(date.getMinutes())}.zip`;
}

/** Have the browser save `blob` as `name`. */
function save(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

/** Save one image as its own file. */
export async function downloadImage(image) {
  save(await (await fileOf(image)).blob(), fileName(image));
}

/** `name`, or `name (2)`, `name (3)`… : the first not taken yet (taken names are added to `taken`). */
function unique(name, taken) {
  const dot = name.lastIndexOf(".");
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n += 1) candidate = `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/**
 * Save several images as one zip, `name`: each image's file, stored as it is (images are compressed
 * already: deflating them again would take time for nothing). The zip is written as it goes into a
 * Blob's parts, which the browser may keep on disk. fflate is loaded now, for this alone.
 * `progress(done, total)` hears of each file added.
 */
export async function downloadZip(images, name, progress = () => {}) {
  const { Zip, ZipPassThrough } = await import("./vendor/fflate.esm-browser.js");
  const parts = [];
  let failed = null;
  const zip = new Zip((error, chunk) => {
    if (error) failed = error;
    else parts.push(chunk);
  });
  const taken = new Set();
  for (const [index, image] of images.entries()) {
    const data = new Uint8Array(await (await fileOf(image)).arrayBuffer());
    const entry = new ZipPassThrough(unique(fileName(image), taken));
    entry.mtime = new Date(image.createdAt);
    zip.add(entry);
    entry.push(data, true);
    progress(index + 1, images.length);
  }
  zip.end();
  if (failed) throw failed;
  save(new Blob(parts, { type: "application/zip" }), name);
}
