"""The knowledge base: types, settings, catalog, languages, embedder and the Chroma-backed store."""
