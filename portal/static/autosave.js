// Progressive enhancement: a form marked data-autosave saves itself shortly after each
// change, without leaving the page. Without JavaScript the form's own button saves.
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    // The status line: in the form, or (the review workspace) the one in its sticky progress.
    var status = form.querySelector("[data-autosave-status]") ||
      document.querySelector("[data-autosave-status]");
    var timer = null;
    var busy = false;
    var again = false;
    var submitAfter = false;

    function say(text) { if (status) { status.textContent = text; } }

    function save() {
      if (busy) { again = true; return; }
      busy = true;
      say(form.dataset.savingText || "Bezig met opslaan…");
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (result.data.version !== undefined) {
          // Every form on the page acts on the same application: keep their versions current.
          document.querySelectorAll("input[name=version]").forEach(function (input) {
            input.value = result.data.version;
          });
        }
        say(result.data.message || "");
      }).catch(function () {
        say(form.dataset.failedText || "Niet opgeslagen. Gebruik de knop om op te slaan.");
      }).finally(function () {
        busy = false;
        if (submitAfter) { submitAfter = false; form.submit(); return; }  // with the new version
        if (again) { again = false; save(); }
      });
    }

    // The form's own button while a save is on its way: submit once that save is done, or
    // the form would carry the version from before it (and be refused as changed).
    form.addEventListener("submit", function (event) {
      clearTimeout(timer);
      if (busy) {
        event.preventDefault();
        again = false;
        submitAfter = true;
      }
    });

    form.addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(save, 400);
    });
  });
})();
