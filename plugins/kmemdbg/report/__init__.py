"""Formatting and persistence: tables, vmstat text, JSON/CSV, snapshots; no target access."""
