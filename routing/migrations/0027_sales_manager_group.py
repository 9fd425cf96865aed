"""The "Sales manager" group: edit routing, work leads, read the dashboard; never users or
intake keys. Its permissions are listed here, frozen with the migration, so a later change
of the role is a migration of its own."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales manager"

# (app label, model, actions). Reps may be added and changed (routing fields; the admin
# keeps their login read-only without the users' permission) but not deleted: a rep who
# leaves is made inactive, keeping their leads' history.
PERMISSIONS = [
    ("routing", "ruleset", ("add", "change", "delete", "view")),
    ("routing", "rule", ("add", "change", "delete", "view")),
    ("reps", "pool", ("add", "change", "delete", "view")),
    ("reps", "poolmembership", ("add", "change", "delete", "view")),
    ("reps", "rep", ("add", "change", "view")),
    ("territories", "territory", ("add", "change", "delete", "view")),
    ("territories", "namedaccount", ("add", "change", "delete", "view")),
    ("territories", "accountdomain", ("add", "change", "delete", "view")),
    ("routing", "lead", ("change", "view")),
    ("routing", "assignment", ("change", "view")),
    # A lead's page shows its decisions and timeline.
    ("routing", "routingdecision", ("view",)),
    ("routing", "leadevent", ("view",)),
]


def create_group(apps, schema_editor):
    # Permissions are made by post_migrate, after every migration has run; on a fresh
    # database they do not exist yet, so make them now, the documented way.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = [
        (app_label, f"{action}_{model}")
        for app_label, model, actions in PERMISSIONS
        for action in actions
    ]
    found = {
        (permission.content_type.app_label, permission.codename): permission
        for permission in Permission.objects.select_related("content_type").filter(
            codename__in=[codename for _, codename in wanted]
        )
    }
    missing = [f"{app}.{codename}" for app, codename in wanted if (app, codename) not in found]
    if missing:
        raise RuntimeError(f"Permissions missing for the Sales manager group: {missing}")
    group.permissions.set([found[key] for key in wanted])


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("reps", "0010_capacity_open_and_unacknowledged"),
        ("routing", "0026_notification_claim_token"),
        ("territories", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
