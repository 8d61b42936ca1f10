"""Ingestion: load files into pages, cut pages into chunks, and sync a folder into the store."""
