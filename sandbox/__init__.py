"""The offline Telegram: a simulated MTProto side and a local Bot API server, for the demo and tests."""
