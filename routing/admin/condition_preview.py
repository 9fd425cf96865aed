"""The conditions editor's reading in plain words, for what is typed before it is saved.

The editor posts its inputs here as a manager types; the answer is what saving would
store, in the words rule pages use, or the errors saving would show. Nothing is stored.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from routing.conditions import describe_conditions

from .condition_field import ConditionsWidget, check_conditions, conditions_to_yaml, read_conditions
from .condition_rows import conditions_to_rows

# The editor posts its inputs under this name, whatever its form calls the field.
NAME = "conditions"


@require_POST
def conditions_preview_view(request: HttpRequest) -> JsonResponse:
    value = ConditionsWidget().value_from_datadict(request.POST, request.FILES, NAME)
    try:
        conditions = read_conditions(value)
        check_conditions(conditions)
    except ValidationError as error:
        return JsonResponse({"words": "", "errors": error.messages, "yaml": None, "rows": None})
    rows = conditions_to_rows(conditions)
    return JsonResponse(
        {
            "words": describe_conditions(conditions),
            "errors": [],
            "yaml": conditions_to_yaml(conditions),
            "rows": None if rows is None else [row.as_dict() for row in rows],
        }
    )
