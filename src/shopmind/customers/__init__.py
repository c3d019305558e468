"""Customer intelligence: RFM segments, lifetime value, churn, profiles, tags and audiences."""
