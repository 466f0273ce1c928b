"""The aiogram admin bot: routers, filters, rendering, and the Notifier the collector talks through."""
