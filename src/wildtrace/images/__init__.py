"""Listing images: ``ocr`` (text in an image, through tesseract; used by the scan's
``--ocr-images``) and ``fingerprint`` (hashes and EXIF for near-duplicate images across sellers)."""
