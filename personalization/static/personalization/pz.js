/* django-personalization: opens popups on their trigger and closes them. No dependencies. */
(function () {
  "use strict";
  function open(popup) { popup.classList.add("pz-popup--open"); }
  function close(popup) { popup.classList.remove("pz-popup--open"); popup.hidden = true; }
  document.querySelectorAll(".pz-popup").forEach(function (popup) {
    var trigger = popup.getAttribute("data-pz-trigger");
    if (trigger === "delay") {
      setTimeout(function () { open(popup); }, 1000 * parseInt(popup.getAttribute("data-pz-delay") || "0", 10));
    } else if (trigger === "exit") {
      document.addEventListener("mouseout", function (e) { if (!e.relatedTarget && e.clientY <= 0) open(popup); });
    } else if (trigger === "scroll") {
      var depth = parseInt(popup.getAttribute("data-pz-scroll") || "50", 10);
      window.addEventListener("scroll", function () {
        var seen = (window.scrollY + window.innerHeight) / document.documentElement.scrollHeight * 100;
        if (seen >= depth) open(popup);
      }, { passive: true });
    } else { open(popup); }
    popup.querySelectorAll("[data-pz-dismiss]").forEach(function (b) { b.addEventListener("click", function () { close(popup); }); });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") close(popup); });
  });
})();
