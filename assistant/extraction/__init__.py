"""Free text -> StructuredAnswer: the rules extractor (default, offline) and an optional LLM extractor."""
