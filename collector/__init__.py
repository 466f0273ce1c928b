"""The paced Telethon collector: source boundary, pacing policy, request gate, durable queue, job."""
