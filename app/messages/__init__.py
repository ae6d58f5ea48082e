"""UI strings by part of the product, Vietnamese first, English second (app/i18n.py merges them)."""
