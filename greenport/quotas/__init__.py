"""Quota pools and append-only ledgers of resource rights."""
