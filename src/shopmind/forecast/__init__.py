"""Demand forecasting and perishable-aware replenishment."""
