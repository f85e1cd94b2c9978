"""Create the "Default" usage plan: 10 requests/s, bursts of 20, 10,000 requests per UTC day."""

from decimal import Decimal

from django.db import migrations

DEFAULT_PLAN = {
    "name": "Default",
    "description": (
        "For getting started: 10 requests/second steady (bursts of 20) and 10,000 "
        "requests per UTC day per key. Edit it, or add plans, in the admin."
    ),
    "rate": Decimal("10"),
    "burst": 20,
    "limit": 10_000,
    "period": "DAY",
    "offset": 0,
}


def create_default_plan(apps, schema_editor):
    UsagePlan = apps.get_model("api_keys", "UsagePlan")
    name = DEFAULT_PLAN["name"]
    defaults = {k: v for k, v in DEFAULT_PLAN.items() if k != "name"}
    UsagePlan.objects.using(schema_editor.connection.alias).get_or_create(
        name=name, defaults=defaults
    )


def remove_default_plan(apps, schema_editor):
    UsagePlan = apps.get_model("api_keys", "UsagePlan")
    plans = UsagePlan.objects.using(schema_editor.connection.alias)
    plans.filter(name=DEFAULT_PLAN["name"], api_keys__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("api_keys", "0001_initial")]

    operations = [migrations.RunPython(create_default_plan, remove_default_plan)]
