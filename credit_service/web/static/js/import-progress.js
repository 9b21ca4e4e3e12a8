// An import's page while the import waits or runs: ask for its progress every two
// seconds and move the bar; once the import has ended, load the page again for its
// report. Without JavaScript the page refreshes itself (the <noscript> meta refresh).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var state = document.getElementById("import-state");
  function reload() { window.location.reload(); }
  function poll() {
    fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (progress) {
        if (progress.finished) { reload(); return; }
        bar.max = Math.max(progress.rows_total, 1);
        bar.value = progress.rows_processed;
        bar.textContent = progress.text;
        if (text.textContent !== progress.text) { text.textContent = progress.text; }
        state.textContent = progress.state_text;
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(reload, 10000); });  // signed out, or offline
  }
  window.setTimeout(poll, 2000);
});
