// A local stand-in for Google Identity Services' client (https://accounts.google.com/gsi/client).
// It offers the same google.accounts.id calls a page makes, refuses as Google does (a console error
// for a client id Google does not know or an origin not registered for it, and no button), and its
// account chooser answers with an ID token from the local stack's Google issuer: the credential
// a page hands to POST /auth/google, verified there as Google's are. Tests route Google's URL here.
(() => {
  const REGISTERED = __REGISTERED__; // { clientId, origins, tokenUrl }, filled in by the stack
  let settings = null;
  // The button's words in the languages the stand-in knows, as Google writes them; Google draws the
  // button in `locale` when a page gives one, else in the browser's language.
  const BUTTON_WORDS = {
    en: { signin_with: "Sign in with Google", signup_with: "Sign up with Google" },
    es: { signin_with: "Iniciar sesión con Google", signup_with: "Registrarse con Google" },
  };

  const refuse = (message) => {
    console.error(`[GSI_LOGGER]: ${message}`);
    return false;
  };

  function usable() {
    if (!settings || !settings.client_id) return refuse("Missing required parameter: client_id.");
    if (settings.client_id !== REGISTERED.clientId) return refuse("The given client ID is not found.");
    if (!REGISTERED.origins.includes(window.location.origin)) {
      return refuse("The given origin is not allowed for the given client ID.");
    }
    return true;
  }

  async function credentialFor(email) {
    const response = await fetch(REGISTERED.tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email }),
    });
    if (!response.ok) throw new Error("Enter a valid email address.");
    return (await response.json()).token;
  }

  /** Google's account chooser: pick an account (here: type any email), and the page's callback gets its ID token. */
  function chooseAccount() {
    const dialog = document.createElement("dialog");
    dialog.setAttribute("aria-label", "Sign in with Google");
    dialog.innerHTML = `
      <form method="dialog">
        <h2>Choose an account</h2>
        <p>to continue to ${window.location.host}</p>
        <label>Email or phone <input type="email" name="account" required></label>
        <p class="refused" role="alert" hidden></p>
        <button type="submit" value="continue">Continue</button>
        <button type="button" value="cancel">Cancel</button>
      </form>`;
    const form = dialog.querySelector("form");
    const refused = dialog.querySelector(".refused");
    dialog.querySelector('button[value="cancel"]').addEventListener("click", () => dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const credential = await credentialFor(form.elements.account.value);
        dialog.close();
        settings.callback({ credential, select_by: "btn", clientId: settings.client_id });
      } catch (error) {
        refused.textContent = error.message;
        refused.hidden = false;
      }
    });
    dialog.addEventListener("close", () => dialog.remove());
    document.body.appendChild(dialog);
    dialog.showModal();
  }

  window.google = window.google || {};
  window.google.accounts = window.google.accounts || {};
  window.google.accounts.id = {
    initialize(configuration) {
      settings = { ...configuration }; // the last call's settings are the ones used, as with Google's
    },
    renderButton(parent, options = {}) {
      if (!usable()) return;
      const button = document.createElement("button");
      button.type = "button";
      const language = String(options.locale || navigator.language || "en").toLowerCase().split("-")[0];
      const words = BUTTON_WORDS[language] || BUTTON_WORDS.en;
      button.textContent = words[options.text === "signup_with" ? "signup_with" : "signin_with"];
      button.addEventListener("click", chooseAccount);
      parent.replaceChildren(button);
    },
    prompt() {},
    cancel() {},
    disableAutoSelect() {},
  };
})();
