// The local Stripe stand-in's hosted checkout page: pays through the stand-in's JSON "pay" control,
// then goes where Stripe would (the session's success URL). A file, so the page runs under a
// content security policy without inline scripts. Its words come from the page, in the page's
// language (the <main> element's data attributes), and it asks the control for its refusals in it.
"use strict";

(() => {
  const main = document.querySelector("main[data-pay-url]");
  const form = document.getElementById("pay-form");
  if (!main || !form) return;
  const payUrl = main.dataset.payUrl;
  const words = main.dataset;
  const language = document.documentElement.lang || "en";
  const button = document.getElementById("pay-button");
  const error = document.getElementById("error");
  const cardFields = document.getElementById("card-fields");
  const delayedFields = document.getElementById("delayed-fields");
  const number = document.getElementById("card-number");
  const label = button.textContent;

  const method = () => form.elements.namedItem("method").value || "card";

  const showError = (message) => {
    error.textContent = message;
    error.hidden = false;
  };

  // The card number in groups of four, as Checkout shows it.
  number.addEventListener("input", () => {
    const digits = number.value.replace(/\D/g, "").slice(0, 19);
    number.value = digits.replace(/(\d{4})(?=\d)/g, "$1 ");
  });

  form.addEventListener("change", () => {
    const delayed = method() === "delayed";
    cardFields.hidden = delayed;
    if (delayedFields) delayedFields.hidden = !delayed;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const email = form.elements.namedItem("email").value.trim();
    if (!email) {
      showError(words.emailIncomplete);
      return;
    }
    const body = { email };
    if (method() === "delayed") {
      body.method = "delayed";
      body.outcome = form.elements.namedItem("outcome").value;
    } else {
      body.card = number.value;
      const expiry = document.getElementById("card-expiry").value.trim();
      const cvc = document.getElementById("card-cvc").value.trim();
      if (!body.card.trim()) {
        showError(words.numberIncomplete);
        return;
      }
      if (expiry) body.expiry = expiry;
      if (cvc) body.cvc = cvc;
    }
    button.disabled = true;
    button.textContent = words.processing;
    try {
      const response = await fetch(payUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept-Language": language },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (response.ok) {
        if (answer.redirect) window.location.assign(answer.redirect);
        else window.location.reload();
        return;
      }
      showError(answer.error ? answer.error.message : words.wentWrong);
    } catch (failure) {
      showError(words.notSent);
    }
    button.disabled = false;
    button.textContent = label;
  });
})();
