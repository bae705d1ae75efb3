// Lähde: progressive enhancement only. The page works without this file.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  var timer = null;

  function say(text) {
    if (!status) return;
    status.textContent = text;
    clearTimeout(timer);
    timer = setTimeout(function () { status.textContent = ""; }, 4000);
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return fallbackCopy(text); });
    }
    return Promise.resolve(fallbackCopy(text));
  }

  function citationText(button) {
    var label = button.getAttribute("data-label") || "";
    var withQuote = document.getElementById("with-quote");
    if (withQuote && withQuote.checked) {
      return label + "\n\u201d" + (button.getAttribute("data-quote") || "") + "\u201d";
    }
    return label;
  }

  document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });

  // Wide screens have room for the filters: show them open; phones keep them folded.
  var filters = document.querySelector("details.filters-box");
  if (filters && window.matchMedia && window.matchMedia("(min-width: 40rem)").matches) { filters.open = true; }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.copy") : null;
    if (!button) return;
    var text = citationText(button);
    copyText(text).then(function (ok) {
      if (ok) {
        button.classList.add("done");
        button.setAttribute("data-copied", "true");
        setTimeout(function () { button.classList.remove("done"); }, 1500);
        say((status.getAttribute("data-copied") || "").replace("{label}", button.getAttribute("data-label") || ""));
      } else {
        say(status.getAttribute("data-failed") || "");
      }
    });
  });

  // "/" jumps to the search box, as on many search sites; Escape leaves it.
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    var typing = tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable;
    var box = document.getElementById("q");
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      if (box) { event.preventDefault(); box.focus(); box.select(); }
      else { var home = document.querySelector(".brand a"); window.location.href = home ? home.href : "/"; }
    } else if (event.key === "Escape" && event.target === box) {
      box.blur();
    }
  });
})();
