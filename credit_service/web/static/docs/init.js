// Starts Swagger UI on the page's spec URL, and keeps what it renders accessible; kept out
// of the HTML so the CSP needs no inline script.
(function () {
  "use strict";

  // Controls Swagger UI leaves without a name, and the page's word for each (data-* of
  // the holder, from the locales).
  var NAMED = [
    [".copy-to-clipboard > button", "copy"],
    ["button.close-modal", "close"],
    ["textarea.curl", "curl"],
    ["textarea.body-param__text", "body"],
  ];
  var FIELDS = "input:not([type=hidden]), select, textarea";
  var serial = 0;

  function named(el) {
    return el.hasAttribute("aria-label") || el.hasAttribute("aria-labelledby") ||
      (el.labels && el.labels.length > 0);
  }

  // A parameter's field is named by the parameter; a field of the Authorize dialog sits
  // beside its visible label ("Value:"), unlinked: link them.
  function nameField(field) {
    var row = field.closest("tr[data-param-name]");
    var wrapper = field.closest(".wrapper");
    var label = wrapper && wrapper.querySelector("label");
    if (row) {
      field.setAttribute("aria-label", row.dataset.paramName);
    } else if (label && !label.htmlFor) {
      field.id = field.id || "swagger-field-" + (++serial);
      label.htmlFor = field.id;
    }
  }

  function repair(root) {
    var words = root.dataset;
    // "get /path" as a name would hide the visible method, path and summary from speech
    // input: the button's text is its name instead
    root.querySelectorAll(".opblock-summary-control[aria-label]").forEach(function (button) {
      button.removeAttribute("aria-label");
    });
    // a tag's collapse button holds only an arrow: named by its tag
    root.querySelectorAll("button.expand-operation:not([aria-label])").forEach(function (button) {
      var tag = button.closest(".opblock-tag");
      if (tag && tag.dataset.tag) button.setAttribute("aria-label", tag.dataset.tag);
    });
    NAMED.forEach(function (pair) {
      root.querySelectorAll(pair[0]).forEach(function (el) {
        var hasText = el.tagName === "BUTTON" && el.textContent.trim();
        if (!named(el) && !hasText) el.setAttribute("aria-label", words[pair[1]]);
      });
    });
    root.querySelectorAll(FIELDS).forEach(function (field) {
      if (!named(field)) nameField(field);
    });
    // examples scroll within their box: keyboard users reach them to scroll
    root.querySelectorAll(".highlight-code > .microlight:not([tabindex])").forEach(function (pre) {
      pre.tabIndex = 0;
    });
  }

  window.addEventListener("load", function () {
    var holder = document.getElementById("swagger-ui");
    window.SwaggerUIBundle({
      url: holder.dataset.specUrl,
      dom_id: "#swagger-ui",
      // the highlighting themes have colours below 4.5:1 on their backgrounds
      syntaxHighlight: { activated: false },
    });
    // React adds and replaces nodes as operations open and close: repair after each change
    new MutationObserver(function () { repair(holder); }).observe(holder, {
      subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"],
    });
    repair(holder);
  });
})();
