"""Alerts: route newly classified items to subscriptions (pure); drain the outbox to Telegram."""
