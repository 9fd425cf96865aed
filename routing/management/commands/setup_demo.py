"""Make a fresh install usable at once: the demo routing set and a demo admin to sign in with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError
from django.db import transaction
from django.utils.crypto import get_random_string

from demo.agent import DEMO_AGENT_EMAIL, KEY_NAME, demo_agent_key_file, demo_agent_url
from reps.models import Rep, User
from reps.roles import SALES_MANAGER, user_make_sales_manager
from routing.models import IntakeKey
from routing.routing_file import RoutingFileError, load_routing
from routing.routing_file.yaml_io import read_yaml, write_yaml
from routing.services.intake_keys import intake_key_create

DEMO_ROUTING_FILE = Path(settings.BASE_DIR) / "demo" / "routing.yaml"
DEMO_ADMIN_EMAIL = "admin@example.com"
DEMO_KEY_NAME = "Demo web form"
# The rep the README's example lead goes to (Mid-market, territory US Central): signed in
# at /queue/ with the demo password, a newcomer sees the lead from the rep's side.
DEMO_REP_EMAIL = "nate.brooks@example.com"
# A manager as the product means one: edits routing, works leads, reads the dashboard,
# and cannot touch users or intake keys (the Sales manager group), unlike the demo admin;
# the demo rule set tells this address of escalations.
DEMO_MANAGER_EMAIL = "sales-manager@example.com"


class Command(BaseCommand):
    help = (
        "Load the demo routing set (idempotent) and create a demo admin, printing its "
        "credentials. The password is generated once and kept in var/demo-admin-password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", default=DEMO_ADMIN_EMAIL)
        parser.add_argument(
            "--password-file",
            default=str(Path(settings.VAR_DIR) / "demo-admin-password"),
            help="Where the generated password is kept between runs.",
        )
        parser.add_argument("--routing-file", default=str(DEMO_ROUTING_FILE))
        parser.add_argument(
            "--key-file",
            default=str(Path(settings.VAR_DIR) / "demo-intake-key"),
            help="Where the demo intake key is kept between runs (the database has its hash).",
        )
        parser.add_argument(
            "--agent-key-file",
            default=str(demo_agent_key_file()),
            help="Where the demo AI agent's intake key is kept, for its hand-offs.",
        )

    def handle(
        self,
        *args: Any,
        email: str,
        password_file: str,
        routing_file: str,
        key_file: str,
        agent_key_file: str,
        **options: Any,
    ) -> None:
        password = self._demo_admin(email=email, password_file=Path(password_file))
        self._load_routing(routing_file=Path(routing_file), user_email=email)
        key = self._demo_intake_key(key_file=Path(key_file))
        agent_line = ""
        if self._demo_agent_key(key_file=Path(agent_key_file)):
            agent_line = (
                f"  Demo AI agent: {DEMO_AGENT_EMAIL} answers at {demo_agent_url()}\n"
                "    and hands free signups from company addresses to people\n"
            )
        self._demo_manager(password=password)
        rep_line = ""
        if self._demo_rep_login(password=password):
            rep_line = f"  Demo rep:   {DEMO_REP_EMAIL} (same password) at /queue/\n"
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo admin: {email}\n  Password:   {password}\n"
                f"  Sign in at {settings.LEADROUTER['SITE_URL']}/admin/\n"
                f"  Demo manager: {DEMO_MANAGER_EMAIL} (same password; {SALES_MANAGER}: "
                "routing, leads, dashboard; not users or keys)\n"
                f"{rep_line}"
                f"  Demo intake key: {key}\n"
                f"{agent_line}"
            )
        )

    def _load_routing(self, *, routing_file: Path, user_email: str) -> None:
        """The demo routing file, with the demo agent's webhook on this server."""
        try:
            text = routing_file.read_text(encoding="utf-8")
            summary = load_routing(
                _with_demo_agent_here(read_yaml(text, source=str(routing_file))),
                source=str(routing_file),
                user=User.objects.get(email=user_email),
                reason=f"setup_demo {routing_file.name}",
            )
        except OSError as error:
            raise CommandError(f"cannot read {routing_file}: {error.strerror}") from error
        except RoutingFileError as error:
            raise CommandError(
                f"{routing_file}, nothing was changed:\n"
                + "\n".join(f"  - {message}" for message in error.errors)
            ) from error
        for line in summary.lines():
            self.stdout.write(f"  {line}")
        changed = "" if summary.changed else ": nothing changed"
        self.stdout.write(self.style.SUCCESS(f"Loaded {routing_file}{changed}."))

    @transaction.atomic
    def _demo_admin(self, *, email: str, password_file: Path) -> str:
        """The demo admin's password: kept from an earlier run, or newly set."""
        user_model = get_user_model()
        user = user_model.objects.filter(email=email).first()
        known = password_file.read_text().strip() if password_file.exists() else ""
        if user is not None and known and user.check_password(known):
            return known
        password = get_random_string(16)
        if user is None:
            user = user_model.objects.create_superuser(email, password, name="Demo admin")
        else:
            user.set_password(password)
            user.is_staff = user.is_superuser = user.is_active = True
            user.save()
        password_file.parent.mkdir(parents=True, exist_ok=True)
        password_file.write_text(password)
        password_file.chmod(0o600)
        return password

    @transaction.atomic
    def _demo_manager(self, *, password: str) -> None:
        """A Sales manager login with the demo password, kept in step with it."""
        user = User.objects.filter(email=DEMO_MANAGER_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                DEMO_MANAGER_EMAIL, password, name="Demo sales manager", is_staff=True
            )
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        user_make_sales_manager(user=user)

    @transaction.atomic
    def _demo_rep_login(self, *, password: str) -> bool:
        """Let the demo rep sign in to the queue; False if the demo has no such rep."""
        rep = Rep.objects.filter(email=DEMO_REP_EMAIL).select_related("user").first()
        if rep is None or rep.user is None:
            return False
        if not rep.user.check_password(password):
            rep.user.set_password(password)
            rep.user.save(update_fields=["password"])
        return True

    @transaction.atomic
    def _demo_intake_key(self, *, key_file: Path) -> str:
        """The demo web form's intake key: kept from an earlier run while it still works."""
        known = key_file.read_text().strip() if key_file.exists() else ""
        if known and IntakeKey.objects.is_valid(known):
            return known
        _, key = IntakeKey.objects.create_key(name=DEMO_KEY_NAME)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return key

    @transaction.atomic
    def _demo_agent_key(self, *, key_file: Path) -> bool:
        """The demo agent's key for the hand-off API, kept while it still works; False
        if the demo has no such agent."""
        agent = Rep.objects.filter(email=DEMO_AGENT_EMAIL, kind=Rep.Kind.AGENT).first()
        if agent is None:
            return False
        known = key_file.read_text().strip() if key_file.exists() else ""
        if known and IntakeKey.objects.is_valid(known):
            return True
        _, key = intake_key_create(name=KEY_NAME, rep=agent)
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key)
        key_file.chmod(0o600)
        return True


def _with_demo_agent_here(routing: Any) -> str:
    """The routing file's text with the demo agent's webhook at this server's address
    (the file says port 8000; `dev.py run` may serve on another). Loading it again on
    the same port changes nothing."""
    reps = routing.get("reps") if isinstance(routing, dict) else None
    for rep in reps if isinstance(reps, list) else []:
        if isinstance(rep, dict) and rep.get("email") == DEMO_AGENT_EMAIL:
            rep["notify"] = {**(rep.get("notify") or {}), "webhook": demo_agent_url()}
    return write_yaml(routing)
