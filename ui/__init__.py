"""The Gradio screens (Ask, Search, Library, Admin), built from the engine they are handed."""
