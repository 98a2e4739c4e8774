// Section page: which items the officer changes before section.js (deferred) runs. Loaded
// before the form, it only notes them: section.js then sends those (and only those) whose
// answer differs from the page as the server wrote it. A browser putting back what was on
// the page before (the Back button) changes fields without these events: nothing is sent.
(function () {
  "use strict";
  var edited = window.surveyappEditedEarly = {};
  function note(event) {
    var item = event.target && event.target.closest ? event.target.closest("[data-item]") : null;
    if (item) edited[item.dataset.item] = true;
  }
  document.addEventListener("input", note, true);
  document.addEventListener("change", note, true);
})();
