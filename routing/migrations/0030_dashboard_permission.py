"""The "view dashboard" permission, given to the Sales manager group (superusers have
every permission). Like the group's own migration, a later change is a migration."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales manager"


def grant(apps, schema_editor):
    # post_migrate makes permissions only after every migration: make this one now.
    routing = apps.get_app_config("routing")
    routing.models_module = True
    create_permissions(routing, apps=apps, verbosity=0)
    routing.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="routing", codename="view_dashboard"
    )
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label="routing", codename="view_dashboard")
        )


class Migration(migrations.Migration):
    dependencies = [("routing", "0029_manager_reassignment")]

    operations = [
        migrations.AlterModelOptions(
            name="lead",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("view_dashboard", "Can view the dashboard and download its tables")
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
