"""Allocator models: UMA zones/kegs and malloc(9) types as plain data, never printed here."""
