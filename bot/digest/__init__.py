"""The bot's digest feature, in one place: the /digest command (`handler`), its arguments
(`parse`), a chat's subscriptions (`subscriptions`), the scheduled jobs that build and send
digests (`jobs`) and what the bot writes (`texts`).

What a digest says is worked out in `analytics.digest`; subscriptions and deliveries are stored by
`storage.digests`."""
