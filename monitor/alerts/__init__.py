"""Alerts: route newly classified items to subscriptions (pure), and drain the outbox to Telegram."""
