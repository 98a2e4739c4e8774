// The GOV.UK error pattern: the summary of a form's errors takes the focus when the page
// loads, so a screen reader reads it first; its links lead to each field.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
});
