// The review workspace on the assessment page (progressive enhancement). Without
// JavaScript every requirement stands on the page below the list. With it, one
// requirement shows at a time: the list, the buttons "Vorige eis" / "Volgende eis" and the
// keys J / K select another without a page load; the list's states, the progress and the
// failed knock-out requirements above the decision follow the verdicts chosen.
(function () {
  "use strict";
  var root = document.querySelector("[data-workspace]");
  if (!root) { return; }
  var panels = Array.prototype.slice.call(root.querySelectorAll("[data-ws-panel]"));
  var links = Array.prototype.slice.call(root.querySelectorAll("[data-ws-link]"));
  if (!panels.length || panels.length !== links.length) { return; }
  var stateText = JSON.parse(root.dataset.stateText || "{}");
  var progress = root.querySelector("[data-ws-progress]");
  var current = -1;
  var shownAt = Date.now();  // when a requirement was last shown

  root.classList.add("ws-enhanced");
  root.querySelectorAll("[data-ws-js]").forEach(function (el) { el.hidden = false; });

  function indexOfId(id) {
    for (var i = 0; i < panels.length; i++) {
      if (panels[i].id === id) { return i; }
      if (id && panels[i].querySelector("[id='" + id.replace(/'/g, "") + "']")) { return i; }
    }
    return -1;
  }

  function show(index, focus) {
    index = Math.max(0, Math.min(panels.length - 1, index));
    panels.forEach(function (panel, i) { panel.hidden = i !== index; });
    links.forEach(function (link, i) {
      if (i === index) { link.setAttribute("aria-current", "step"); } else { link.removeAttribute("aria-current"); }
    });
    current = index;
    shownAt = Date.now();
    if (focus) {
      var heading = panels[index].querySelector("h3");
      if (heading) { heading.focus(); }
      links[index].scrollIntoView({ block: "nearest" });
    }
  }

  function chosen(panel) {
    var radio = panel.querySelector("input[type=radio]:checked");
    return radio ? radio.value : "";
  }

  function refresh() {
    var done = 0;
    var failed = [];
    panels.forEach(function (panel, i) {
      if (!panel.querySelector("input[type=radio]")) {  // read-only: the states as rendered
        if (links[i].querySelector(".ws-state").dataset.state !== "open") { done++; }
        return;
      }
      var value = chosen(panel);
      var state = links[i].querySelector(".ws-state");
      state.dataset.state = value || "open";
      state.textContent = stateText[value] || "";
      if (value) { done++; }
      if (value === "voldoet_niet" && panel.dataset.knockout) { failed.push(panel.dataset.knockout); }
    });
    if (progress) {
      progress.querySelector("strong").textContent = (root.dataset.progressText || "")
        .replace("{done}", done).replace("{total}", panels.length);
    }
    var box = document.querySelector("[data-ws-failed]");
    if (box) {
      box.querySelectorAll("[data-ws-failed-item]").forEach(function (item) {
        item.hidden = failed.indexOf(item.dataset.wsFailedItem) === -1;
      });
      var none = box.querySelector("[data-ws-failed-none]");
      if (none) { none.hidden = failed.length > 0; }
    }
  }

  links.forEach(function (link, i) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      show(i, true);
    });
  });
  root.querySelectorAll("[data-ws-step]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      event.preventDefault();
      show(current + Number(button.dataset.wsStep), true);
    });
  });
  // The browser's PDF viewer takes the focus once it has loaded, and the page jumps to
  // it. The first time a PDF takes the focus soon after it was shown, the focus goes back
  // and the jump is undone (a click in the PDF later focuses it as usual).
  var lastFocus = null;
  function inView(el) {
    var box = el.getBoundingClientRect();
    return box.bottom > 0 && box.top < window.innerHeight;
  }
  document.addEventListener("focusin", function (event) { lastFocus = event.target; });
  window.addEventListener("blur", function () {
    var frame = document.activeElement;
    if (!frame || frame.tagName !== "IFRAME" || !root.contains(frame) || frame.dataset.wsSettled) {
      return;
    }
    frame.dataset.wsSettled = "1";
    if (Date.now() - shownAt > 5000) { return; }
    var x = window.scrollX;
    var y = window.scrollY;
    var hidden = !inView(frame);  // a jump brings it into view; a scroll elsewhere does not
    var back = lastFocus && lastFocus !== frame && document.contains(lastFocus) ? lastFocus : null;
    function settle() {
      if (hidden && inView(frame) && (window.scrollX !== x || window.scrollY !== y)) {
        window.scrollTo(x, y);
      }
      if (document.activeElement !== frame) { return; }
      if (back) { back.focus({ preventScroll: true }); } else { frame.blur(); }
    }
    setTimeout(settle, 0);
    setTimeout(settle, 60);
  });
  root.addEventListener("change", function (event) {
    if (event.target.type === "radio") { refresh(); }
  });

  function typing(target) {
    var tag = target.tagName;
    return target.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && ["radio", "checkbox", "button", "submit"].indexOf(target.type) === -1);
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key.toLowerCase();
    if (key !== "j" && key !== "k") { return; }
    event.preventDefault();
    show(current + (key === "j" ? 1 : -1), true);
  });

  // A link to a requirement or one of its fields (the error summary, the failed knock-out
  // list above the decision) selects that requirement.
  function follow(hash, focus) {
    var id = decodeURIComponent((hash || "").replace(/^#/, ""));
    var index = indexOfId(id);
    if (index === -1) { return false; }
    show(index, false);
    var target = document.getElementById(id);
    if (focus && target && target !== panels[index]) { target.focus(); }
    else if (focus) { show(index, true); }
    return true;
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (!link || root.querySelector("nav").contains(link) || link.dataset.wsStep) { return; }
    if (follow(link.getAttribute("href"), true)) { event.preventDefault(); }
  });
  window.addEventListener("hashchange", function () { follow(location.hash, true); });

  if (!follow(location.hash, false)) {
    var withError = panels.findIndex(function (panel) { return panel.querySelector(".field-error"); });
    var open = panels.findIndex(function (panel, i) {
      return links[i].querySelector(".ws-state").dataset.state === "open";
    });
    show(withError !== -1 ? withError : open !== -1 ? open : 0, false);
  }
})();
