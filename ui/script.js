// Citation marks ([1]) and source cards open their sentence in the article: the click writes the
// citation number into a hidden textbox, whose change the server answers with the article view.
document.addEventListener("click", (event) => {
  if (event.target.closest(".copy-ref")) return; // copying a reference opens nothing
  const el = event.target.closest(".cite, .source-card");
  if (!el) return;
  // the chat's sanitizer strips data-* attributes from answers: their chips carry the key as a class
  const key = el.dataset.cite || ([...el.classList].find((c) => c.startsWith("ck-")) || "").slice(3);
  if (!key) return;
  const box = document.querySelector("#cite-target textarea, #cite-target input");
  if (!box) return;
  box.value = `${key}:${Date.now()}`;
  box.dispatchEvent(new Event("input", { bubbles: true }));
});

// When a newly opened article view holds the cited sentence, scroll it into view (centred in the
// article pane). Watching the DOM does not depend on when Gradio finishes rendering the update.
let lastActive = null;
new MutationObserver(() => {
  const el = document.getElementById("active-cite");
  if (el && el !== lastActive) {
    lastActive = el;
    el.scrollIntoView({ block: "center", behavior: "instant" });
  }
}).observe(document.documentElement, { childList: true, subtree: true });

// The source browser: a search hit's title, a marked sentence or a "cited in" entry (data-open: the
// article id; data-start/data-end: the span to highlight) writes itself into its tab's hidden
// open-target box, whose change the server answers with the article view.
document.addEventListener("click", (event) => {
  const el = event.target.closest("[data-open]");
  if (!el) return;
  const scope = el.closest("[role=tabpanel]") || document;
  const box = scope.querySelector(".open-target textarea, .open-target input");
  if (!box) return;
  const start = el.dataset.start === undefined ? null : Number(el.dataset.start);
  const end = el.dataset.end === undefined ? null : Number(el.dataset.end);
  box.value = JSON.stringify({ id: el.dataset.open, start, end, t: Date.now() });
  box.dispatchEvent(new Event("input", { bubbles: true }));
});

// Date pickers: a bad date never reaches the server as a value (the picker only marks it red), so
// leaving a date box (or Enter in it) clicks its row's hidden check button, whose handler reads the
// boxes as typed and says what is wrong beside them.
function checkDates(input) {
  const row = input.closest(".filter-row");
  const button = row && row.querySelector(".date-check");
  if (button) setTimeout(() => button.click(), 50);
}
document.addEventListener("focusout", (event) => {
  if (event.target.matches(".date-filter input.time")) checkDates(event.target);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && event.target.matches(".date-filter input.time")) checkDates(event.target);
});

// The browser's opened sentence is scrolled into view when a new article view shows it; date boxes
// get their label as their accessible name (the picker's label is not a <label> element).
let lastOpened = null;
new MutationObserver(() => {
  const el = document.querySelector(".browse-active");
  if (el && el !== lastOpened) {
    lastOpened = el;
    el.scrollIntoView({ block: "center", behavior: "instant" });
  }
  for (const input of document.querySelectorAll(".date-filter input.time:not([aria-label])")) {
    const label = input.closest(".date-filter").querySelector("[data-testid=block-info]");
    if (label) input.setAttribute("aria-label", label.textContent.trim());
  }
}).observe(document.documentElement, { childList: true, subtree: true });

// "Copy reference" on a source card or a lookup result: the citation's formatted reference (held,
// escaped, in data-ref) goes to the clipboard; without the Clipboard API (a page not served from
// localhost or https) a hidden textarea and execCommand do it. The button says "Copied".
document.addEventListener("click", async (event) => {
  const button = event.target.closest(".copy-ref");
  if (!button) return;
  event.preventDefault();
  const text = button.dataset.ref || "";
  let done = false;
  try {
    await navigator.clipboard.writeText(text);
    done = true;
  } catch (_err) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    done = document.execCommand("copy");
    area.remove();
  }
  button.textContent = done ? "Copied" : "Copy failed";
  setTimeout(() => { button.textContent = "Copy reference"; }, 1500);
});
