"""The domain: pure Python services and flows. Never imports ipywidgets."""
