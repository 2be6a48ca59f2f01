"""Report pipeline: YAML content -> one document model -> HTML/PDF and DOCX writers."""

__version__ = "0.1.0"
