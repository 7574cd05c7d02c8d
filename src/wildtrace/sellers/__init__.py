"""Seller accounts: contact identifiers, listing images (hashes, EXIF, OCR), seller networks and analysts' judgements."""
