"""ipywidgets views, one module per screen. Screens call core services only and
never import the database layer (checked by tests/test_layering.py)."""
