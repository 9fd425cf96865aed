// The move-to-top and move-to-bottom arrows sit in the line that opens a rule: using them
// moves the rule without opening it, and they work from the keyboard too.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  for (const arrow of document.querySelectorAll(".rules-compact span.sort i")) {
    arrow.tabIndex = 0;
    arrow.addEventListener("click", (event) => event.preventDefault());
    arrow.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        arrow.click();
        arrow.focus();
      }
    });
  }
});
