"""Fields for text a manager types in the admin.

Territory matchers and rep skills are short lists ("US, CA", "CRM, Analytics"): a
manager types them in one box; code and the database see a plain JSON list.
Longer text (descriptions) keeps its line breaks in one form, whatever the browser sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst


def split_list(text: str) -> list[str]:
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


class MultilineTextField(forms.CharField):
    """Text from a textarea with its line breaks as "\n".

    Browsers send a textarea's line breaks as "\r\n" (HTML's form encoding), while text
    loaded from a routing file has "\n": without this, saving a page untouched would
    rewrite every multi-line description and record the rewrite as a change.
    """

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if isinstance(text, str):
            return text.replace("\r\n", "\n").replace("\r", "\n")
        return text


class CommaSeparatedField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(item) for item in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        if isinstance(value, list | tuple):
            return [str(item).strip() for item in value if str(item).strip()]
        return split_list(super().to_python(value) or "")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data or "")


class ListField(models.JSONField):
    """A JSON list of strings, blank meaning "no values". `item_validator` checks each."""

    def __init__(
        self, *args: Any, item_validator: Callable[[str], None] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("default", list)
        kwargs.setdefault("blank", True)
        self.item_validator = item_validator
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.item_validator is not None:
            kwargs["item_validator"] = self.item_validator
        return name, path, args, kwargs

    def validate(self, value: Any, model_instance: Any) -> None:
        super().validate(value, model_instance)
        if self.item_validator is None:
            return
        for item in value or []:
            try:
                self.item_validator(item)
            except ValidationError as error:
                raise ValidationError(f"{item!r}: {' '.join(error.messages)}") from error

    def formfield(self, **kwargs: Any) -> forms.Field:
        return CommaSeparatedField(
            # Wide enough to read what is listed: addresses, URLs (a Slack webhook's is long).
            widget=forms.Textarea(attrs={"rows": 2, "class": "vLargeTextField"}),
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            **{key: kwargs[key] for key in ("required", "label", "initial") if key in kwargs},
        )
