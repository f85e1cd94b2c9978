"""Django admin for pets: list columns, search, species and owner filters."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.forms import ModelForm
from django.http import HttpRequest

from apps.pets.models import Pet


@admin.register(Pet)
class PetAdmin(admin.ModelAdmin[Pet]):
    list_display = ("name", "species", "owner", "birth_date", "version", "created_at")
    list_filter = ("species", ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "owner__username", "owner__email")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    readonly_fields = ("version", "created_at", "updated_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def save_model(
        self, request: HttpRequest, obj: Pet, form: ModelForm[Pet], change: bool
    ) -> None:
        # Admin edits bump the version like API updates, so ETags stay truthful.
        if change:
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])
