"""Learning from analysts: labels, a calibrated text model, honest evaluation, review queue,
more-like-this search and code-word discovery. See docs/learn.md."""
