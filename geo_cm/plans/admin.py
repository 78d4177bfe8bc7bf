from django.contrib import admin

from .models import Plan, ReportedValue, Target


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("year", "title", "issuing_body")
    inlines = [TargetInline]


@admin.register(ReportedValue)
class ReportedValueAdmin(admin.ModelAdmin):
    list_display = ("target", "value", "measured_on", "scope", "reported_by")
    list_filter = ("target__plan",)
