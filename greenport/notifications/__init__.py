"""Notifications: a durable outbox delivering notices in-app, by e-mail (SMTP) and to group-robot
webhooks (DingTalk, WeCom). Alarms now and cases later enqueue :class:`~greenport.notifications.model.Notice`s."""
