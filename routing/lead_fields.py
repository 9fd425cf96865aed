"""Every lead field, declared once.

The intake API's body and its OpenAPI schema, the checks a submission goes through, the
fields rules can test, the lead the engine evaluates, the admin's lead page and "Test a
lead" form, what notifications and webhooks say and the rep queue's "What they sent" are
all read from `LEAD_FIELDS` below. Behaviour that differs between fields is keyed by
`Kind`, never by a field's name, so a new field of an existing kind needs nothing else.

Plain Python, no Django: the routing engine imports it through `routing.normalize`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    EMAIL = "email"  # required; its domain is kept too
    EMAIL_DOMAIN = "email_domain"  # worked out from the e-mail, never sent
    TEXT = "text"  # one line
    KEYWORD = "keyword"  # one line, kept lowercase (demo_request, pricing_page)
    MULTILINE_TEXT = "multiline_text"
    PHONE = "phone"  # text, or a number a form sends
    CITY = "city"
    STATE = "state"  # a code or a name, checked against the country's subdivisions
    POSTAL_CODE = "postal_code"  # read in the light of the country (ZIP+4)
    COUNTRY = "country"  # ISO 3166-1 alpha-2, from a code or an English name
    EMPLOYEE_COUNT = "employee_count"  # a head count or a band ("51-200")
    MONEY = "money"  # a non-negative decimal with cents
    SCORE = "score"  # any finite number
    ATTRIBUTES = "attributes"  # a free JSON object; rules test attributes.<name>


NUMBER_KINDS = frozenset({Kind.EMPLOYEE_COUNT, Kind.MONEY, Kind.SCORE})
# Where the lead is, read in this order ("Austin, TX, 78701, US") and shown as one line.
PLACE_KINDS = (Kind.CITY, Kind.STATE, Kind.POSTAL_CODE, Kind.COUNTRY)
# Checked after the country, since what they accept depends on it.
COUNTRY_DEPENDENT_KINDS = frozenset({Kind.STATE, Kind.POSTAL_CODE})
# Text that forms may send as a JSON number.
NUMERIC_TEXT_KINDS = frozenset({Kind.PHONE, Kind.POSTAL_CODE})


class Shown(Enum):
    """Where a person reads the field. Webhooks and the API's lead carry every sent field."""

    QUEUE = "queue"  # the rep queue's "What they sent"
    NOTIFICATION = "notification"  # Slack, e-mail and the acknowledge page


QUEUE = frozenset({Shown.QUEUE})
EVERYWHERE = frozenset({Shown.QUEUE, Shown.NOTIFICATION})
NOWHERE: frozenset[Shown] = frozenset()


@dataclass(frozen=True, slots=True)
class LeadField:
    name: str  # the Lead model's field, the API body's key, the condition's field
    label: str  # what a rep or a manager reads
    kind: Kind
    # The longest text a submission may send (as the model stores it); None: unlimited.
    max_length: int | None = None
    help_text: str = ""  # the API schema's description and the admin form's help
    example: str = ""  # shown in the API schema
    section: str = ""  # its part of the admin's lead page; "" keeps it off the page
    shown: frozenset[Shown] = NOWHERE
    submitted: bool = True  # False: derived, not part of what a source sends
    testable: bool = True  # rules may test it (`when: {name: ...}`)

    @property
    def is_number(self) -> bool:
        return self.kind in NUMBER_KINDS

    @property
    def is_text(self) -> bool:
        return not self.is_number and self.kind is not Kind.ATTRIBUTES

    @property
    def empty(self) -> Any:
        """The value of a field that was not sent."""
        if self.kind is Kind.ATTRIBUTES:
            return {}
        return None if self.is_number else ""


NUMBER_HELP = 'A number, or digits as text ("1,500,000").'

LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField(
        "email",
        "E-mail",
        Kind.EMAIL,
        max_length=254,
        help_text="Required. The lead's e-mail.",
        section="Contact",
        shown=EVERYWHERE,
    ),
    LeadField("email_domain", "E-mail domain", Kind.EMAIL_DOMAIN, max_length=253, submitted=False),
    LeadField("first_name", "First name", Kind.TEXT, max_length=100, section="Contact"),
    LeadField("last_name", "Last name", Kind.TEXT, max_length=100, section="Contact"),
    LeadField(
        "phone",
        "Phone",
        Kind.PHONE,
        max_length=50,
        help_text="Text, or a number.",
        section="Contact",
        shown=EVERYWHERE,
    ),
    LeadField("company", "Company", Kind.TEXT, max_length=200, section="Company", shown=EVERYWHERE),
    LeadField(
        "website",
        "Website",
        Kind.TEXT,
        max_length=300,
        help_text="A URL or a domain; its domain matches named accounts.",
        section="Company",
        shown=QUEUE,
    ),
    LeadField(
        "employee_count",
        "Employees",
        Kind.EMPLOYEE_COUNT,
        help_text='A head count (250) or what a form sends: "1,200", "51-200", "1000+".',
        example="51-200",
        section="Company",
        shown=EVERYWHERE,
    ),
    LeadField(
        "annual_revenue", "Annual revenue", Kind.MONEY, help_text=NUMBER_HELP, section="Company"
    ),
    LeadField(
        "country",
        "Country",
        Kind.COUNTRY,
        help_text='ISO 3166-1 code ("US") or an English name ("United States").',
        section="Location",
        shown=EVERYWHERE,
    ),
    LeadField(
        "state",
        "State",
        Kind.STATE,
        max_length=100,
        help_text='State or region: code ("CA") or name ("California").',
        section="Location",
        shown=EVERYWHERE,
    ),
    LeadField(
        "postal_code",
        "Postal code",
        Kind.POSTAL_CODE,
        max_length=20,
        help_text="Text, or a number (a ZIP code sent as 10001).",
        section="Location",
        shown=EVERYWHERE,
    ),
    LeadField("city", "City", Kind.CITY, max_length=100, section="Location", shown=EVERYWHERE),
    LeadField("industry", "Industry", Kind.TEXT, max_length=100, section="Company", shown=QUEUE),
    LeadField("product", "Product", Kind.TEXT, max_length=100, section="Company", shown=EVERYWHERE),
    LeadField(
        "source",
        "Source",
        Kind.KEYWORD,
        max_length=50,
        help_text="Where the lead came from: demo_request, pricing_page, free_signup, ...",
        section="Submission",
        shown=EVERYWHERE,
    ),
    LeadField("score", "Score", Kind.SCORE, help_text=NUMBER_HELP, section="Submission"),
    LeadField(
        "message",
        "Message",
        Kind.MULTILINE_TEXT,
        help_text="Free text over several lines (newlines and tabs are kept).",
        section="Submission",
        shown=EVERYWHERE,
    ),
    *(
        LeadField(
            name,
            label,
            Kind.TEXT,
            max_length=255,
            help_text=f"The campaign's {name} parameter, as the page's URL carried it.",
            section="Campaign",
            shown=QUEUE,
        )
        for name, label in (
            ("utm_source", "Campaign source"),
            ("utm_medium", "Campaign medium"),
            ("utm_campaign", "Campaign"),
            ("utm_term", "Campaign term"),
            ("utm_content", "Campaign content"),
        )
    ),
    LeadField(
        "gclid",
        "Google Ads click id",
        Kind.TEXT,
        max_length=255,
        help_text="The Google Ads click id (gclid) of the visit.",
        section="Campaign",
    ),
    LeadField(
        "attributes",
        "Attributes",
        Kind.ATTRIBUTES,
        help_text='Anything else, as a JSON object ({"plan": "pro"}); rules test '
        "attributes.<name>. Names are one line of text; no text may hold a NUL character.",
        section="Submission",
        shown=QUEUE,
        testable=False,  # rules test attributes.<name>, not the whole object
    ),
)

# Lead model fields that are not what a source said about the lead, and why.
NOT_LEAD_FIELDS = {
    "id": "the row's key",
    "payload": "the submission exactly as received, kept beside the fields read from it",
    "status": "where the lead is in its life, set by routing and reps",
    "owner": "set by routing",
    "ruleset": "set by routing by the rules",
    "rule": "set by routing by the rules",
    "pool": "set by routing by the rules",
    "intake_key": "who sent it, from the request's key",
    "lead_import": "the imported list it came from",
    "escalation_count": "set by escalations",
    "outcome_note": "written by the rep",
    "handoff_note": "written by the AI agent that handed the lead to people",
    "created_at": "a timestamp",
    "acknowledged_at": "a timestamp",
    "updated_at": "a timestamp",
}

SUBMITTED_FIELDS = tuple(field for field in LEAD_FIELDS if field.submitted)
TESTABLE_FIELDS = tuple(field for field in LEAD_FIELDS if field.testable)
_BY_KIND = {field.kind: field for field in LEAD_FIELDS}


def field_of_kind(kind: Kind) -> LeadField:
    """The field of a kind there is one of (the e-mail, its domain, the country...)."""
    return _BY_KIND[kind]


# ------------------------------------------------------------------- shown to people


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of what a lead sent, as a person reads it."""

    label: str
    text: str
    href: str = ""  # mailto: or tel:, where the text is an address to reach them at


MESSAGE_PREVIEW = 300  # characters of long text in a notification: the rest is in the queue
_LINKS = {Kind.EMAIL: "mailto:", Kind.PHONE: "tel:"}


def facts_shown(lead: Any, where: Shown) -> list[Fact]:
    """What `lead` (a Lead, or anything with its fields as attributes) sent, line by
    line, for a person reading it `where`: filled-in fields only, the place as one
    "Where" line, the free attributes one per line in name order."""
    facts: list[Fact] = []
    place_done = False
    for field in LEAD_FIELDS:
        if where not in field.shown:
            continue
        value = getattr(lead, field.name)
        if field.kind in PLACE_KINDS:
            if not place_done:
                place_done = True
                facts.extend(_place(lead, where))
        elif field.kind is Kind.ATTRIBUTES:
            facts.extend(Fact(name, text) for name, text in attribute_lines(value or {}))
        elif value is not None and value != "":
            text = keyword_in_words(value) if field.kind is Kind.KEYWORD else str(value)
            if field.kind is Kind.MULTILINE_TEXT and where is Shown.NOTIFICATION:
                text = text[:MESSAGE_PREVIEW]
            prefix = _LINKS.get(field.kind)
            facts.append(Fact(field.label, text, href=f"{prefix}{text}" if prefix else ""))
    return facts


def _place(lead: Any, where: Shown) -> Iterator[Fact]:
    parts = (getattr(lead, field.name) for field in _place_fields(where))
    text = ", ".join(part for part in parts if part)
    if text:
        yield Fact("Where", text)


def _place_fields(where: Shown) -> Iterator[LeadField]:
    for kind in PLACE_KINDS:
        field = field_of_kind(kind)
        if where in field.shown:
            yield field


def attribute_lines(attributes: dict[str, Any]) -> list[tuple[str, str]]:
    """A lead's attributes as (name, text) lines in name order; values that are not text
    as JSON. Built here rather than read in a template: there `attributes.items` would
    look up a key named "items" first, so a lead source could change what people see."""
    return [
        (str(name), _as_text(value))
        for name, value in sorted(attributes.items(), key=lambda item: str(item[0]))
    ]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def keyword_in_words(value: str) -> str:
    """A keyword as people read it: "demo_request" is "Demo request". Sources send any
    keyword they like, so the words are made from it rather than looked up."""
    words = " ".join(value.replace("_", " ").replace("-", " ").split())
    return words[:1].upper() + words[1:]
