"""Trade and bar import: canonical validation, file readers, layouts, and the import-export resources."""
