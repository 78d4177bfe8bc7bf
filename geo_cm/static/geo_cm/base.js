// Behaviour shared by every page. The Content-Security-Policy allows no inline handlers,
// so elements ask for behaviour with data attributes.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("[data-submit-on-change]") && target.form) {
      target.form.submit();
    }
  });
})();
