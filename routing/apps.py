from django.apps import AppConfig
from django.core import checks


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .api import cors  # noqa: F401
        from .notifications.outbound import check_allowed_networks

        checks.register(check_allowed_networks)
