// The page's theme, set before its first paint (a classic script in <head>, so that a page chosen dark
// never flashes light): "light" or "dark" as chosen with the header's switch, else the system's
// (style.css follows prefers-color-scheme when <html> has no data-theme). The choice is kept in this
// browser and followed by its other tabs at once.
(() => {
  const KEY = "imagegen.theme";
  const CHOICES = ["system", "light", "dark"];
  const root = document.documentElement;
  const chosen = () => {
    const stored = localStorage.getItem(KEY);
    return CHOICES.includes(stored) ? stored : "system";
  };
  const apply = () => {
    const choice = chosen();
    if (choice === "system") delete root.dataset.theme;
    else root.dataset.theme = choice;
    window.dispatchEvent(new CustomEvent("themechange", { detail: choice }));
  };
  apply();
  window.addEventListener("storage", (event) => {
    if (event.key === KEY) apply();
  });
  /** The theme chosen, and choosing the next one (system, light, dark, system…): for the header's switch. */
  window.pageTheme = {
    chosen,
    next() {
      localStorage.setItem(KEY, CHOICES[(CHOICES.indexOf(chosen()) + 1) % CHOICES.length]);
      apply();
    },
  };
})();
