"""Imported lists in the admin: upload a CSV with its column mapping, watch it run (a
progress bar that follows the worker), read what was wrong with which row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path

from routing.imports import ImportProblem, column_mapping, lead_import_queue
from routing.imports.reader import LeadFile
from routing.models import LeadImport

SHOWN_FIELDS = (
    "name",
    "status",
    "notify",
    "acknowledgment_sla",
    "dry_run",
    "mapping",
    "attribute_columns",
    "created_by",
    "created_at",
    "started_at",
    "finished_at",
    "rows",
    "imported",
    "joined",
    "rejected",
    "error",
)


class LeadImportForm(forms.ModelForm):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row naming the fields (email, first_name, last_name, company, "
        "employee_count, country, state, postal_code, source, ...), then one lead per row. "
        "UTF-8, or a spreadsheet's Windows-1252.",
    )
    columns = forms.CharField(
        label="Column mapping",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "E-mail=email\nFirst=first_name"}),
        help_text="For columns named otherwise, one per line: COLUMN=FIELD. Columns that "
        "are no field are kept in each lead's attributes.",
    )

    class Meta:
        model = LeadImport
        fields = ("file", "columns", "notify", "sla", "sla_working_hours", "dry_run")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "notify" in self.fields:  # the upload form, not the read-only record
            self.fields["notify"].initial = settings.LEADROUTER["IMPORT_NOTIFY"]

    def clean_columns(self) -> dict[str, str]:
        try:
            return column_mapping(self.cleaned_data["columns"].splitlines())
        except ImportProblem as problem:
            raise forms.ValidationError(str(problem)) from None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        upload, mapping = cleaned.get("file"), cleaned.get("columns")
        if upload is not None and mapping is not None:
            # The header row as the worker will read it; refused here, nothing is stored.
            problem = LeadFile(upload, mapping).problem
            upload.seek(0)
            if problem:
                self.add_error("file", problem)
        return cleaned


@admin.register(LeadImport)
class LeadImportAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "name",
        "status",
        "progress",
        "rows",
        "imported",
        "joined",
        "rejected",
        "created_by",
    )
    list_filter = ("status", "notify", "dry_run")
    list_select_related = ("created_by",)
    search_fields = ("name",)
    date_hierarchy = "created_at"
    form = LeadImportForm
    change_form_template = "admin/routing/leadimport/change_form.html"
    actions = ("run_again",)

    @admin.action(description="Run again, from where it stopped (failed imports)")
    def run_again(self, request: HttpRequest, queryset: QuerySet[LeadImport]) -> None:
        stopped = list(queryset.filter(status=LeadImport.Status.FAILED).exclude(file=""))
        for lead_import in stopped:
            lead_import_queue(lead_import=lead_import)
        self.message_user(
            request,
            f"{len(stopped)} import(s) queued to carry on from their first row not yet "
            "imported. Only failed imports of uploaded files can run again.",
        )

    @admin.display(description="acknowledgment SLA")
    def acknowledgment_sla(self, lead_import: LeadImport) -> str:
        return lead_import.sla_words

    @admin.display(description="progress")
    def progress(self, lead_import: LeadImport) -> str:
        return f"{lead_import.percent}%"

    def get_fields(self, request: HttpRequest, obj: LeadImport | None = None) -> Any:
        return LeadImportForm.Meta.fields if obj is None else SHOWN_FIELDS

    def get_readonly_fields(self, request: HttpRequest, obj: LeadImport | None = None) -> Any:
        return () if obj is None else SHOWN_FIELDS

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An import is a record once made; the change page only shows it.
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: LeadImport, form: Any, change: bool) -> None:
        upload = form.cleaned_data["file"]
        obj.name = upload.name
        obj.size = upload.size or 0
        obj.mapping = form.cleaned_data["columns"]
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        lead_import_queue(lead_import=obj)

    def response_add(self, request: HttpRequest, obj: LeadImport, *args: Any) -> HttpResponse:
        """To the import's own page, whose progress bar follows the worker."""
        self.message_user(
            request, f"The import of {obj.name} has started; this page follows its progress."
        )
        return redirect("admin:routing_leadimport_change", obj.pk)

    def get_urls(self) -> list[Any]:
        progress = self.admin_site.admin_view(self.progress_view)
        return [
            path("<int:pk>/progress/", progress, name="routing_leadimport_progress"),
            *super().get_urls(),
        ]

    def progress_view(self, request: HttpRequest, pk: int) -> JsonResponse:
        """What the change page's progress bar polls while the import runs."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "You may not see imports."}, status=403)
        lead_import = get_object_or_404(LeadImport, pk=pk)
        return JsonResponse(
            {
                "status": lead_import.status,
                "status_display": lead_import.get_status_display(),
                "percent": lead_import.percent,
                "rows": lead_import.rows,
                "imported": lead_import.imported,
                "joined": lead_import.joined,
                "rejected": lead_import.rejected,
                "error": lead_import.error,
            }
        )
