// Keys of the page's forms.

/** In a prompt box, Enter sends its form and Shift+Enter starts a new line (as a chat's box does);
 * Enter confirming a word of an input method (Japanese, Chinese...) is left to it. */
export function enterSends(event) {
  if (event.key !== "Enter" || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  event.target.form.requestSubmit(); // as its submit button would: the form's checks first
}
