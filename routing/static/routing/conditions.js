/* The rule conditions editor: rows added and removed, tests offered by the field's
   type, values checked as typed, and the reading in plain words fetched from the
   server's renderer as the manager types. Everything here also works without it. */
"use strict";
(function () {
  // Numbers as routing files read them: no leading zeros on whole numbers ("070" is text).
  const ONE_NUMBER = String.raw`-?(?:0|[1-9]\d*|\d+\.\d*|\.\d+)`;
  const NUMBER = new RegExp(String.raw`^\s*${ONE_NUMBER}\s*$`);
  const NUMBER_LIST = new RegExp(String.raw`^\s*${ONE_NUMBER}(?:\s*,\s*${ONE_NUMBER})*\s*,?\s*$`);
  const COMPARISONS = ["gte", "gt", "lte", "lt"];
  const LISTS = ["in", "not_in"];

  function kindOf(row) {
    const option = row.querySelector(".condition-field").selectedOptions[0];
    return option ? option.dataset.kind || "" : "";
  }

  function valueNeedsNumber(kind, operator) {
    return kind === "number" || (kind === "attribute" && COMPARISONS.includes(operator));
  }

  /* Tests that fit the chosen field; the value box asks for what the test needs. */
  function fitRow(row) {
    const kind = kindOf(row);
    const operatorSelect = row.querySelector(".condition-operator");
    const options = Array.from(operatorSelect.options);
    options.forEach((option) => {
      const fits = !kind || option.dataset.kinds.split(" ").includes(kind);
      option.hidden = !fits;
      option.disabled = !fits;
    });
    if (operatorSelect.selectedOptions[0] && operatorSelect.selectedOptions[0].disabled) {
      const first = options.find((option) => !option.disabled);
      if (first) operatorSelect.value = first.value;
    }
    row.querySelector(".condition-attribute").hidden = kind !== "attribute";
    const operator = operatorSelect.value;
    const chosen = operatorSelect.selectedOptions[0];
    const value = row.querySelector(".condition-value");
    value.hidden = Boolean(chosen && chosen.dataset.needsValue === "no");
    const list = LISTS.includes(operator);
    if (valueNeedsNumber(kind, operator)) {
      value.inputMode = "decimal";
      value.placeholder = list ? "numbers, e.g. 10, 50" : "a number, e.g. 500";
      value.pattern = (list ? NUMBER_LIST : NUMBER).source;
      value.title = list ? "Numbers separated by commas" : "A number, e.g. 500";
    } else {
      value.inputMode = "text";
      value.placeholder = list ? "values separated by commas" : "a value";
      value.removeAttribute("pattern");
      value.removeAttribute("title");
    }
    value.setAttribute("aria-invalid", String(!value.hidden && value.value !== "" && !value.checkValidity()));
  }

  function inputs(editor, mode) {
    const body = new FormData();
    body.append("conditions_mode", mode);
    body.append("conditions", editor.querySelector(".conditions-yaml textarea").value);
    editor.querySelectorAll(".condition-row").forEach((row) => {
      body.append("conditions_field", row.querySelector(".condition-field").value);
      body.append("conditions_attribute", row.querySelector(".condition-attribute").value);
      body.append("conditions_operator", row.querySelector(".condition-operator").value);
      body.append("conditions_value", row.querySelector(".condition-value").value);
    });
    return body;
  }

  function modeOf(editor) {
    const checked = editor.querySelector(".conditions-modes input:checked");
    return checked ? checked.value : "rows";
  }

  async function preview(editor, mode) {
    const form = editor.closest("form");
    const token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(editor.dataset.previewUrl, {
      method: "POST",
      body: inputs(editor, mode),
      headers: { "X-CSRFToken": token ? token.value : "" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`preview answered ${response.status}`);
    return response.json();
  }

  function show(editor, answer) {
    editor.querySelector(".conditions-words").textContent = answer.words || "—";
    const problems = editor.querySelector(".conditions-problems");
    problems.replaceChildren(
      ...answer.errors.map((error) => {
        const item = document.createElement("li");
        item.textContent = error;
        return item;
      })
    );
    problems.hidden = answer.errors.length === 0;
  }

  async function refresh(editor) {
    const asked = (editor.dataset.asked = String(Number(editor.dataset.asked || 0) + 1));
    try {
      const answer = await preview(editor, modeOf(editor));
      if (editor.dataset.asked === asked) show(editor, answer);
    } catch (error) {
      show(editor, { words: "", errors: ["The reading could not be updated; saving still checks the conditions."] });
    }
  }

  function refreshSoon(editor) {
    clearTimeout(editor.refreshTimer);
    editor.refreshTimer = setTimeout(() => refresh(editor), 250);
  }

  function blankRow(editor) {
    const rows = editor.querySelectorAll(".condition-row");
    const row = rows[rows.length - 1].cloneNode(true);
    row.querySelector(".condition-field").value = "";
    row.querySelector(".condition-attribute").value = "";
    row.querySelector(".condition-value").value = "";
    fitRow(row);
    return row;
  }

  function setRows(editor, rows) {
    const list = editor.querySelector(".condition-list");
    const template = blankRow(editor);
    list.replaceChildren(
      ...[...rows, null].map((data) => {
        const row = template.cloneNode(true);
        if (data) {
          row.querySelector(".condition-field").value = data.field;
          row.querySelector(".condition-attribute").value = data.attribute;
          row.querySelector(".condition-operator").value = data.operator;
          row.querySelector(".condition-value").value = data.value;
        }
        fitRow(row);
        return row;
      })
    );
  }

  /* Switching between rows and YAML carries the conditions across when the server can
     read them; groups cannot become rows, so the YAML stays chosen and says why. */
  async function switchMode(editor, radio) {
    const from = radio.value === "rows" ? "yaml" : "rows";
    const stay = (answer) => {
      editor.querySelector(`.conditions-modes input[value=${from}]`).checked = true;
      show(editor, answer);
    };
    let answer;
    try {
      answer = await preview(editor, from);
    } catch (error) {
      stay({ words: "", errors: ["The conditions could not be carried across; try again."] });
      return;
    }
    // What cannot be read stays where it was typed, to be corrected there.
    if (answer.errors.length) {
      stay(answer);
    } else if (radio.value === "yaml") {
      editor.querySelector(".conditions-yaml textarea").value = answer.yaml;
      show(editor, answer);
    } else if (answer.rows === null) {
      stay({
        words: answer.words,
        errors: ["These conditions use groups (any, not) or values rows cannot show: keep editing them as YAML."],
      });
    } else {
      setRows(editor, answer.rows);
      show(editor, answer);
    }
  }

  function enhance(editor) {
    if (editor.dataset.enhanced || editor.closest(".empty-form")) return;
    editor.dataset.enhanced = "yes";
    editor.querySelectorAll("[hidden].condition-add, [hidden].condition-remove").forEach((button) => {
      button.hidden = false;
    });
    editor.querySelectorAll(".condition-row").forEach(fitRow);
  }

  document.addEventListener("change", (event) => {
    const editor = event.target.closest(".conditions-editor");
    if (!editor) return;
    if (event.target.matches(".conditions-modes input")) {
      switchMode(editor, event.target);
      return;
    }
    const row = event.target.closest(".condition-row");
    if (row) fitRow(row);
    refreshSoon(editor);
  });

  document.addEventListener("input", (event) => {
    const editor = event.target.closest(".conditions-editor");
    if (!editor || event.target.matches(".conditions-modes input")) return;
    const row = event.target.closest(".condition-row");
    if (row && event.target.matches(".condition-value")) fitRow(row);
    refreshSoon(editor);
  });

  document.addEventListener("click", (event) => {
    const editor = event.target.closest(".conditions-editor");
    if (!editor) return;
    if (event.target.matches(".condition-add")) {
      const row = blankRow(editor);
      editor.querySelector(".condition-list").append(row);
      row.querySelector(".condition-field").focus();
    } else if (event.target.matches(".condition-remove")) {
      const row = event.target.closest(".condition-row");
      if (editor.querySelectorAll(".condition-row").length > 1) {
        row.remove();
      } else {
        row.replaceWith(blankRow(editor));
      }
      refreshSoon(editor);
    }
  });

  // A rule added on the rule set page brings its own editor.
  document.addEventListener("formset:added", (event) => {
    event.target.querySelectorAll(".conditions-editor").forEach(enhance);
  });
  const start = () => document.querySelectorAll(".conditions-editor").forEach(enhance);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
