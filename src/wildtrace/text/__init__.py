"""Text handling shared by the scan and the learning code: normalisation (``normalize``: case,
diacritics, traditional/simplified Chinese, obfuscation), word segmentation for Chinese and Thai
(``segment``) and language identification (``lang``)."""
