"""Page models: what a page shows, computed from the dataset index, testable without a request."""
