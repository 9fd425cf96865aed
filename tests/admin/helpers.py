"""Building admin POST data the way a browser would, from the page the test just fetched."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.http import HttpResponse
from django.urls import reverse


def admin_url(model: type[Model] | Model, view: str, *args: Any) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _widget_data(form: forms.BaseForm, name: str) -> dict[str, Any]:
    bound = form[name]
    field, key, value = bound.field, bound.html_name, bound.value()
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        return {key: "on"} if value else {}
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        return {f"{key}_{index}": "" if part is None else part for index, part in enumerate(parts)}
    if isinstance(value, list | tuple):
        return {key: [str(item) for item in value]}
    return {key: "" if value is None else value}


def form_data(form: forms.BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in form.fields:
        data.update(_widget_data(form, name))
    return data


def page_data(response: HttpResponse) -> dict[str, Any]:
    """What submitting the admin page in `response` unchanged would post.

    The main form with its current values and every inline formset with its
    management form, so a test changes only the fields it is about.
    """
    data = form_data(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    return data


def inline_prefix(response: HttpResponse, model: type[Model]) -> str:
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise LookupError(f"no inline for {model.__name__} on this page")


def set_inline_rows(
    data: dict[str, Any], prefix: str, rows: list[dict[str, Any]], *, initial: int = 0
) -> dict[str, Any]:
    """Replace the extra (new) rows of inline `prefix` with `rows`, after `initial` saved ones."""
    for key in [key for key in data if key.startswith(f"{prefix}-")]:
        index = key.removeprefix(f"{prefix}-").split("-", 1)[0]
        if index.isdigit() and int(index) >= initial:
            del data[key]
    for offset, row in enumerate(rows):
        for field, value in row.items():
            data[f"{prefix}-{initial + offset}-{field}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(initial + len(rows))
    return data


def errors_of(response: HttpResponse) -> list[str]:
    """Every error message on an admin form page: main form, non-field and inline errors."""
    context = response.context
    messages: list[str] = []
    if "adminform" in context:
        form = context["adminform"].form
        for errors in form.errors.values():
            messages.extend(errors)
    for inline in context.get("inline_admin_formsets", []):
        messages.extend(inline.formset.non_form_errors())
        for form_errors in inline.formset.errors:
            for errors in form_errors.values():
                messages.extend(errors)
    return [str(message) for message in messages]
