"""Autograd Explorer: `streamlit run app.py` serves the page (app_ui/page.py, in the package)."""

from app_ui import process
from app_ui.page import main

process.settle()  # once per process: the imports' objects leave the collector's walks
main()
