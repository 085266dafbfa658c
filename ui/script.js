// Citation marks ([1]) and source cards open their sentence in the article: the click writes the
// citation number into a hidden textbox, whose change the server answers with the article view.
document.addEventListener("click", (event) => {
  const el = event.target.closest(".cite, .source-card");
  if (!el || !el.dataset.cite) return;
  const box = document.querySelector("#cite-target textarea, #cite-target input");
  if (!box) return;
  box.value = `${el.dataset.cite}:${Date.now()}`;
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
