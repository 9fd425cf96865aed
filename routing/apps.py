from django.apps import AppConfig
from django.core import checks


class RoutingConfig(AppConfig):
    name = "routing"
    verbose_name = "Routing"

    def ready(self) -> None:
        from outgoing.addresses import check_allowed_networks

        from . import signals, tasks  # noqa: F401 (they connect receivers)
        from .api import cors  # noqa: F401

        checks.register(check_allowed_networks)
