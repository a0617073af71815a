// The page's words for what the API says in codes: an image's status and kind, why it failed, the
// coin history's entries, an order's status, a role, the session's comings and goings, the prompt's
// help, the gallery's stars and search. The API's codes (COMPLETED, PROHIBITED_CONTENT, HTTP 400
// INVALID_ARGUMENT...) stay in the API: a person reads these. They are all here, in one module, so
// that translating the page starts from one place.

/** "1 coin", "250 coins". */
export function coins(amount) {
  return `${amount} ${Math.abs(amount) === 1 ? "coin" : "coins"}`;
}

/** Sentences of the page that depend on nothing. */
export const words = {
  busy: "Too many requests at once: wait a moment and try again.",
  unavailable: "The service did not answer; try again in a moment.",
  unreachable: "The service could not be reached: check the connection and try again.",
  somethingWrong: "Something went wrong; try again.",
  askForCoins: "Ask an admin for coins; a generation or upload that fails gives its coins back.",
  signedOutElsewhere: "You signed out in another tab.",
  sessionExpired: "Your session expired: sign in again.",
  signedOut: "You were signed out: sign in again.",
  working: "Working on it…",
  checkingFile: "Checking the file…",
  done: "Done",
  promptPlaceholder: "Describe the image: what is in it, where, the light, the style…",
  promptKeys: "Enter generates, Shift+Enter starts a new line.",
  changePlaceholder: "What to change: “make it night”, “add a red umbrella”…",
  examplesHeading: "Examples",
  recent: "Recent", // the button that lists the prompts sent lately
  recentPrompts: "Recent prompts",
  styleHeading: "Style",
  /** What the prompt is sent as with the style's words: "Sent as: “a fox, watercolour painting…”". */
  sentAs: "Sent as:",
  styleAdds: "Adds to the prompt:",
  /** A prompt too long once the style's words are added (the service takes 2000 characters). */
  tooLongWithStyle: (over) => `With the style's words the prompt is ${over} ${over === 1 ? "character" : "characters"} too long.`,
  editing: "Changing",
  newImageInstead: "Make a new image instead",
  anImage: "an image",
  sourceGone: "The image this was made from is gone: use Remix to make it anew.",
  notifyMe: "Tell me when images are done",
  /** "Upscale to 4K · 700 coins". */
  upscaleTo: (size, price) => `Upscale to ${size} · ${price} coins`,
  /** What an edit makes, said before it is asked for. */
  editKeeps: (size) => `The edit keeps this image's shape (the model's nearest aspect ratio) and comes out at ${size}.`,
  imageReady: "Your image is ready",
  imageFailed: "An image could not be made",
  /** "about 20 s": how long an image of its kind usually takes. */
  about: (seconds) => (seconds < 90 ? `about ${seconds} s` : `about ${Math.round(seconds / 60)} min`),
  star: "Star", // a toggle: its name stays, pressed or not
  starred: "Starred",
  starredOnly: "Starred",
  search: "Search",
  searchPlaceholder: "A word of a title or prompt",
  clearSearch: "Clear the search",
  nothingYet: "Nothing here yet.",
  emptyHint: "Describe an image above, or try an example, and it appears here. Photos you upload come here too.",
  noStarred: "No starred images yet: star one to find it here.",
  /** A search that found nothing: "Nothing matches “fox”." */
  noMatch: (text) => `Nothing matches “${text}”.`,
  noStarredMatch: (text) => `No starred image matches “${text}”.`,
  /** The header's theme switch, by the theme chosen: a click chooses the next. */
  themeIs: (theme) =>
    ({ system: "Theme: as the system (click for light)", light: "Theme: light (click for dark)", dark: "Theme: dark (click to follow the system)" })[theme],
  /** A thread's tile: "3 versions". */
  versions: (count) => `${count} versions`,
  select: "Select",
  /** The selection bar: "2 selected". */
  selectedCount: (count) => `${count} selected`,
  selectAll: "Select all",
  clearSelection: "Clear",
  /** One confirmation for the whole selection, with every version it deletes counted. */
  deleteConfirm: (count) =>
    `Delete ${count === 1 ? "this image" : `these ${count} images`} for good, with every version? Their files and thumbnails are removed.`,
  deletedCount: (count) => `${count === 1 ? "1 image" : `${count} images`} deleted.`,
  notAllDeleted: (count, why) => `${count === 1 ? "1 image" : `${count} images`} could not be deleted (still selected). ${why}`,
  /** The zip a selection is saved as, named by the local time: "imagegen 2026-12-05 14.03.zip". */
  zipName: (date) => {
    const two = (number) => String(number).padStart(2, "0");
    return `imagegen ${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}.${two(date.getMinutes())}.zip`;
  },
  zipping: (done, total) => `Adding image ${done} of ${total} to the zip…`,
  zipped: (count) => `${count === 1 ? "1 image" : `${count} images`} saved in one zip.`,
  nothingToDownload: "None of these is finished yet: there is nothing to download.",
  fileUnavailable: (name) => `The file of “${name}” could not be fetched; try again.`,
  /** A star that could not be saved (`favorite`: what was asked), and why: the star is back as it was. */
  starFailed: (favorite, why) => `${favorite ? "The star could not be saved." : "The star could not be taken off."} ${why}`,
};

/** A few prompts to start from, each with a short name (one click puts its prompt in the box). */
export const EXAMPLE_PROMPTS = [
  { name: "Lighthouse at dusk", prompt: "A lighthouse on a cliff at dusk, warm light in its windows, a calm sea, oil painting" },
  { name: "Fox in the snow", prompt: "A red fox asleep in fresh snow, soft morning light, close-up photograph" },
  { name: "Reading nook", prompt: "A cosy reading nook by a rainy window, plants and a sleeping cat, watercolour" },
  { name: "Night market", prompt: "A busy night market in a futuristic city, neon signs in the rain, cinematic wide shot" },
];

// ------------------------------------------------------------------------------ images

const STATUS = {
  GENERATED: { PENDING: "Waiting to start", PROCESSING: "Working on it", COMPLETED: "Done", FAILED: "Failed" },
  UPLOADED: { PENDING: "Waiting for the file", PROCESSING: "Checking the file", COMPLETED: "Done", FAILED: "Failed" },
};

/** Where an image stands: "Working on it", "Done"... */
export function imageStatus(image) {
  return (STATUS[image.type] || STATUS.GENERATED)[image.status] || "Working on it";
}

/** The gallery's filters, by the API's values: [value, words] ("" for any). */
export const TYPE_FILTER = [
  ["", "All"],
  ["GENERATED", "Generated"],
  ["UPLOADED", "Uploaded"],
];
export const STATUS_FILTER = [
  ["", "Any"],
  ["COMPLETED", "Done"],
  ["PENDING", "Waiting to start"],
  ["PROCESSING", "Working on it"],
  ["FAILED", "Failed"],
];

/** What an image is: "Generated", "Edited" (an edit of another image), "Uploaded". */
export function imageKind(image) {
  if (image.type === "UPLOADED") return "Uploaded";
  return image.parentImageId ? "Edited" : "Generated";
}

/** "1 reference", "3 references". */
export function references(count) {
  return `${count} ${count === 1 ? "reference" : "references"}`;
}

/** "your 100 coins are back". */
function coinsBack(amount) {
  return `your ${coins(amount)} ${amount === 1 ? "is" : "are"} back`;
}

// Why an image failed. The API's `error` is the service's English sentence, some with the model's
// own codes in it ("(PROHIBITED_CONTENT)", "(HTTP 400 INVALID_ARGUMENT)"): never shown. The causes
// docs/api.md names are recognised by the service's sentences for them; any other is said in general.
const GENERATION_FAILURES = [
  [/declined this prompt|did not make an image/i, "The model would not draw this prompt"],
  [/no longer available/i, "This model is no longer offered; pick another one"],
  [/unavailable|did not answer in time|generated in time/i, "The model was too busy to make it"],
  [/image to edit is gone/i, "The image to edit was deleted"],
  [/reference image is gone/i, "A reference image was deleted"],
  [/input image could not be read/i, "An image given to the model could not be read"],
];
const UPLOAD_FAILURES = [
  [/never arrived/i, "The file never arrived"],
  [/damaged or incomplete/i, "The image is damaged or incomplete"],
  [/too large to process|pixels: more than/i, "The image has too many pixels to use"],
  [/no pixels/i, "The image is empty"],
  [/asked for as|was sent as/i, "The file is not the kind of image it was sent as"],
  [/bytes declared/i, "The file is larger than it said"],
  [/starts like|is not a/i, "The file is not an image the service takes"],
];

/** Why a FAILED image failed, in plain words, and its coins back: "The model would not draw this
 * prompt; your 100 coins are back." */
export function failure(image) {
  const uploaded = image.type === "UPLOADED";
  const known = (uploaded ? UPLOAD_FAILURES : GENERATION_FAILURES).find(([pattern]) => pattern.test(image.error || ""));
  const cause = known ? known[1] : uploaded ? "The file could not be used" : "The image could not be made";
  return image.coinsRefunded ? `${cause}; ${coinsBack(image.coinsRefunded)}.` : `${cause}.`;
}

/** A file the bucket would not take (its own reason is the storage's, not a person's), with its coins
 * back or coming. */
export function uploadRefused(refunded) {
  return refunded === null
    ? "The file could not be sent; its coins come back within minutes."
    : `The file could not be sent; ${coinsBack(refunded)}.`;
}

// ------------------------------------------------------------------------------ coins

const LEDGER = {
  welcome: "Welcome coins",
  upload: "Upload",
  purchase: "Bought coins", // "Bought Starter" once its order is known
  purchase_refund: "Refund of a purchase",
  dispute: "Disputed payment",
  dispute_won: "Dispute won",
};

/** A coin history entry, in words: `image` is the image it concerns, if known; `pack` the name of the
 * pack of its order, if known. */
export function ledgerEntry(entry, { image = undefined, pack = undefined } = {}) {
  switch (entry.reason) {
    case "generate":
      if (!image) return "New image or edit";
      return image.parentImageId ? "Edit" : "New image";
    case "refund":
      if (image && image.status === "FAILED") return image.type === "UPLOADED" ? "Coins back: the upload failed" : "Coins back: the image failed";
      return "Coins back";
    case "grant":
      return entry.amount < 0 ? "Taken by an admin" : "Granted by an admin";
    case "purchase":
      return pack ? `Bought ${pack}` : LEDGER.purchase;
    default:
      return LEDGER[entry.reason] || (entry.amount < 0 ? "Coins taken" : "Coins added");
  }
}

// ------------------------------------------------------------------------------ orders

const ORDER_STATUS = {
  CREATED: "Not paid yet", // its checkout is open, or being confirmed
  PAID: "Paid",
  FAILED: "Failed: not paid",
  EXPIRED: "Expired: not paid",
  REFUNDED: "Refunded",
  DISPUTED: "Disputed",
};

/** An order's status in words; `refunded`: the money refunded of a paid one, written ("$1.99"), or "". */
export function orderStatus(order, refunded = "") {
  if (order.status === "PAID" && refunded) return `Paid, ${refunded} refunded`;
  return ORDER_STATUS[order.status] || "Not paid yet";
}

/** The outcome of a purchase, as [heading, sentence]: `outcome` is where it stands (order.js), `got`
 * the coins it buys ("500 coins"), `balance` the balance after it (or null). */
export function orderOutcome(outcome, got, balance) {
  return {
    missing: ["That order is not here", "It is someone else's, or the link is wrong."],
    looking: ["Your purchase", "Looking it up…"],
    confirming: ["Confirming your payment…", "This takes a few seconds."],
    waiting: [
      "Your payment is not confirmed yet",
      "If you paid, the coins are added as soon as Stripe confirms the payment (a bank payment can take a few days). Nothing more is charged by checking again.",
    ],
    paid: [`${got} added`, balance === null ? "" : `Your balance is now ${coins(balance)}.`],
    unpaid: ["No payment was made.", "You left the checkout without paying, and no coins were added."],
    failed: ["The payment failed: no coins were added.", "Nothing was taken. You may try again with another way to pay."],
    expired: ["The checkout expired: no payment was made.", "It was open for 30 minutes."],
    refunded: ["This purchase was refunded", `Its ${got} were taken back.`],
    disputed: ["This payment is disputed", `Its ${got} were taken back while the dispute lasts, and buying coins waits until it is settled.`],
  }[outcome];
}

// ------------------------------------------------------------------------------ people

const ROLES = { USER: "User", ADMIN: "Admin" };

/** A user's roles in words: "Admin", "User". */
export function roleNames(list) {
  return list.includes("ADMIN") ? ROLES.ADMIN : ROLES.USER;
}
