"""Audiences: the customers who match a definition (segment, profile, tags, value, churn risk,
region, last purchase, category), counted live and exported for ad platforms without raw contacts.

The export holds SHA-256 hashes of normalized contacts, the form customer-match uploads expect
(Google Ads Customer Match, Meta custom audiences, Tencent and Ocean Engine DMP packages): email
trimmed and lower-cased; phone as digits with the country code (``8613800138000``, Meta's and
Tencent's form) or E.164 with a plus (``+8613800138000``, Google's form) with
``phone_format="e164"``. Raw contacts are decrypted only inside :func:`hashed_contacts` and never
written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from shopmind.auth.secrets import normalize_contact
from shopmind.customers.segments import SEGMENTS
from shopmind.errors import ValidationError


class AudienceFilter(BaseModel):
    """Who belongs to an audience: every given condition must hold (lists match any of their values).

    ``consent_only`` (default true) keeps only customers who agreed to marketing; an export always
    applies it.
    """

    model_config = ConfigDict(extra="forbid")

    segments: list[str] = Field(default_factory=list, description="Segment ids, e.g. champions, at_risk.")
    profiles: list[str] = Field(default_factory=list, description="Primary profiles, e.g. price_sensitive.")
    tags: list[str] = Field(default_factory=list, description="Real-time tags, e.g. cart_abandoner.")
    provinces: list[str] = Field(default_factory=list, description="Customer provinces, e.g. 浙江.")
    categories: list[str] = Field(
        default_factory=list, description="Top-level categories the customer buys most, e.g. 生鲜."
    )
    min_value: float | None = Field(None, description="Minimum predicted 12-month value.")
    max_value: float | None = Field(None, description="Maximum predicted 12-month value.")
    min_churn_risk: float | None = Field(None, ge=0, le=1, description="Minimum churn risk (0-1).")
    max_churn_risk: float | None = Field(None, ge=0, le=1, description="Maximum churn risk (0-1).")
    bought_within_days: float | None = Field(
        None, gt=0, description="Last purchase at most this many days ago."
    )
    not_bought_within_days: float | None = Field(
        None, gt=0, description="No purchase for at least this many days."
    )
    consent_only: bool = Field(True, description="Only customers who consented to marketing.")

    def check(self) -> None:
        """Reject unknown segment ids with the list of valid ones."""
        unknown = [s for s in self.segments if s not in SEGMENTS]
        if unknown:
            raise ValidationError(f"Unknown segment {unknown[0]!r}. Use one of: {', '.join(SEGMENTS)}.")


def select_audience(
    customers: pd.DataFrame,
    audience: AudienceFilter,
    tags: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """The rows of ``customers`` (one per customer, as kept by the customer model) in the audience.

    ``customers`` needs the columns the conditions use: ``segment``, ``profile``, ``province``,
    ``top_category``, ``clv_12m``, ``churn_risk``, ``recency_days``, ``consent_marketing``.
    ``tags`` maps customer ids to their current tag ids.
    """
    audience.check()
    keep = pd.Series(True, index=customers.index)

    def among(col: str, values: list[str]) -> None:
        nonlocal keep
        if values:
            keep &= customers[col].isin(values)

    among("segment", audience.segments)
    among("profile", audience.profiles)
    among("province", audience.provinces)
    among("top_category", audience.categories)
    for col, low, high in (
        ("clv_12m", audience.min_value, audience.max_value),
        ("churn_risk", audience.min_churn_risk, audience.max_churn_risk),
    ):
        if low is not None:
            keep &= customers[col] >= low
        if high is not None:
            keep &= customers[col] <= high
    if audience.bought_within_days is not None:
        keep &= customers["recency_days"] <= audience.bought_within_days
    if audience.not_bought_within_days is not None:
        keep &= customers["recency_days"] >= audience.not_bought_within_days
    if audience.consent_only:
        keep &= customers["consent_marketing"].fillna(False).astype(bool)
    if audience.tags:
        wanted = set(audience.tags)
        tagged = {str(c) for c, ts in (tags or {}).items() if wanted & set(ts)}
        keep &= customers["customer_id"].astype(str).isin(tagged)
    return customers[keep]


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def hashed_contacts(
    rows: Iterable[Mapping[str, Any]],
    decrypt: Callable[[bytes | None], str | None],
    *,
    phone_format: Literal["digits", "e164"] = "digits",
) -> pd.DataFrame:
    """One row per customer: ``customer_id``, ``email_sha256``, ``phone_sha256`` (None when absent).

    ``rows`` carry ``customer_id``, ``email_enc`` and ``phone_enc`` as stored; ``decrypt`` opens them.
    The clear values live only inside this function.
    """
    out = []
    for row in rows:
        email = normalize_contact(decrypt(row.get("email_enc")), "email")
        phone = normalize_contact(decrypt(row.get("phone_enc")), "phone")
        if phone and phone_format == "e164":
            phone = "+" + phone
        out.append(
            {
                "customer_id": row["customer_id"],
                "email_sha256": sha256_hex(email) if email else None,
                "phone_sha256": sha256_hex(phone) if phone else None,
            }
        )
    return pd.DataFrame(out, columns=["customer_id", "email_sha256", "phone_sha256"])
