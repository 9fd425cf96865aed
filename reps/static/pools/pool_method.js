// A pool's form shows only the settings its distribution method reads, and switches them
// as the method changes. The form names the settings and their methods (data-method-settings).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const method = document.getElementById("id_method");
  if (!method || !method.dataset.methodSettings) {
    return;
  }
  const settings = JSON.parse(method.dataset.methodSettings);

  function showSettingsOfMethod() {
    for (const [name, methods] of Object.entries(settings)) {
      const applies = methods.includes(method.value);
      const parts = document.querySelectorAll(
        `.form-row.field-${name}, td.field-${name}, th.column-${name}`
      );
      for (const part of parts) {
        part.style.display = applies ? "" : "none";
      }
    }
  }

  method.addEventListener("change", showSettingsOfMethod);
  // Rows added with "Add another member" are copies of a template row: hide their parts too.
  document.addEventListener("formset:added", showSettingsOfMethod);
  showSettingsOfMethod();
});
