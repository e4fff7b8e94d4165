// Progressive enhancement: a file input marked data-max-bytes says at once when a chosen
// file is larger than the limit, and its form is not sent, so nothing typed in it is lost
// to the "too large" page. Without JavaScript the server checks the same limit.
(function () {
  "use strict";
  var inputs = document.querySelectorAll("input[type=file][data-max-bytes]");
  if (!inputs.length) { return; }

  function region(input) {
    var id = input.id + "-te-groot";
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", box);
      var described = input.getAttribute("aria-describedby");
      input.setAttribute("aria-describedby", described ? described + " " + id : id);
    }
    return box;
  }

  // Returns true when every chosen file fits; otherwise shows the message and returns false.
  function check(input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    var tooBig = Array.prototype.filter.call(input.files || [], function (file) {
      return file.size > max;
    });
    var box = region(input);
    var field = input.closest(".field");
    box.textContent = "";
    if (tooBig.length) {
      var p = document.createElement("p");
      p.className = "error-message";
      p.textContent = (input.dataset.tooLarge || "").replace("{bestand}", tooBig[0].name);
      box.appendChild(p);
      input.setAttribute("aria-invalid", "true");
      if (field) { field.classList.add("field-error"); }
      return false;
    }
    if (input.dataset.sizeChecked) {
      input.removeAttribute("aria-invalid");
      if (field) { field.classList.remove("field-error"); }
    }
    return true;
  }

  Array.prototype.forEach.call(inputs, function (input) {
    input.addEventListener("change", function () {
      input.dataset.sizeChecked = "1";
      check(input);
    });
    if (input.form && !input.form.dataset.sizeGuard) {
      input.form.dataset.sizeGuard = "1";
      input.form.addEventListener("submit", function (event) {
        var first = null;
        input.form.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (each) {
          if (!check(each) && !first) { first = each; }
        });
        if (first) {
          event.preventDefault();
          first.focus();
        }
      });
    }
  });
})();
