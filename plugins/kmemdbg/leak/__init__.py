"""Leak tracing: snapshots of zones and malloc types, diffs between them, owners of what grew."""
