"""One module per kind of page: thin handlers that read the dataset index and render a template or a document."""
